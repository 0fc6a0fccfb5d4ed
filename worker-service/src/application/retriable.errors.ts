/**
 * Infrastructure failures after which the same work may succeed later. The consumer retries them
 * without committing; anything else is a bug and is left to crash the batch.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  readonly code = 'STORE_UNAVAILABLE';
  readonly retriable = true;
}

export class DeadLetterUnavailableError extends Error {
  override readonly name = 'DeadLetterUnavailableError';
  readonly code = 'DEAD_LETTER_UNAVAILABLE';
  readonly retriable = true;
}

export function isRetriable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === true;
}
