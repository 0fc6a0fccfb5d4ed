import type { ActivityEvent } from '@uap/shared/contract';

/** A document the store refused on its own merits, reported by the store for that document alone. */
export interface RejectedWrite {
  /** Position in the copies given to insertNew. */
  index: number;
  error: string;
}

/**
 * An event with the topic position of the copy being stored. The first copy stored wins; a receipt
 * names the copy its 202 accepted, so comparing positions tells `persisted` from `duplicate`.
 */
export interface EventCopy {
  event: ActivityEvent;
  partition: number;
  offset: string;
}

export interface StoredPosition {
  partition: number;
  offset: number;
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
  insertNew(copies: readonly EventCopy[], persistedAt: Date): Promise<InsertOutcome>;
  /** The topic position of the stored copy of each eventId found (absent: not stored, or stored without one). */
  storedPositions(eventIds: readonly string[]): Promise<Map<string, StoredPosition>>;
  ping(): Promise<void>;
}
