import {
  applyEntries,
  byHour,
  changeRollup,
  hourStartOf,
  ROLLUP_INDEXES,
  ROLLUPS_COLLECTION,
  type RollupCollection,
  type RollupDocument,
  type RollupEntry,
} from '@uap/shared';
import type { Connection } from 'mongoose';
import type { ActivityRollups } from '../../application/ports/activity-rollups.port';
import { StoreUnavailableError } from '../../application/retriable.errors';

/**
 * Hour documents changed by compare-and-set (see @uap/shared activity-rollup.ts for why that is exactly
 * once). Hours are written one after another: a crash between two leaves the first counted and the
 * second not, and the redelivered chunk then counts only the second.
 */
export class MongoActivityRollups implements ActivityRollups {
  constructor(private readonly connection: Connection) {}

  private get collection(): RollupCollection {
    return this.connection.db!.collection<RollupDocument>(ROLLUPS_COLLECTION) as unknown as RollupCollection;
  }

  async ensureIndexes(): Promise<void> {
    const collection = this.connection.db!.collection(ROLLUPS_COLLECTION);
    for (const index of ROLLUP_INDEXES) await collection.createIndex({ ...index.key }, { name: index.name });
  }

  async apply(partition: number, entries: readonly RollupEntry[], chunkEnd: number): Promise<void> {
    try {
      for (const [hourId, inHour] of byHour(entries)) {
        await changeRollup(this.collection, hourId, hourStartOf(inHour[0]!.occurredAt), (current) =>
          applyEntries(current, partition, inHour, chunkEnd),
        );
      }
    } catch (err) {
      throw new StoreUnavailableError(`rollup update failed: ${(err as Error).message}`, { cause: err });
    }
  }
}
