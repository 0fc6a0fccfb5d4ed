import { randomUUID } from 'node:crypto';
import {
  ACTIVITIES_COLLECTION,
  ACTIVITY_INDEXES,
  IDENTITY_LINK_FIELD,
  identityLinkOf,
  SOURCE_ACTIVITY_INDEXES,
  type ActivityType,
} from '@uap/shared/contract';
import { detectStoreServer, FerretDbTables, storeLabel } from '@uap/shared/runtime';
import type { Connection } from 'mongoose';
import pino from 'pino';
import request from 'supertest';
import {
  dropDatabase,
  integrationStore,
  requiredFerretDbPostgresUrl,
  storeIsFerretDb,
  testDatabase,
} from '../../../../test/support/integration';
import { createApp } from '../../app';
import { InMemoryActivityReader, matchesFilters } from '../../testing/in-memory-activity.reader';
import { InMemoryIdentityReader } from '../../testing/in-memory-identity.reader';
import { IngestActivityUseCase } from '../../application/ingest-activity.use-case';
import type { ActivityReader, ActivityRecord } from '../../application/ports/activity-reader.port';
import type { IdentityReader } from '../../application/ports/identity-reader.port';
import { UserProfileUseCase } from '../../application/user-profile.use-case';
import { QueryActivitiesUseCase, type CursorPageInfo } from '../../application/query-activities.use-case';
import {
  compareByKeyset,
  type ActivityFilters,
  type ActivityListQuery,
  type KeysetPosition,
  type SortOrder,
} from '../../domain/activity-query';
import { TEST_APP_CONFIG, TEST_INGEST_CONFIG, TEST_RECEIPTS } from '../../testing/test-app';
import { Pool } from 'pg';
import { planNodes } from '../../../../test/support/sql-plans';
import { buildPageSql, FerretDbPostgresActivityReader } from '../postgres/ferretdb-postgres-activity.reader';
import { FerretDbPostgresIdentityReader } from '../postgres/ferretdb-postgres-identity.reader';
import { buildFindPlan, MongoActivityReader } from './mongo-activity.reader';
import { MongoIdentityReader } from './mongo-identity.reader';

const BASE = Date.parse('2026-01-01T00:00:00.000Z');
const USERS = ['u0', 'u1', 'u2', 'u3', 'u4'];
const TYPES: ActivityType[] = ['LOGIN', 'LOGOUT', 'SEARCH', 'PAGE_VIEW', 'CLICK'];
const SEED_EVENTS = 2_500;
// FerretDB answers each page by scanning the collection; full walks take tens of seconds on a busy machine.
const WALK_TIMEOUT_MS = 180_000;

/**
 * The same suites run against every reader of the port. The SQL reader reads FerretDB's PostgreSQL tables,
 * so it applies only when the store is FerretDB; there it must be tested, and a missing
 * FERRETDB_POSTGRES_URL fails the suite (requiredFerretDbPostgresUrl says how to provide it).
 */
interface ReaderUnderTest {
  name: string;
  /** Why the reader cannot run against this store; undefined when it applies. */
  notApplicable?: string;
  open(db: Connection): Promise<ActivityReader & { close?(): Promise<void> }>;
}

const READERS: ReaderUnderTest[] = [
  { name: 'MongoActivityReader', open: async (db) => new MongoActivityReader(db) },
  {
    name: 'FerretDbPostgresActivityReader',
    ...(storeIsFerretDb()
      ? {}
      : {
          notApplicable: `the store is ${integrationStore()}, not FerretDB on PostgreSQL: there are no tables to read`,
        }),
    open: (db) =>
      FerretDbPostgresActivityReader.connect({
        url: requiredFerretDbPostgresUrl(),
        database: db.name,
        queryTimeoutMs: 30_000,
      }),
  },
];
const APPLICABLE = READERS.filter((r) => r.notApplicable === undefined);

/** Deterministic pseudo-random numbers, so a failing comparison can be replayed. */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** Two sources send 60 % of the events; keys bound to none the rest. */
const sourceOf = (draw: number): Pick<ActivityRecord, 'sourceId'> =>
  draw < 0.4 ? { sourceId: 'web' } : draw < 0.6 ? { sourceId: 'ios' } : {};

/** The worker's document shape. Timestamps fall in 500 one-second buckets, so many events share an instant. */
function seedDocuments(count: number, random: () => number, start = BASE): ActivityRecord[] {
  return Array.from({ length: count }, () => {
    const occurredAt = new Date(start + Math.floor(random() * 500) * 1000);
    // Skewed: u0 gets about half of the events, so user filters differ in selectivity.
    const user = USERS[random() < 0.5 ? 0 : 1 + Math.floor(random() * 4)]!;
    const type = TYPES[Math.floor(random() * TYPES.length)]!;
    return {
      eventId: randomUUID(),
      userId: user,
      type,
      occurredAt,
      receivedAt: new Date(occurredAt.getTime() + 50),
      persistedAt: new Date(occurredAt.getTime() + 120),
      ...(random() < 0.5 ? { sessionId: `s-${user}` } : {}),
      metadata: type === 'SEARCH' ? { query: 'shoes' } : { nested: { depth: 2 } },
      context: { ip: '10.0.0.1', userAgent: 'seed' },
      schemaVersion: 1,
      ...sourceOf(random()),
    };
  });
}

/** Many events at one instant, of every user and type: pages and range bounds must split this tie exactly. */
function tieBurst(count: number, at: Date, random: () => number): ActivityRecord[] {
  return seedDocuments(count, random).map((r) => ({ ...r, occurredAt: at }));
}

async function seedStore(db: Connection, records: ActivityRecord[]): Promise<void> {
  const collection = db.collection(ACTIVITIES_COLLECTION);
  for (const index of ACTIVITY_INDEXES) {
    await collection.createIndex({ ...index.key }, { name: index.name, ...(index.unique ? { unique: true } : {}) });
  }
  // As the worker does on MongoDB (FerretDB refuses partial indexes).
  if (!storeIsFerretDb()) {
    for (const { name, key, partialFilterExpression } of SOURCE_ACTIVITY_INDEXES) {
      await collection.createIndex(
        { ...key },
        { name, ...(partialFilterExpression ? { partialFilterExpression } : {}) },
      );
    }
  }
  // Copies: the driver adds _id to the objects it inserts.
  await collection.insertMany(
    records.map((r) => ({ ...r })),
    { ordered: false },
  );
}

function bruteForce(records: ActivityRecord[], filters: ActivityFilters, sort: SortOrder): ActivityRecord[] {
  return records.filter((r) => matchesFilters(r, filters)).sort((a, b) => compareByKeyset(a, b, sort));
}

const ids = (records: ActivityRecord[]) => records.map((r) => r.eventId);

async function cursorWalk(
  queries: QueryActivitiesUseCase,
  query: Omit<ActivityListQuery, 'pagination'>,
  betweenPages: (last: KeysetPosition) => Promise<void> = async () => undefined,
): Promise<ActivityRecord[]> {
  const seen: ActivityRecord[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 1_000; pages++) {
    const result = await queries.list({ ...query, pagination: { mode: 'cursor', ...(cursor ? { cursor } : {}) } });
    seen.push(...result.data);
    const page = result.page as CursorPageInfo;
    expect(result.data.length).toBeLessThanOrEqual(query.limit);
    if (!page.hasMore) return seen;
    expect(result.data).toHaveLength(query.limit);
    cursor = page.nextCursor!;
    await betweenPages(result.data[result.data.length - 1]!);
  }
  throw new Error('the cursor walk did not end within 1000 pages');
}

// Boundaries land exactly on occupied buckets, so inclusive from and exclusive to are both exercised.
const FROM = new Date(BASE + 120 * 1000);
const TO = new Date(BASE + 377 * 1000);
const RANGES: Array<[string, Pick<ActivityFilters, 'from' | 'to'>]> = [
  ['no range', {}],
  ['from', { from: FROM }],
  ['to', { to: TO }],
  ['from+to', { from: FROM, to: TO }],
];
const SELECTIONS: Array<[string, Pick<ActivityFilters, 'userId' | 'types' | 'sourceId'>]> = [
  ['no filter', {}],
  ['userId', { userId: 'u1' }],
  ['sourceId', { sourceId: 'web' }],
  ['one type', { types: ['SEARCH'] }],
  ['two types', { types: ['LOGIN', 'CLICK'] }],
  ['userId + one type', { userId: 'u0', types: ['LOGOUT'] }],
  ['userId + two types', { userId: 'u2', types: ['PAGE_VIEW', 'SEARCH'] }],
];

for (const { name, notApplicable } of READERS.filter((r) => r.notApplicable !== undefined)) {
  describe(name, () => {
    it('when the store is not FerretDB, then this reader does not apply and its suites are not run', () => {
      expect(storeIsFerretDb()).toBe(false);
      console.warn(`${name}: NOT run: ${notApplicable}`);
    });
  });
}

describe.each(APPLICABLE)('$name against the real store', ({ name, open }) => {
  let db: Connection;
  let records: ActivityRecord[];
  let reader: ActivityReader & { close?(): Promise<void> };
  let queries: QueryActivitiesUseCase;

  beforeAll(async () => {
    db = await testDatabase('queries');
    const random = lcg(42);
    records = [
      ...seedDocuments(SEED_EVENTS, random),
      ...tieBurst(40, FROM, random),
      ...tieBurst(40, new Date(TO.getTime() - 1000), random),
    ];
    await seedStore(db, records);
    reader = await open(db);
    queries = new QueryActivitiesUseCase({ reader });
  });

  afterAll(async () => {
    await reader?.close?.();
    await dropDatabase(db);
  });

  it('when the seed is inspected, then it has equal timestamps and events on both range boundaries', () => {
    const instants = new Set(records.map((r) => r.occurredAt.getTime()));
    expect(instants.size).toBeLessThan(records.length / 3);
    expect(records.some((r) => r.occurredAt.getTime() === FROM.getTime())).toBe(true);
    expect(records.some((r) => r.occurredAt.getTime() === TO.getTime())).toBe(true);
  });

  // One test per selection and sort keeps each well inside the test timeout on a slow store.
  it.each(
    SELECTIONS.flatMap(([name, selection]) =>
      (['desc', 'asc'] as const).map((sort) => [name, sort, selection] as const),
    ),
  )(
    'when walking every range with cursors (%s, %s), then the pages equal the brute-force result',
    async (_, sort, selection) => {
      for (const [, range] of RANGES) {
        const filters = { ...selection, ...range };
        const walked = await cursorWalk(queries, { filters, sort, limit: 100 });
        const expected = bruteForce(records, filters, sort);
        expect(expected.length).toBeGreaterThan(0);
        // Full records: proves the mapping (Dates, optional sessionId) as well as order and membership.
        expect(walked).toEqual(expected);
      }
    },
    WALK_TIMEOUT_MS,
  );

  it(
    'when walking one user with a small page size, then equal timestamps split across pages lose nothing',
    async () => {
      const filters = { userId: 'u3' };
      const walked = await cursorWalk(queries, { filters, sort: 'desc', limit: 7 });
      expect(ids(walked)).toEqual(ids(bruteForce(records, filters, 'desc')));
    },
    WALK_TIMEOUT_MS,
  );

  // The range starts inside a 40-event tie and pages of 6 split it, in both directions, with one or two types.
  it.each(
    (['desc', 'asc'] as const).flatMap((sort) =>
      [{}, { types: ['LOGIN', 'CLICK', 'SEARCH'] as ActivityType[] }].map((types) => [sort, types] as const),
    ),
  )(
    'when walking a tie at the range bounds with tiny pages (%s, %j), then every event comes once, in order',
    async (sort, types) => {
      const filters: ActivityFilters = { ...types, from: FROM, to: new Date(FROM.getTime() + 3_000) };
      const walked = await cursorWalk(queries, { filters, sort, limit: 6 });
      const expected = bruteForce(records, filters, sort);
      expect(expected.filter((r) => r.occurredAt.getTime() === FROM.getTime()).length).toBeGreaterThan(12);
      expect(ids(walked)).toEqual(ids(expected));
    },
    WALK_TIMEOUT_MS,
  );

  it.each([
    ['no filter, desc', {}, 'desc', 100],
    ['userId + two types + range, asc', { userId: 'u0', types: ['LOGIN', 'SEARCH'], from: FROM, to: TO }, 'asc', 13],
    ['one type + from, desc', { types: ['CLICK'], from: FROM }, 'desc', 50],
    ['two types, asc', { types: ['LOGIN', 'CLICK'] }, 'asc', 17],
    ['three types + from+to, desc', { types: ['LOGOUT', 'SEARCH', 'PAGE_VIEW'], from: FROM, to: TO }, 'desc', 9],
    ['userId + to, desc', { userId: 'u1', to: TO }, 'desc', 11],
    [
      'sourceId + two types + range, asc',
      { sourceId: 'ios', types: ['LOGIN', 'SEARCH'], from: FROM, to: TO },
      'asc',
      13,
    ],
  ] as Array<[string, ActivityFilters, SortOrder, number]>)(
    'when paging by offset (%s), then the pages follow the cursor order and report total and totalPages',
    async (_, filters, sort, limit) => {
      const expected = bruteForce(records, filters, sort);
      const totalPages = Math.ceil(expected.length / limit);
      const collected: ActivityRecord[] = [];
      for (let page = 1; page <= totalPages + 1; page++) {
        const result = await queries.list({ filters, sort, limit, pagination: { mode: 'offset', page } });
        expect(result.page).toEqual({
          limit,
          page,
          total: expected.length,
          totalPages,
          totalIsExact: true,
          hasMore: page < totalPages,
        });
        collected.push(...result.data);
      }
      expect(ids(collected)).toEqual(ids(expected));
    },
    WALK_TIMEOUT_MS,
  );

  it('when counting past upTo, then the total is upTo and marked as not exact; below it, exact', async () => {
    const count = await reader.count({}, 100);
    // MongoDB counts from the index and stays exact; the SQL reader stops at upTo.
    if (name === 'MongoActivityReader') expect(count).toEqual({ total: records.length, exact: true });
    else expect(count).toEqual({ total: 100, exact: false });
    const u4 = bruteForce(records, { userId: 'u4', types: ['SEARCH'] }, 'asc').length;
    expect(await reader.count({ userId: 'u4', types: ['SEARCH'] }, 10_001)).toEqual({ total: u4, exact: true });
  });

  it('when counting by type in one query, then each type equals a brute-force count; past upTo the SQL reader says not exact', async () => {
    const [from, to] = [records[40]!.occurredAt, records[400]!.occurredAt].sort((a, b) => a.getTime() - b.getTime());
    for (const filters of [
      { from, to },
      { from, to, types: ['SEARCH', 'LOGOUT'] as ActivityType[] },
    ]) {
      const expected: Partial<Record<ActivityType, number>> = {};
      for (const r of bruteForce(records, filters, 'asc')) expected[r.type] = (expected[r.type] ?? 0) + 1;
      expect(await reader.countByType(filters, 10_001)).toEqual({ counts: expected, exact: true });
    }
    const capped = await reader.countByType({}, 100);
    if (name === 'MongoActivityReader') expect(capped.exact).toBe(true);
    else expect(capped).toEqual({ counts: expect.any(Object), exact: false });
  });

  it('when looking up by eventId, then the stored event comes back without _id; an unknown id gives null', async () => {
    const target = records[17]!;
    const found = await reader.findByEventId(target.eventId);
    expect(found).toEqual(target);
    expect(Object.keys(found!)).not.toContain('_id');
    expect(await reader.findByEventId(randomUUID())).toBeNull();
  });

  it('when listing over HTTP, then dates are ISO strings and no _id or __v appears', async () => {
    const app = createApp({
      logger: pino({ level: 'silent' }),
      ingest: new IngestActivityUseCase(TEST_INGEST_CONFIG, {
        publisher: { publish: async () => [] },
        receipts: TEST_RECEIPTS,
      }),
      queries,
      readiness: [],
      config: TEST_APP_CONFIG,
    });
    const res = await request(app).get('/api/v1/users/u4/activities?type=SEARCH,LOGIN&limit=5&sort=asc').expect(200);
    const body = res.body as { data: Array<Record<string, unknown>>; page: CursorPageInfo };
    const expected = bruteForce(records, { userId: 'u4', types: ['SEARCH', 'LOGIN'] }, 'asc').slice(0, 5);

    expect(body.data.map((d) => d['eventId'])).toEqual(ids(expected));
    expect(body.data[0]!['occurredAt']).toBe(expected[0]!.occurredAt.toISOString());
    expect(res.text).not.toMatch(/"_id"|"__v"/);
    expect(body.page.hasMore).toBe(true);
  });

  if (name === 'FerretDbPostgresActivityReader') {
    it('when every shape is explained in PostgreSQL, then each is an index scan with no sort: the SQL uses the read columns and their indexes', async () => {
      // One connection, so the SET below applies to every EXPLAIN.
      const pg = new Pool({ connectionString: requiredFerretDbPostgresUrl(), max: 1 });
      try {
        const table = await new FerretDbTables(pg).tableOf(db.name, ACTIVITIES_COLLECTION);
        expect(table).toBeDefined();
        // A 2,600-row table may be scanned faster than searched; forbidding scans and sorts asks whether an
        // index CAN serve each query, which fails when an expression does not match FerretDB's index.
        await pg.query('SET enable_seqscan = off');
        await pg.query('SET enable_sort = off');
        const offenders: string[] = [];
        const positions = [undefined, { occurredAt: FROM, eventId: records[0]!.eventId }];
        for (const [selectionName, selection] of SELECTIONS) {
          for (const [rangeName, range] of RANGES) {
            for (const sort of ['desc', 'asc'] as const) {
              for (const after of positions) {
                for (const skip of after ? [0] : [0, 200]) {
                  const query = buildPageSql(table!, {
                    filters: { ...selection, ...range },
                    sort,
                    limit: 21,
                    skip,
                    ...(after ? { after } : {}),
                  });
                  const nodes = planNodes(await pg.query(`EXPLAIN (FORMAT JSON) ${query.text}`, query.values));
                  const bad = nodes.filter((n) => n.startsWith('Seq Scan') || n === 'Sort' || n === 'Incremental Sort');
                  if (bad.length > 0)
                    offenders.push(
                      `${selectionName}, ${rangeName}, ${sort}, ${after ? 'after' : `skip ${skip}`}: ${bad.join(', ')}`,
                    );
                }
              }
            }
          }
        }
        const byId = await pg.query(
          `EXPLAIN (FORMAT JSON) SELECT _jsonb FROM ${table!} WHERE (_jsonb -> 'eventId') = $1::jsonb`,
          [JSON.stringify(records[0]!.eventId)],
        );
        if (planNodes(byId).some((n) => n.startsWith('Seq Scan'))) offenders.push('by eventId');
        expect(offenders).toEqual([]);
      } finally {
        await pg.end();
      }
    });
  }

  if (name === 'MongoActivityReader')
    it('when the store is real MongoDB, then explain() shows no COLLSCAN for any query shape (on FerretDB: the server is asserted and the check is reported as not run)', async () => {
      const server = await detectStoreServer(db.db!);
      if (server.kind === 'FerretDB') {
        // FerretDB executes queries through its SQL backend; its explain has no Mongo plan stages to check.
        expect(server.version).toMatch(/^v\d+\./);
        const explained = await db
          .collection(ACTIVITIES_COLLECTION)
          .find({ userId: 'u1' })
          .sort({ occurredAt: -1, eventId: -1 })
          .explain();
        expect(JSON.stringify(explained)).not.toMatch(/COLLSCAN|IXSCAN/);
        console.warn(
          `store is ${storeLabel(server)}: the MongoDB-only explain() check for COLLSCAN was NOT run; ` +
            'index coverage rests on activity-index-coverage.test.ts',
        );
        return;
      }

      const positions = [undefined, { occurredAt: FROM, eventId: records[0]!.eventId }];
      const scans: string[] = [];
      for (const [selectionName, selection] of SELECTIONS) {
        for (const [rangeName, range] of RANGES) {
          for (const sort of ['desc', 'asc'] as const) {
            for (const after of positions) {
              const plan = buildFindPlan({
                filters: { ...selection, ...range },
                sort,
                limit: 21,
                ...(after ? { after } : {}),
              });
              const explained = await db
                .collection(ACTIVITIES_COLLECTION)
                .find(plan.filter)
                .sort(plan.sort)
                .limit(plan.limit)
                .explain('queryPlanner');
              const winning = JSON.stringify((explained['queryPlanner'] as Record<string, unknown>)['winningPlan']);
              if (winning.includes('COLLSCAN'))
                scans.push(`${selectionName}, ${rangeName}, ${sort}, ${after ? 'after' : 'first'}`);
            }
          }
        }
      }
      const byId = await db
        .collection(ACTIVITIES_COLLECTION)
        .find({ eventId: records[0]!.eventId })
        .explain('queryPlanner');
      if (JSON.stringify(byId['queryPlanner']).includes('COLLSCAN')) scans.push('by eventId');
      expect(scans).toEqual([]);
    });
});

describe.each(APPLICABLE)('$name: cursor walks while events are being inserted', ({ open }) => {
  let db: Connection;
  let reader: ActivityReader & { close?(): Promise<void> };
  let queries: QueryActivitiesUseCase;
  let startRecords: ActivityRecord[];

  beforeAll(async () => {
    db = await testDatabase('queries_concurrent');
    startRecords = seedDocuments(800, lcg(7));
    await seedStore(db, startRecords);
    reader = await open(db);
    queries = new QueryActivitiesUseCase({ reader });
  });

  afterAll(async () => {
    await reader?.close?.();
    await dropDatabase(db);
  });

  it.each(['desc', 'asc'] as const)(
    'when new events arrive between pages (%s), then every event present at the start comes exactly once',
    async (sort) => {
      const random = lcg(sort === 'desc' ? 11 : 13);
      const collection = db.collection(ACTIVITIES_COLLECTION);
      let inserted = 0;
      const walked = await cursorWalk(queries, { filters: {}, sort, limit: 60 }, async (last) => {
        // Newer than the walk start, at the page boundary's exact instant, and late arrivals from the past.
        const batch = [
          ...seedDocuments(3, random, Date.now()),
          ...seedDocuments(3, random, last.occurredAt.getTime()).map((r) => ({ ...r, occurredAt: last.occurredAt })),
          ...seedDocuments(3, random, BASE - 600_000),
        ];
        await collection.insertMany(batch.map((r) => ({ ...r })));
        inserted += batch.length;
      });

      const walkedIds = ids(walked);
      expect(inserted).toBeGreaterThan(0);
      expect(new Set(walkedIds).size).toBe(walkedIds.length);
      const present = new Set(walkedIds);
      expect(startRecords.filter((r) => !present.has(r.eventId))).toEqual([]);
      // The walk never goes backwards, whatever was inserted.
      for (let i = 1; i < walked.length; i++) expect(compareByKeyset(walked[i - 1]!, walked[i]!, sort)).toBeLessThan(0);
    },
  );
});

/**
 * Identities on the real store, both readers: a user's history (its events and those of the anonymous ids it linked
 * first), the links and the IDENTIFY events, compared with the in-memory fakes that state the rules by brute force.
 * The seed has what makes them hard: events after login carrying the anonymousId too (the history's walks overlap),
 * an id linked by two users (the earlier link wins, ties by eventId), links stored after the events they link, and
 * another user's events on a linked browser.
 */
describe.each(APPLICABLE)('$name: identities against the real store', ({ name, open }) => {
  let db: Connection;
  let reader: ActivityReader & { close?(): Promise<void> };
  let identities: IdentityReader;
  let queries: QueryActivitiesUseCase;
  const at = (second: number) => new Date(BASE + second * 1000);
  let n = 0;
  const event = (second: number, fields: Partial<ActivityRecord>): ActivityRecord => ({
    // Ordered ids, so ties at one instant are broken as the test says.
    eventId: `00000000-0000-4000-8000-${(n++).toString(16).padStart(12, '0')}`,
    type: 'PAGE_VIEW',
    occurredAt: at(second),
    receivedAt: at(second),
    metadata: {},
    context: {},
    schemaVersion: 1,
    ...fields,
  });
  const records: ActivityRecord[] = [
    // a1: alice's browser, visited, identified, then used logged in; bob used it later.
    ...Array.from({ length: 30 }, (_, i) => event(i, { anonymousId: 'a1' })),
    event(40, { userId: 'alice', anonymousId: 'a1', type: 'IDENTIFY', metadata: { plan: 'free', email: 'a@x.io' } }),
    ...Array.from({ length: 30 }, (_, i) => event(41 + i, { userId: 'alice', anonymousId: 'a1', type: 'CLICK' })),
    event(80, { userId: 'bob', anonymousId: 'a1', type: 'LOGIN' }),
    // a2: alice's phone, linked by an alias stored before its visits were.
    event(90, { userId: 'alice', anonymousId: 'a2', type: 'ALIAS' }),
    ...Array.from({ length: 10 }, (_, i) => event(5 + i, { anonymousId: 'a2', type: 'SCREEN' })),
    // a3: linked by bob first, by alice later: bob's.
    event(20, { anonymousId: 'a3' }),
    event(21, { userId: 'bob', anonymousId: 'a3', type: 'IDENTIFY', metadata: { plan: 'team' } }),
    event(95, { userId: 'alice', anonymousId: 'a3', type: 'IDENTIFY', metadata: { plan: 'pro' } }),
    // a4: linked by alice and bob at the same instant: the smaller eventId, alice's, wins.
    event(50, { userId: 'alice', anonymousId: 'a4', type: 'IDENTIFY', metadata: {} }),
    event(50, { userId: 'bob', anonymousId: 'a4', type: 'IDENTIFY', metadata: {} }),
    event(51, { anonymousId: 'a4' }),
    // alice's own REST events, without anonymousId.
    ...Array.from({ length: 20 }, (_, i) =>
      event(i * 5, { userId: 'alice', type: 'SEARCH', metadata: { query: 'q' } }),
    ),
  ];
  const oracle = () =>
    new QueryActivitiesUseCase({
      reader: new InMemoryActivityReader(records),
      identities: new InMemoryIdentityReader(records),
    });

  beforeAll(async () => {
    db = await testDatabase('identities');
    // As the worker stores them: the link field on links only.
    await seedStore(
      db,
      records.map((r) => {
        const link = identityLinkOf(r);
        return link === undefined ? r : { ...r, [IDENTITY_LINK_FIELD]: link };
      }) as ActivityRecord[],
    );
    reader = await open(db);
    identities =
      name === 'MongoActivityReader'
        ? new MongoIdentityReader(db)
        : new FerretDbPostgresIdentityReader(reader as FerretDbPostgresActivityReader);
    queries = new QueryActivitiesUseCase({ reader, identities });
  });

  afterAll(async () => {
    await reader?.close?.();
    await dropDatabase(db);
  });

  it('when the links are read, then each anonymous id belongs to the user of its earliest link', async () => {
    const fake = new InMemoryIdentityReader(records);
    for (const user of ['alice', 'bob', 'nobody']) {
      expect(await identities.linkedAnonymousIds(user)).toEqual(await fake.linkedAnonymousIds(user));
    }
    expect(await identities.linkedAnonymousIds('alice')).toEqual(['a1', 'a2', 'a4']);
    expect(await identities.linkedAnonymousIds('bob')).toEqual(['a3']);
  });

  it.each(['desc', 'asc'] as const)(
    'when a history is walked by cursor (%s), then it equals the brute-force history, each event once',
    async (sort) => {
      for (const user of ['alice', 'bob']) {
        const walk = async (useCase: QueryActivitiesUseCase) => {
          const seen: string[] = [];
          let cursor: string | undefined;
          for (let pages = 0; pages < 100; pages++) {
            const page = await useCase.listUserHistory(user, {
              filters: {},
              sort,
              limit: 7,
              pagination: { mode: 'cursor', ...(cursor ? { cursor } : {}) },
            });
            seen.push(...ids(page.data));
            cursor = (page.page as CursorPageInfo).nextCursor ?? undefined;
            if (!cursor) return seen;
          }
          throw new Error('the walk did not end');
        };
        const expected = await walk(oracle());
        expect(expected.length).toBeGreaterThan(user === 'alice' ? 90 : 3);
        expect(await walk(queries)).toEqual(expected);
      }
    },
  );

  it('when a history is paged by offset, filtered by type or counted, then it equals the brute-force history', async () => {
    for (const filters of [{}, { types: ['PAGE_VIEW', 'IDENTIFY'] }, { from: at(10), to: at(60) }]) {
      for (const page of [1, 3]) {
        const query: ActivityListQuery = { filters, sort: 'desc', limit: 9, pagination: { mode: 'offset', page } };
        const [actual, expected] = await Promise.all([
          queries.listUserHistory('alice', query),
          oracle().listUserHistory('alice', query),
        ]);
        expect(ids(actual.data)).toEqual(ids(expected.data));
        expect(actual.page).toEqual(expected.page);
      }
    }
  });

  it('when a visitor is listed (?anonymousId=), then its events come, whoever they name', async () => {
    const page = await reader.findPage({ filters: { anonymousId: 'a1' }, sort: 'desc', limit: 100 });
    expect(ids(page)).toEqual(ids(bruteForce(records, { anonymousId: 'a1' }, 'desc')));
    expect(page.filter((r) => r.userId === undefined)).toHaveLength(30);
  });

  it('when a profile is read, then it equals the one the fakes derive', async () => {
    const profileOf = (deps: { reader: ActivityReader; identities: IdentityReader }) =>
      new UserProfileUseCase(deps).profile('alice');
    const expected = await profileOf({
      reader: new InMemoryActivityReader(records),
      identities: new InMemoryIdentityReader(records),
    });
    expect(expected).toMatchObject({
      traits: { plan: 'pro', email: 'a@x.io' },
      firstSeen: at(0),
      anonymousIds: ['a1', 'a2', 'a4'],
    });
    expect(await profileOf({ reader, identities })).toEqual(expected);
  });
});
