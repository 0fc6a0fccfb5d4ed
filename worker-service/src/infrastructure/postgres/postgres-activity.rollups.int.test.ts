import {
  BUILT_IN_ACTIVITY_TYPES,
  activeUserBlocks,
  countsOf,
  dayIdOf,
  INSIGHTS_BLOCK_BITS,
  INSIGHTS_SQL_TABLES,
  type RollupEntry,
} from '@uap/shared/contract';
import { quoteIdentifier } from '@uap/shared/runtime';
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

/** Users of `count` entries of one partition: `u<k>` over `users` users (the given order), every third anonymous. */
function withUsers(entries: RollupEntry[], users: readonly string[]): RollupEntry[] {
  return entries.map((e, i) => (i % 3 === 2 ? e : { ...e, userId: users[i % users.length]! }));
}

/** Per `day|type`, the sorted userIds with an entry there: what the bitmaps must hold. */
function expectedUsers(entries: readonly RollupEntry[]): Record<string, string[]> {
  const sets = new Map<string, Set<string>>();
  for (const e of entries) {
    if (e.userId === undefined) continue;
    const key = `${dayIdOf(e.occurredAt)}|${e.type}`;
    if (!sets.has(key)) sets.set(key, new Set());
    sets.get(key)!.add(e.userId);
  }
  return Object.fromEntries([...sets].map(([key, users]) => [key, [...users].sort()]));
}

if (storeIsFerretDb()) {
  describe('active-user bitmaps in PostgreSQL beside FerretDB', () => {
    let db: Connection;
    let pg: Pool;
    const writers: PostgresActivityRollups[] = [];
    const writer = () => {
      const rollups = PostgresActivityRollups.connect(requiredFerretDbPostgresUrl(), db.name);
      writers.push(rollups);
      return rollups;
    };
    const table = (name: string) => `${quoteIdentifier(db.name)}.${quoteIdentifier(name)}`;

    /** The bitmaps decoded: per `day|type`, the sorted userIds whose bit is set. */
    async function bitmapUsers(): Promise<Record<string, string[]>> {
      const users = await pg.query<{ user_id: string; n: number }>(
        `SELECT user_id, n FROM ${table(INSIGHTS_SQL_TABLES.users)}`,
      );
      const byNumber = new Map(users.rows.map((r) => [r.n, r.user_id]));
      const rows = await pg.query<{ day: string; type: string; block: number; bits: string }>(
        `SELECT to_char(day, 'YYYY-MM-DD') AS day, type, block, bits::text AS bits FROM ${table(INSIGHTS_SQL_TABLES.days)}`,
      );
      const result: Record<string, string[]> = {};
      for (const row of rows.rows) {
        for (let bit = row.bits.indexOf('1'); bit >= 0; bit = row.bits.indexOf('1', bit + 1)) {
          const n = row.block * INSIGHTS_BLOCK_BITS + bit;
          (result[`${row.day}|${row.type}`] ??= []).push(byNumber.get(n) ?? `(no user numbered ${n})`);
        }
      }
      for (const list of Object.values(result)) list.sort();
      return result;
    }

    beforeAll(async () => {
      db = await testDatabase('insights_rollups');
      await db.createCollection('activities');
      pg = new Pool({ connectionString: requiredFerretDbPostgresUrl(), max: 2 });
      const coverage = await writer().prepare(async () => false);
      expect(coverage.complete).toBe(true);
    });
    afterAll(async () => {
      await Promise.all(writers.map((w) => w.close()));
      await pg?.end();
      if (db) await dropDatabase(db);
    });

    it('when the store was empty at creation, then the insights coverage row is complete, and a later prepare leaves it so', async () => {
      const rollups = writer();
      await rollups.prepare(async () => true);
      expect((await rollups.insightsCoverage()).complete).toBe(true);
    });

    it('when two partitions race to number the same new users in other orders, with members replaying chunks, then each user gets one number and every bit is set once', async () => {
      const users = Array.from({ length: 300 }, (_, k) => `user-${k}`);
      const p0 = withUsers(entriesOf(0, 900), users);
      const p1 = withUsers(entriesOf(1, 900), [...users].reverse());
      await Promise.all([
        consume(writer(), p0, 40),
        consume(writer(), p0, 70),
        consume(writer(), p1, 50),
        consume(writer(), p1, 33),
      ]);
      const numbers = await pg.query<{ users: number; numbers: number }>(
        `SELECT count(*)::int AS users, count(DISTINCT n)::int AS numbers FROM ${table(INSIGHTS_SQL_TABLES.users)}`,
      );
      expect(numbers.rows[0]).toEqual({ users: 300, numbers: 300 });
      expect(await bitmapUsers()).toEqual(expectedUsers([...p0, ...p1]));
    });

    it('when chunks are redelivered, with the same or other boundaries, then no bitmap or user row is written again', async () => {
      const versions = async () =>
        (
          await pg.query<{ v: string }>(
            `SELECT string_agg(xmin::text, ',' ORDER BY day, type, block) AS v FROM ${table(INSIGHTS_SQL_TABLES.days)}`,
          )
        ).rows[0]!.v +
        (
          await pg.query<{ v: string }>(
            `SELECT string_agg(xmin::text, ',' ORDER BY n) AS v FROM ${table(INSIGHTS_SQL_TABLES.users)}`,
          )
        ).rows[0]!.v;
      const before = await versions();
      const bitmaps = await bitmapUsers();
      const users = Array.from({ length: 300 }, (_, k) => `user-${k}`);
      await consume(writer(), withUsers(entriesOf(0, 900), users), 90);
      await consume(writer(), withUsers(entriesOf(1, 900), [...users].reverse()), 25, 100);
      expect(await versions()).toBe(before);
      expect(await bitmapUsers()).toEqual(bitmaps);
    });

    it('when a chunk holds erased (gone) events, then they set no bit, and the others do', async () => {
      const before = await bitmapUsers();
      const late = entriesOf(3, 20).map((e, i) => ({
        ...e,
        occurredAt: new Date(HOUR + 40 * 86_400_000),
        userId: `late-${i % 2}`,
      }));
      // late-0's events (even offsets) were erased before their chunk came: recorded as gone by the api's eraser.
      const api = new PostgresStatsRollups(pg, db.name);
      await api.remove(late.filter((e) => e.userId === 'late-0'));
      await consume(writer(), late, 20);
      expect(await bitmapUsers()).toEqual({ ...before, ...expectedUsers(late.filter((e) => e.userId === 'late-1')) });
    });

    it('when the rollups are rebuilt from stored events, then users are numbered afresh, the bitmaps hold exactly them, and the coverage is complete', async () => {
      const stored = withUsers(entriesOf(5, 500), ['x', 'y', 'z', 'late-1']);
      const rollups = writer();
      await pg.query(`UPDATE ${table('uap_stats_coverage')} SET complete = false WHERE id = 2`);
      await rollups.replaceAll([], new Map(), activeUserBlocks(stored));
      expect(await bitmapUsers()).toEqual(expectedUsers(stored));
      expect((await rollups.insightsCoverage()).complete).toBe(true);
      // Numbered in order of first appearance (the third entry is anonymous); the next user a worker meets gets the
      // next number.
      await consume(writer(), [{ ...entriesOf(6, 1)[0]!, userId: 'after-rebuild' }], 1);
      const numbers = await pg.query<{ user_id: string; n: number }>(
        `SELECT user_id, n FROM ${table(INSIGHTS_SQL_TABLES.users)} ORDER BY n`,
      );
      expect(numbers.rows.map((r) => `${r.n}:${r.user_id}`)).toEqual([
        '0:x',
        '1:y',
        '2:late-1',
        '3:z',
        '4:after-rebuild',
      ]);
    });
  });
}
