import {
  applyEntries,
  byHour,
  emptyRollup,
  encodeMinuteCounts,
  type minuteDeltasByHour,
  changeRollup,
  hourStartOf,
  ROLLUP_COVERAGE_ID,
  ROLLUP_INDEXES,
  ROLLUPS_COLLECTION,
  type RollupCoverageDocument,
  type RollupCollection,
  type RollupDocument,
  type RollupEntry,
} from '@uap/shared/contract';
import type { mongo } from 'mongoose';
import type { ActivityRollups } from '../../application/ports/activity-rollups.port';
import { StoreUnavailableError } from '../../application/retriable.errors';

/**
 * Hour documents changed by compare-and-set (see @uap/shared activity-rollup.ts for why that is exactly
 * once). Hours are written one after another: a crash between two leaves the first counted and the
 * second not, and the redelivered chunk then counts only the second.
 */
export class MongoActivityRollups implements ActivityRollups {
  /** `db` is read at each call: mongoose's connection.db, or a driver Db (the bench seeds through this class). */
  constructor(private readonly db: () => mongo.Db) {}

  private get collection(): RollupCollection {
    return this.db().collection<RollupDocument>(ROLLUPS_COLLECTION) as unknown as RollupCollection;
  }

  /**
   * Creates the indexes and, on the first start, the coverage record: complete when no event is stored
   * yet (every one will be counted), incomplete otherwise (docs/guarantees.md: stats).
   * Written once (a plain insert; a second worker's is a duplicate): later starts find it.
   */
  async prepare(hasStoredEvents: () => Promise<boolean>): Promise<RollupCoverageDocument> {
    const db = this.db();
    const collection = db.collection(ROLLUPS_COLLECTION);
    for (const index of ROLLUP_INDEXES) await collection.createIndex({ ...index.key }, { name: index.name });
    const coverage = db.collection<RollupCoverageDocument>(ROLLUPS_COLLECTION);
    const existing = await coverage.findOne({ _id: ROLLUP_COVERAGE_ID });
    if (existing) return existing;
    const record: RollupCoverageDocument = {
      _id: ROLLUP_COVERAGE_ID,
      complete: !(await hasStoredEvents()),
      since: new Date(),
    };
    await coverage.insertOne(record).catch((err: { code?: number }) => {
      if (err.code !== 11000) throw err;
    });
    return (await coverage.findOne({ _id: ROLLUP_COVERAGE_ID })) ?? record;
  }

  /**
   * Replaces every hour document (the rebuild) and marks the rollups complete. Not atomic across
   * documents: run it with the workers stopped, and again if it is interrupted.
   */
  async replaceAll(rows: ReturnType<typeof minuteDeltasByHour>, applied: ReadonlyMap<number, number>): Promise<void> {
    const db = this.db();
    const hours = new Map<number, RollupDocument>();
    for (const row of rows) {
      const hour = new Date(row.hour);
      const doc = hours.get(row.hour) ?? emptyRollup(hour);
      hours.set(row.hour, doc);
      doc.counts[row.type] = encodeMinuteCounts(row.minutes);
    }
    const appliedRecord = Object.fromEntries([...applied].map(([p, o]) => [String(p), o]));
    const docs = [...hours.values()].map((doc) => ({ ...doc, applied: { ...appliedRecord } }));
    await db.collection(ROLLUPS_COLLECTION).deleteMany({ day: { $exists: true } });
    for (let start = 0; start < docs.length; start += 1_000) {
      await db.collection<RollupDocument>(ROLLUPS_COLLECTION).insertMany(docs.slice(start, start + 1_000));
    }
    await db
      .collection<RollupCoverageDocument>(ROLLUPS_COLLECTION)
      .replaceOne({ _id: ROLLUP_COVERAGE_ID }, { complete: true, since: new Date() }, { upsert: true });
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
