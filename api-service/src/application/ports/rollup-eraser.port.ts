import type { RollupEntry } from '@uap/shared/contract';

/**
 * Takes erased events out of the stats rollups, idempotently per (partition, offset): decremented if
 * they were counted, never counted if their chunk is still to come. Runs before the events are deleted.
 */
export interface RollupEraser {
  remove(entries: readonly RollupEntry[]): Promise<void>;
}
