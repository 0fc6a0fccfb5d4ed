import type { RollupEntry } from '@uap/shared/contract';

/**
 * The per-minute counts behind GET /api/v1/activities/stats. Idempotent per (partition, offset): the
 * same chunk applied twice, or by two members during a rebalance, is counted once. Relies on what the
 * consumer guarantees: a partition's chunks are applied in offset order, and offsets are committed only
 * after their chunk was applied, so a member (re)starts at a point where everything before is counted. Rejects with a
 * retriable StoreUnavailableError when the store cannot answer; then nothing may be assumed counted.
 */
export interface ActivityRollups {
  /** Counts the stored copies of one chunk of `partition`, whose last message has offset `chunkEnd`. */
  apply(partition: number, entries: readonly RollupEntry[], chunkEnd: number): Promise<void>;
}
