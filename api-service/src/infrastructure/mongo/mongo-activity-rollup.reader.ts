import {
  countsOf,
  dayIdOf,
  MS_PER_HOUR,
  ROLLUP_COVERAGE_ID,
  ROLLUPS_COLLECTION,
  type RollupCoverageDocument,
  type RollupDocument,
} from '@uap/shared/contract';
import type { Connection } from 'mongoose';
import type { HourCounts, RollupCoverage, RollupReader } from '../../application/ports/activity-rollup-reader.port';
import { storeCall } from '../store/mongo-connection';

const DAY_MS = 24 * MS_PER_HOUR;
/** Up to this many days are read by `day` equality (pushed down to PostgreSQL on FerretDB), one query each. */
const MAX_DAY_QUERIES = 16;
/** Coverage changes once per install (at the first worker start or a rebuild); re-read at most this often. */
const COVERAGE_TTL_MS = 5_000;

type HourProjection = Pick<RollupDocument, 'hour' | 'counts'>;

/**
 * Reads the worker's hour documents (MongoDB; on FerretDB the rollups are PostgreSQL tables). FerretDB evaluates ranges in memory, so up to 16 days are read by
 * `day` equality, in parallel; longer ranges (hour and day buckets) scan the rollups by `hour`, which is
 * a few hundred small documents a month.
 */
export class MongoActivityRollupReader implements RollupReader {
  private cachedCoverage?: { at: number; value: RollupCoverage };

  constructor(
    private readonly connection: Connection,
    private readonly options: { maxTimeMs: number; now?: () => number },
  ) {}

  private get collection() {
    return this.connection.db!.collection<RollupDocument>(ROLLUPS_COLLECTION);
  }

  async hours(from: Date, to: Date): Promise<HourCounts[]> {
    return (await this.hourDocuments(from, to)).flatMap(({ hour, counts }) =>
      [...counts].map(([type, minutes]) => ({ hour: hour.getTime(), type, minutes })),
    );
  }

  private async hourDocuments(from: Date, to: Date) {
    const firstDay = Math.floor(from.getTime() / DAY_MS);
    const lastDay = Math.floor((to.getTime() - 1) / DAY_MS);
    const projection = { _id: 0, hour: 1, counts: 1 } as const;
    const docs = await storeCall('stats rollups', async () => {
      if (lastDay - firstDay + 1 > MAX_DAY_QUERIES) {
        return this.collection
          .find<HourProjection>({ hour: { $gte: from, $lt: to } }, { projection, maxTimeMS: this.options.maxTimeMs })
          .toArray();
      }
      const days = Array.from({ length: lastDay - firstDay + 1 }, (_, i) => dayIdOf(new Date((firstDay + i) * DAY_MS)));
      const perDay = await Promise.all(
        days.map((day) =>
          this.collection.find<HourProjection>({ day }, { projection, maxTimeMS: this.options.maxTimeMs }).toArray(),
        ),
      );
      return perDay.flat();
    });
    return docs
      .filter((doc) => doc.hour >= from && doc.hour < to)
      .map((doc) => ({ hour: doc.hour, counts: countsOf(doc) }));
  }

  async coverage(): Promise<RollupCoverage> {
    const now = (this.options.now ?? Date.now)();
    if (this.cachedCoverage && now - this.cachedCoverage.at < COVERAGE_TTL_MS) return this.cachedCoverage.value;
    const doc = await storeCall('stats coverage', () =>
      this.connection.db!.collection<RollupCoverageDocument>(ROLLUPS_COLLECTION).findOne({ _id: ROLLUP_COVERAGE_ID }),
    );
    const value: RollupCoverage =
      doc === null
        ? { complete: false, reason: 'no worker with stats rollups has started on this store yet' }
        : doc.complete
          ? { complete: true }
          : {
              complete: false,
              reason:
                doc.note ??
                'events stored before the worker kept rollups are not counted; stop the workers and run npm run stats:rebuild',
            };
    this.cachedCoverage = { at: now, value };
    return value;
  }
}
