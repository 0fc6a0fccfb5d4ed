/**
 * Infrastructure failures after which the same work may succeed later. The consumer retries them
 * without committing; anything else is a bug and is left to crash the batch.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  readonly code = 'STORE_UNAVAILABLE';
  readonly retriable = true;
}

/**
 * The store answered but refused a multi-document write as a whole, with an error that names no
 * document (FerretDB on PostgreSQL answers a NUL character with InternalError for the whole insert).
 * It may be one document or the store itself; the use case tells them apart by narrowing the write
 * down while the store answers pings. Retriable, so an unhandled one never drops a message.
 */
export class StoreWriteError extends Error {
  override readonly name = 'StoreWriteError';
  readonly code = 'STORE_WRITE_FAILED';
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
