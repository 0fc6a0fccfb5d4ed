import type { ActivityEvent } from '@uap/shared';

export interface InsertOutcome {
  /** Newly written documents. */
  inserted: number;
  /** Events whose eventId was already stored (redeliveries, or the same id twice in one batch). */
  duplicates: number;
}

/**
 * Stores activities idempotently by eventId. Rejects with a retriable StoreUnavailableError when
 * the outcome of any event is unknown, so the caller retries the whole chunk instead of skipping.
 */
export interface ActivityRepository {
  insertNew(events: readonly ActivityEvent[], persistedAt: Date): Promise<InsertOutcome>;
  ping(): Promise<void>;
}
