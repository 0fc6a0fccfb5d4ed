export interface RetryOptions {
  /** The first backoff ceiling; it doubles with each attempt (default 250 ms). */
  baseDelayMs?: number;
  /** The backoff ceiling never grows past this (default 30 s). */
  maxDelayMs?: number;
  /** A Retry-After longer than this is shortened to it (default 60 s). */
  maxRetryAfterMs?: number;
  /** Attempts per batch, the first included, before it is given up (default 10). */
  maxAttempts?: number;
  /** A batch still not accepted this long after its first attempt is given up (default 5 minutes). */
  giveUpAfterMs?: number;
}

export type ResolvedRetryOptions = Required<RetryOptions>;

export const DEFAULT_RETRY: ResolvedRetryOptions = {
  baseDelayMs: 250,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
  maxAttempts: 10,
  giveUpAfterMs: 5 * 60_000,
};

/** What one attempt came to: an HTTP status, or no answer at all. */
export type AttemptOutcome = number | 'timeout' | 'network';

/**
 * 408, 429, 5xx and no answer are worth another try; any other 4xx says the request itself is wrong
 * and will be refused again, so resending it would only repeat the refusal.
 */
export function isRetriable(outcome: AttemptOutcome): boolean {
  return typeof outcome !== 'number' || outcome === 408 || outcome === 429 || outcome >= 500;
}

/** Retry-After as seconds or an HTTP date, in ms from `nowMs`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * The wait before attempt `attempt + 1`. Without Retry-After: full jitter (AWS architecture blog),
 * a uniform draw below a ceiling that doubles per attempt up to maxDelayMs, so clients that failed
 * together do not come back together. With Retry-After the server's word wins; up to one base delay
 * of jitter is added so a crowd told "5 s" does not return in the same millisecond.
 */
export function retryDelayMs(
  attempt: number,
  retryAfterMs: number | undefined,
  options: ResolvedRetryOptions,
  random: () => number,
): number {
  if (retryAfterMs !== undefined) {
    return Math.min(retryAfterMs, options.maxRetryAfterMs) + Math.floor(random() * options.baseDelayMs);
  }
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.floor(random() * ceiling);
}
