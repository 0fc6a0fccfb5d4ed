import type { ActivityEvent } from '@uap/shared';

/** A document the store refused on its own merits, reported by the store for that document alone. */
export interface RejectedWrite {
  /** Position in the events given to insertNew. */
  index: number;
  error: string;
}

export interface InsertOutcome {
  /** Newly written documents. */
  inserted: number;
  /** Events whose eventId was already stored (redeliveries, or the same id twice in one batch). */
  duplicates: number;
  /** Documents the store refused with a per-document write error; every other event is stored. */
  rejected: RejectedWrite[];
}

/**
 * Stores activities idempotently by eventId. Rejects with a retriable StoreUnavailableError when
 * the store is unreachable or failing as a whole, and with a StoreWriteError when the store answered
 * but refused the write without saying which document it blames; in both cases nothing may be
 * assumed stored, and the caller retries or narrows the write down.
 */
export interface ActivityRepository {
  insertNew(events: readonly ActivityEvent[], persistedAt: Date): Promise<InsertOutcome>;
  ping(): Promise<void>;
}
