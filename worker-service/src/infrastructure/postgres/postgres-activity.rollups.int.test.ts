import { BUILT_IN_ACTIVITY_TYPES, countsOf, type RollupEntry } from '@uap/shared/contract';
import type { Connection } from 'mongoose';
import { Pool } from 'pg';
import { MongoRollupEraser } from '../../../../api-service/src/infrastructure/mongo/mongo-erasure.store';
import { PostgresStatsRollups } from '../../../../api-service/src/infrastructure/postgres/postgres-stats.rollups';
import {
  dropDatabase,
  integrationStore,
  requiredFerretDbPostgresUrl,
  storeIsFerretDb,
  testDatabase,
} from '../../../../test/support/integration';
import { MongoActivityRollups } from '../mongo/mongo-activity.rollups';
import { PostgresActivityRollups } from './postgres-activity.rollups';

const HOUR = Date.parse('2026-05-01T10:00:00.000Z');

/** `count` entries of one partition at consecutive offsets, spread over two hours and every type. */
function entriesOf(partition: number, count: number): RollupEntry[] {
  return Array.from({ length: count }, (_, offset) => ({
    partition,
    offset,
    occurredAt: new Date(HOUR + ((offset * 7_919) % 7_200) * 1_000),
    type: BUILT_IN_ACTIVITY_TYPES[offset % BUILT_IN_ACTIVITY_TYPES.length]!,
  }));
}

/** Applies a partition's entries in chunks of `size`, the way a worker does, from `startAt`. */
async function consume(
  rollups: { apply: PostgresActivityRollups['apply'] },
  entries: RollupEntry[],
  size: number,
  startAt = 0,
) {
  for (let start = startAt; start < entries.length; start += size) {
    const chunk = entries.slice(start, start + size);
    await rollups.apply(chunk[0]!.partition, chunk, chunk[chunk.length - 1]!.offset);
  }
}

/**
 * The worker's rollup adapter and the api's erasure of it, on the real store: MongoDB documents, or the
 * PostgreSQL tables beside FerretDB. Totals per type are read back and compared with the entries given.
 */
function describeRollups(
  name: string,
  setUp: (db: Connection) => Promise<{
    writer: () => { apply: PostgresActivityRollups['apply'] };
    totals: () => Promise<Map<string, number>>;
    erase: (entries: RollupEntry[]) => Promise<void>;
    close: () => Promise<void>;
  }>,
) {
  describe(name, () => {
    let db: Connection;
    let store: Awaited<ReturnType<typeof setUp>>;
    beforeAll(async () => {
      db = await testDatabase('stats_rollups');
      // The database (a PostgreSQL schema on FerretDB) exists once it holds a collection.
      await db.createCollection('activities');
      store = await setUp(db);
    });
    afterAll(async () => {
      await store?.close();
      await dropDatabase(db);
    });

    it('when members race on the same partitions with other chunk boundaries, and two partitions share hours, then every entry is counted exactly once', async () => {
      const p0 = entriesOf(0, 1_200);
      const p1 = entriesOf(1, 900);
      // Offsets are committed only after their chunk is counted, so a member (re)starts at a counted point.
      await consume(store.writer(), p0.slice(0, 300), 50);
      // Then a rebalance's overlap: two members on partition 0 from the committed offset, with other chunk
      // boundaries, a third replaying from an earlier counted point, and partition 1 into the same hours.
      await Promise.all([
        consume(store.writer(), p0, 50, 300),
        consume(store.writer(), p0, 70, 300),
        consume(store.writer(), p0, 33, 150),
        consume(store.writer(), p1, 40),
        consume(store.writer(), p1, 40),
      ]);
      const expected = new Map<string, number>();
      for (const e of [...p0, ...p1]) expected.set(e.type, (expected.get(e.type) ?? 0) + 1);
      expect(await store.totals()).toEqual(expected);
    });

    it('when events are erased, counted or not yet counted, twice over, then each leaves the counts once and a later redelivery does not bring it back', async () => {
      const before = await store.totals();
      const p2 = entriesOf(2, 100);
      await consume(store.writer(), p2.slice(0, 60), 20);
      // 0-9 counted already, 90-99 not yet: both erased, the erasure run twice (a repeated DELETE).
      const erased = [...p2.slice(0, 10), ...p2.slice(90)];
      await store.erase(erased);
      await store.erase(erased);
      await consume(store.writer(), p2, 25);
      const expected = new Map(before);
      for (const e of p2.slice(10, 90)) expected.set(e.type, (expected.get(e.type) ?? 0) + 1);
      expect(await store.totals()).toEqual(expected);
    });
  });
}

if (!storeIsFerretDb()) {
  describeRollups('stats rollups in MongoDB documents', async (db) => {
    const rollups = new MongoActivityRollups(() => db.db!);
    await rollups.prepare(async () => false);
    return {
      writer: () => new MongoActivityRollups(() => db.db!),
      totals: async () => {
        const totals = new Map<string, number>();
        for (const doc of await db
          .db!.collection('activity_rollups')
          .find({ day: { $exists: true } })
          .toArray()) {
          for (const [type, minutes] of countsOf(doc as never)) {
            totals.set(type, (totals.get(type) ?? 0) + minutes.reduce((a, b) => a + b, 0));
          }
        }
        return totals;
      },
      erase: (entries) => new MongoRollupEraser(db).remove(entries),
      close: async () => undefined,
    };
  });
  describe('stats rollups in PostgreSQL', () => {
    it('when the store is not FerretDB, then the PostgreSQL rollups do not apply and are not run', () => {
      console.warn(`postgres-activity.rollups: NOT run: the store is ${integrationStore()}, not FerretDB`);
      expect(storeIsFerretDb()).toBe(false);
    });
  });
} else {
  describeRollups('stats rollups in PostgreSQL beside FerretDB', async (db) => {
    const url = requiredFerretDbPostgresUrl();
    const writers: PostgresActivityRollups[] = [];
    const first = PostgresActivityRollups.connect(url, db.name);
    writers.push(first);
    await first.prepare(async () => false);
    const api = new PostgresStatsRollups(new Pool({ connectionString: url, max: 2 }), db.name);
    return {
      writer: () => {
        const writer = PostgresActivityRollups.connect(url, db.name);
        writers.push(writer);
        return writer;
      },
      totals: async () => {
        const totals = new Map<string, number>();
        for (const { type, minutes } of await api.hours(new Date(0), new Date(HOUR + 86_400_000))) {
          totals.set(type, (totals.get(type) ?? 0) + minutes.reduce((a, b) => a + b, 0));
        }
        return totals;
      },
      erase: (entries) => api.remove(entries),
      close: async () => {
        await Promise.all(writers.map((w) => w.close()));
        await api.close();
      },
    };
  });
}
