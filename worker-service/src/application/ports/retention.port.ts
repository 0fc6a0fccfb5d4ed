/** Deletes stored activities older than a cutoff, a bounded number at a time. */
export interface RetentionStore {
  /** Deletes at most `limit` activities with occurredAt before `cutoff`; resolves with how many. */
  deleteOlderThan(cutoff: Date, limit: number): Promise<number>;
}

/** A named lease in the store: at most one holder at a time, until it expires. */
export interface Lease {
  acquire(owner: string, ttlMs: number): Promise<boolean>;
  release(owner: string): Promise<void>;
}
