import {
  ACTIVITIES_COLLECTION,
  ACTIVITY_INDEXES,
  DEAD_LETTER_INDEXES,
  DEAD_LETTERS_COLLECTION,
  IDENTITY_ACTIVITY_INDEXES,
  INSIGHTS_BLOCK_BITS,
  INSIGHTS_SQL_TABLES,
  type IndexSpec,
  type RollupEntry,
} from '@uap/shared/contract';
import { FerretDbTables, quoteIdentifier } from '@uap/shared/runtime';
import type { Connection } from 'mongoose';
import { Pool } from 'pg';
import {
  dropDatabase,
  integrationStore,
  requiredFerretDbPostgresUrl,
  storeIsFerretDb,
  testDatabase,
} from '../../../../test/support/integration';
import { plansWithoutSeqScan, seqScans } from '../../../../test/support/sql-plans';
import { PostgresActivityRollups } from '../../../../worker-service/src/infrastructure/postgres/postgres-activity.rollups';
import { MongoUserDataEraser } from '../mongo/mongo-erasure.store';
import { ensureReadColumns } from './ferretdb-layout';
import {
  actorActivitiesSql,
  anonymousActor,
  deleteActorActivitiesSql,
  deleteActorLettersSql,
  FerretDbPostgresUserDataEraser,
  userActor,
} from './ferretdb-postgres-user-data.eraser';

const HOUR = 3_600_000;
const AT = Date.parse('2026-05-01T00:00:00.000Z');

const activities = Array.from({ length: 30 }, (_, i) => ({
  eventId: `ev-${String(i).padStart(2, '0')}`,
  userId: `u${i % 3}`,
  type: i % 2 === 0 ? 'LOGIN' : 'CLICK',
  occurredAt: new Date(AT + i * HOUR),
  // The last three were received after the erasure was asked for: they stay.
  receivedAt: new Date(AT + (i < 27 ? i : 100) * HOUR),
  ...(i === 3 ? {} : { sourcePartition: i % 2, sourceOffset: 500 + i }),
  schemaVersion: 1,
  metadata: {},
  context: {},
}));
/** A user all of whose events were received before the erasure: nothing of theirs is left after it. */
const departed = Array.from({ length: 3 }, (_, i) => ({
  eventId: `gone-${i}`,
  userId: 'u9',
  type: 'SEARCH',
  occurredAt: new Date(AT + i * 24 * HOUR),
  receivedAt: new Date(AT + i * HOUR),
  sourcePartition: 3,
  sourceOffset: 700 + i,
  schemaVersion: 1,
  metadata: {},
  context: {},
}));
/**
 * What anonymous visitors did: a0 and a1 without a userId (the last of each received after the erasure), and a1 on
 * u1's events too, which are u1's. The erasure of a user who linked a0 and a1 takes the anonymous ones before it.
 */
const anonymous = Array.from({ length: 12 }, (_, i) => ({
  eventId: `an-${String(i).padStart(2, '0')}`,
  ...(i % 4 === 3 ? { userId: 'u1' } : {}),
  anonymousId: `a${i % 2}`,
  type: 'PAGE_VIEW',
  occurredAt: new Date(AT + i * HOUR),
  receivedAt: new Date(AT + (i < 10 ? i : 100) * HOUR),
  sourcePartition: 2,
  sourceOffset: 900 + i,
  schemaVersion: 1,
  metadata: {},
  context: {},
}));
const letters = [
  ...Array.from({ length: 6 }, (_, i) => ({
    letterId: `0:${i}`,
    userId: `u${i % 3}`,
    failedAt: new Date(AT + (i < 5 ? i : 100) * HOUR),
  })),
  { letterId: '1:0', anonymousId: 'a0', failedAt: new Date(AT) },
  { letterId: '1:1', anonymousId: 'a1', failedAt: new Date(AT + 100 * HOUR) },
  { letterId: '1:2', userId: 'u1', anonymousId: 'a1', failedAt: new Date(AT) },
];

async function createIndexes(db: Connection, name: string, indexes: readonly IndexSpec[]): Promise<void> {
  for (const { name: indexName, key, unique, partialFilterExpression } of indexes) {
    await db.collection(name).createIndex(
      { ...key },
      {
        name: indexName,
        ...(unique ? { unique: true } : {}),
        ...(partialFilterExpression ? { partialFilterExpression } : {}),
      },
    );
  }
}

async function seed(db: Connection): Promise<void> {
  await createIndexes(db, ACTIVITIES_COLLECTION, ACTIVITY_INDEXES);
  await createIndexes(db, DEAD_LETTERS_COLLECTION, DEAD_LETTER_INDEXES);
  // As the worker creates them: on MongoDB only (FerretDB refuses partial indexes; the api adds its own in SQL).
  if (!storeIsFerretDb()) await createIndexes(db, ACTIVITIES_COLLECTION, IDENTITY_ACTIVITY_INDEXES);
  await db
    .collection(ACTIVITIES_COLLECTION)
    .insertMany([...activities, ...anonymous, ...departed].map((a) => ({ ...a })));
  await db.collection(DEAD_LETTERS_COLLECTION).insertMany(letters.map((l) => ({ ...l })));
}

// The wire eraser's deletions, on either store (on FerretDB it is the path without FERRETDB_POSTGRES_URL).
describe(`erasure on ${integrationStore()}: MongoUserDataEraser`, () => {
  let db: Connection;
  let eraser: MongoUserDataEraser;
  beforeAll(async () => {
    db = await testDatabase('erasure_wire');
    await seed(db);
    eraser = new MongoUserDataEraser(db);
  });
  afterAll(async () => dropDatabase(db));

  it('when a user and the anonymous ids they linked are erased, then exactly their events and letters received before go', async () => {
    const before = new Date(AT + 50 * HOUR);
    const erasable = [
      ...activities.filter((a) => a.userId === 'u1' && a.receivedAt < before),
      ...anonymous.filter((a) => a.receivedAt < before && (!('userId' in a) || a.userId === 'u1')),
    ];

    const visitors = await eraser.deleteAnonymous(['a0', 'a1'], before);
    const user = await eraser.deleteUser('u1', before);

    expect(visitors).toEqual({ activities: 8, deadLetters: 1 });
    expect(user).toEqual({ activities: erasable.length - 8, deadLetters: 3 });
    const left = await db
      .collection(ACTIVITIES_COLLECTION)
      .find({}, { projection: { _id: 0, eventId: 1 } })
      .toArray();
    expect(left.map((d) => d['eventId'] as string).sort()).toEqual(
      [...activities, ...anonymous, ...departed]
        .filter((a) => !erasable.includes(a))
        .map((a) => a.eventId)
        .sort(),
    );
    const letterIds = await db.collection(DEAD_LETTERS_COLLECTION).distinct('letterId', {});
    expect(letterIds.sort()).toEqual(['0:0', '0:2', '0:3', '0:5', '1:1']);
  });
});

if (!storeIsFerretDb()) {
  describe(`erasure on ${integrationStore()}: MongoUserDataEraser's queries`, () => {
    let db: Connection;
    beforeAll(async () => {
      db = await testDatabase('erasure_mongo');
      await seed(db);
    });
    afterAll(async () => dropDatabase(db));

    it('when each query of the erasure is explained, then MongoDB serves it from a userId or anonymousId index (no COLLSCAN)', async () => {
      const before = new Date(AT + 50 * HOUR);
      // The filters of MongoUserDataEraser: the user's, and the anonymous ids' without a userId.
      const anonymousIds = { anonymousId: { $in: ['a0', 'a1'] }, userId: { $exists: false } };
      const shapes: Array<[string, string, Record<string, unknown>, string]> = [
        ['find the user’s events', ACTIVITIES_COLLECTION, { userId: 'u1', receivedAt: { $lt: before } }, 'userId'],
        ['delete a chunk', ACTIVITIES_COLLECTION, { userId: 'u1', eventId: { $in: ['ev-01', 'ev-04'] } }, ''],
        ['delete the user’s letters', DEAD_LETTERS_COLLECTION, { userId: 'u1', failedAt: { $lt: before } }, 'userId'],
        [
          'find the anonymous ids’ events',
          ACTIVITIES_COLLECTION,
          { ...anonymousIds, receivedAt: { $lt: before } },
          'anonymousId_occurredAt_eventId',
        ],
        ['delete an anonymous chunk', ACTIVITIES_COLLECTION, { ...anonymousIds, eventId: { $in: ['an-00'] } }, ''],
        [
          'delete the anonymous ids’ letters',
          DEAD_LETTERS_COLLECTION,
          { ...anonymousIds, failedAt: { $lt: before } },
          'anonymousId_failedAt_letterId',
        ],
      ];
      const scans: string[] = [];
      for (const [name, collection, filter, index] of shapes) {
        const plan = JSON.stringify(
          (await db.collection(collection).find(filter).explain('queryPlanner'))['queryPlanner'],
        );
        if (plan.includes('COLLSCAN') || !plan.includes(index)) scans.push(name);
      }
      expect(scans).toEqual([]);
    });
  });
} else {
  describe('erasure through FerretDB’s PostgreSQL', () => {
    let db: Connection;
    let eraser: FerretDbPostgresUserDataEraser;
    const removed: RollupEntry[] = [];

    beforeAll(async () => {
      db = await testDatabase('erasure_sql');
      await seed(db);
      // The read columns and indexes, as the api adds them (the eraser too, before its first statement).
      const pg = new Pool({ connectionString: requiredFerretDbPostgresUrl(), max: 1 });
      await ensureReadColumns(pg, (await new FerretDbTables(pg).lookUp(db.name, ACTIVITIES_COLLECTION))!);
      await pg.end();
      eraser = FerretDbPostgresUserDataEraser.connect({
        url: requiredFerretDbPostgresUrl(),
        database: db.name,
        rollups: { remove: async (entries) => void removed.push(...entries) },
      });
      // The active-user bitmaps of the stored events, as the worker left them.
      worker = PostgresActivityRollups.connect(requiredFerretDbPostgresUrl(), db.name);
      await worker.prepare(async () => false);
      const stored = [...activities, ...anonymous, ...departed];
      await worker.apply(
        9,
        stored.map((a, i) => ({
          partition: 9,
          offset: i,
          occurredAt: a.occurredAt,
          type: a.type,
          ...('userId' in a && a.userId !== undefined ? { userId: a.userId } : {}),
        })),
        stored.length - 1,
      );
      bitmapsBefore = await bitmapUsers();
    });

    afterAll(async () => {
      await eraser?.close();
      await worker?.close();
      await dropDatabase(db);
    });

    let worker: PostgresActivityRollups;
    let bitmapsBefore: Record<string, string[]>;
    const table = (name: string) => `${quoteIdentifier(db.name)}.${quoteIdentifier(name)}`;
    const sql = async <R extends Record<string, unknown>>(text: string): Promise<R[]> => {
      const pg = new Pool({ connectionString: requiredFerretDbPostgresUrl(), max: 1 });
      try {
        return (await pg.query<R>(text)).rows;
      } finally {
        await pg.end();
      }
    };
    /** The bitmaps decoded: per `day|type`, the sorted userIds whose bit is set. */
    async function bitmapUsers(): Promise<Record<string, string[]>> {
      const users = await sql<{ user_id: string; n: number }>(
        `SELECT user_id, n FROM ${table(INSIGHTS_SQL_TABLES.users)}`,
      );
      const byNumber = new Map(users.map((r) => [r.n, r.user_id]));
      const rows = await sql<{ day: string; type: string; block: number; bits: string }>(
        `SELECT to_char(day, 'YYYY-MM-DD') AS day, type, block, bits::text AS bits FROM ${table(INSIGHTS_SQL_TABLES.days)}`,
      );
      const result: Record<string, string[]> = {};
      for (const row of rows) {
        for (let bit = row.bits.indexOf('1'); bit >= 0; bit = row.bits.indexOf('1', bit + 1)) {
          const n = row.block * INSIGHTS_BLOCK_BITS + bit;
          (result[`${row.day}|${row.type}`] ??= []).push(byNumber.get(n) ?? `(no user numbered ${n})`);
        }
      }
      for (const key of Object.keys(result)) {
        result[key]!.sort();
        if (result[key]!.length === 0) delete result[key];
      }
      return result;
    }
    /** The bitmaps without `userId`, plus what `kept` (its remaining events) sets. */
    function withoutUser(
      bitmaps: Record<string, string[]>,
      userId: string,
      kept: ReadonlyArray<{ occurredAt: Date; type: string }> = [],
    ) {
      const result: Record<string, string[]> = {};
      for (const [key, users] of Object.entries(bitmaps)) {
        const others = users.filter((u) => u !== userId);
        if (others.length > 0) result[key] = others;
      }
      for (const { occurredAt, type } of kept) {
        const key = `${occurredAt.toISOString().slice(0, 10)}|${type}`;
        result[key] = [...new Set([...(result[key] ?? []), userId])].sort();
      }
      return result;
    }

    it('when every statement is explained with sequential scans forbidden, then each starts from the userId or anonymous id index', async () => {
      const pg = new Pool({ connectionString: requiredFerretDbPostgresUrl(), max: 1 });
      const tables = new FerretDbTables(pg);
      const events = (await tables.tableOf(db.name, ACTIVITIES_COLLECTION))!;
      const deadLetters = (await tables.tableOf(db.name, DEAD_LETTERS_COLLECTION))!;
      await pg.end();
      const before = new Date(AT + 50 * HOUR);
      const user = userActor('u1');
      const visitors = anonymousActor(['a0', 'a1']);
      const plans = await plansWithoutSeqScan(requiredFerretDbPostgresUrl(), {
        'find the user’s events': actorActivitiesSql(events, user, before),
        'delete a chunk': deleteActorActivitiesSql(events, user, ['ev-01', 'ev-04']),
        'delete the user’s letters': deleteActorLettersSql(deadLetters, user, before),
        'find the anonymous ids’ events': actorActivitiesSql(events, visitors, before),
        'delete an anonymous chunk': deleteActorActivitiesSql(events, visitors, ['an-00', 'an-02']),
        'delete the anonymous ids’ letters': deleteActorLettersSql(deadLetters, visitors, before),
      });
      expect(seqScans(plans)).toEqual([]);
      expect(plans['find the user’s events']!.join()).toMatch(/Index Scan using \w+_userid_\w+_idx/);
      expect(plans['delete the user’s letters']!.join()).toMatch(/Index Scan using \w+_userid_\w+_idx/);
      // The api's partial index over anonymousId (FerretDB has none of its own on activities), and FerretDB's on letters.
      expect(plans['find the anonymous ids’ events']!.join()).toMatch(/Index Scan using \w+_uap_anonymous_idx/);
      expect(plans['delete the anonymous ids’ letters']!.join()).toMatch(/Index Scan using \w+_anonymousid_\w+_idx/);
    });

    it('when a user is erased, then exactly their events and letters received before the request go, and the rollups lose those with positions', async () => {
      const deleted = await eraser.deleteUser('u0', new Date(AT + 50 * HOUR));

      const erasable = activities.filter((a) => a.userId === 'u0' && a.receivedAt.getTime() < AT + 50 * HOUR);
      expect(deleted).toEqual({ activities: erasable.length, deadLetters: 2 });
      const left = await db
        .collection(ACTIVITIES_COLLECTION)
        .find({}, { projection: { _id: 0, eventId: 1 } })
        .toArray();
      expect(left.map((d) => d['eventId'] as string).sort()).toEqual(
        [...activities.filter((a) => !erasable.includes(a)), ...anonymous, ...departed].map((a) => a.eventId).sort(),
      );
      expect(await db.collection(DEAD_LETTERS_COLLECTION).countDocuments({ userId: 'u0' })).toBe(0);
      // ev-03 was stored without a position: it cannot be told apart in the rollups (docs/guarantees.md: stats).
      expect(removed.map((e) => `${e.partition}:${e.offset}:${e.type}:${e.occurredAt.getTime()}`).sort()).toEqual(
        erasable
          .filter((a) => a.eventId !== 'ev-03')
          .map((a) => `${a.sourcePartition}:${a.sourceOffset}:${a.type}:${a.occurredAt.getTime()}`)
          .sort(),
      );
    });

    it('when the same user is erased again, then nothing more is deleted', async () => {
      expect(await eraser.deleteUser('u0', new Date(AT + 50 * HOUR))).toEqual({ activities: 0, deadLetters: 0 });
    });

    it('when a user is erased, then their bit is cleared where only erased events set it, and set where events received after remain', async () => {
      // u0 was erased above: only ev-27 (received after the request) is left, a CLICK of 2026-05-02.
      const kept = activities.filter((a) => a.userId === 'u0' && a.receivedAt.getTime() >= AT + 50 * HOUR);
      expect(kept.map((a) => a.eventId)).toEqual(['ev-27']);
      expect(bitmapsBefore['2026-05-01|LOGIN']).toContain('u0');
      expect(await bitmapUsers()).toEqual(withoutUser(bitmapsBefore, 'u0', kept));
      expect(await sql(`SELECT 1 FROM ${table(INSIGHTS_SQL_TABLES.users)} WHERE user_id = 'u0'`)).toHaveLength(1);
    });

    it('when a user with no event left is erased, then their number goes, and a late chunk of their new events numbers them afresh, counted once', async () => {
      const [{ n: before }] = (await sql<{ n: number }>(
        `SELECT n FROM ${table(INSIGHTS_SQL_TABLES.users)} WHERE user_id = 'u9'`,
      )) as [{ n: number }];
      const bitmaps = await bitmapUsers();

      await eraser.deleteUser('u9', new Date(AT + 50 * HOUR));

      expect(await bitmapUsers()).toEqual(withoutUser(bitmaps, 'u9'));
      expect(await sql(`SELECT 1 FROM ${table(INSIGHTS_SQL_TABLES.users)} WHERE user_id = 'u9'`)).toEqual([]);
      // Then u9 comes back: an event received after the erasure, on a day u9 had an erased event.
      const comeback = { partition: 9, offset: 500, occurredAt: departed[1]!.occurredAt, type: 'SEARCH', userId: 'u9' };
      await worker.apply(9, [comeback], 500);
      const [{ n: after }] = (await sql<{ n: number }>(
        `SELECT n FROM ${table(INSIGHTS_SQL_TABLES.users)} WHERE user_id = 'u9'`,
      )) as [{ n: number }];
      expect(after).not.toBe(before);
      expect(await bitmapUsers()).toEqual(withoutUser(bitmaps, 'u9', [comeback]));
    });

    it('when the anonymous ids a user linked are erased, then exactly their events and letters without a userId received before go, and the rollups lose them', async () => {
      removed.length = 0;
      const before = new Date(AT + 50 * HOUR);
      const erasable = anonymous.filter((a) => !('userId' in a) && a.receivedAt < before);

      const deleted = await eraser.deleteAnonymous(['a0', 'a1'], before);

      expect(deleted).toEqual({ activities: erasable.length, deadLetters: 1 });
      const left = await db
        .collection(ACTIVITIES_COLLECTION)
        .find({ anonymousId: { $exists: true } }, { projection: { _id: 0, eventId: 1 } })
        .toArray();
      expect(left.map((d) => d['eventId'] as string).sort()).toEqual(
        anonymous
          .filter((a) => !erasable.includes(a))
          .map((a) => a.eventId)
          .sort(),
      );
      const letterIds = await db
        .collection(DEAD_LETTERS_COLLECTION)
        .distinct('letterId', { anonymousId: { $exists: true } });
      expect(letterIds.sort()).toEqual(['1:1', '1:2']);
      expect(removed.map((e) => e.offset).sort()).toEqual(erasable.map((a) => a.sourceOffset).sort());
      expect(await eraser.deleteAnonymous(['a0', 'a1'], before)).toEqual({ activities: 0, deadLetters: 0 });
    });
  });
}
