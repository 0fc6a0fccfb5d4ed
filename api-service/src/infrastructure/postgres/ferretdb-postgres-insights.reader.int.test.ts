import { seededRandom } from '@uap/shared/testing';
import {
  ACTIVITIES_COLLECTION,
  ACTIVITY_INDEXES,
  INSIGHTS_SQL_TABLES,
  STATS_SQL_TABLES,
  type ActivityEvent,
  type ActivityType,
  type RollupEntry,
} from '@uap/shared/contract';
import { FerretDbTables, quoteIdentifier, type FerretDbTable } from '@uap/shared/runtime';
import type { Connection } from 'mongoose';
import { Pool, type QueryResult } from 'pg';
import {
  dropDatabase,
  integrationStore,
  requiredFerretDbPostgresUrl,
  storeIsFerretDb,
  testDatabase,
} from '../../../../test/support/integration';
import { planNodes } from '../../../../test/support/sql-plans';
import { toActivityDocument } from '../../../../worker-service/src/infrastructure/mongo/mongo-activity.repository';
import {
  activeUsersChunkSql,
  PostgresActivityRollups,
  statsTables,
} from '../../../../worker-service/src/infrastructure/postgres/postgres-activity.rollups';
import type {
  ActiveUsersRequest,
  FunnelEvent,
  FunnelEventsRequest,
  InsightBucket,
  InsightValue,
  TopValuesRequest,
} from '../../application/ports/insights-reader.port';
import { ensureReadColumns } from './ferretdb-layout';
import { FerretDbPostgresActivityReader } from './ferretdb-postgres-activity.reader';
import {
  buildActiveUsersSql,
  buildFunnelEventsSql,
  buildTopValuesSql,
  FerretDbPostgresInsightsReader,
} from './ferretdb-postgres-insights.reader';
import { activeUserErasureSql } from './ferretdb-postgres-user-data.eraser';

const DAY = 86_400_000;
/** A Monday: weeks and a month's end (March → April) fall inside the 40 days. */
const BASE = Date.parse('2026-03-02T00:00:00.000Z');
const TYPES: ActivityType[] = ['SIGNUP', 'SEARCH', 'PAGE_VIEW', 'PURCHASE', 'LOGIN'];
/** Scalars and not: strings, numbers (1 and 1.0 one value), booleans; null, objects and arrays are not counted. */
const QUERIES: unknown[] = [
  'shoes',
  'hats',
  'Shoes',
  'é',
  'b',
  'a b',
  7,
  1,
  1.0,
  2.5,
  true,
  false,
  null,
  { x: 1 },
  ['x'],
];

function generate(count: number): ActivityEvent[] {
  const next = seededRandom(29);
  return Array.from({ length: count }, (_, i) => {
    const anonymous = next() < 0.15;
    const metadata: Record<string, unknown> = {};
    const q = Math.floor(next() * (QUERIES.length + 3));
    if (q < QUERIES.length) metadata['query'] = QUERIES[q];
    if (next() < 0.5) metadata['page'] = { path: `/p${Math.floor(next() * 6)}` };
    const occurredAt = new Date(BASE + Math.floor(next() * 40 * DAY));
    return {
      schemaVersion: 1,
      eventId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      ...(anonymous ? { anonymousId: `anon-${i % 40}` } : { userId: `user-${Math.floor(next() * 120)}` }),
      type: TYPES[Math.floor(next() * TYPES.length)]!,
      occurredAt: occurredAt.toISOString(),
      receivedAt: occurredAt.toISOString(),
      metadata,
      context: { ip: '127.0.0.1', userAgent: 'jest' },
    } as ActivityEvent;
  });
}

// The brute force: what each answer must be, from the events alone.

function bucketStart(day: number, bucket: InsightBucket): number {
  const at = new Date(day);
  if (bucket === 'week') return day - ((at.getUTCDay() + 6) % 7) * DAY;
  if (bucket === 'month') return Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1);
  return day;
}

function bruteActiveUsers(events: readonly ActivityEvent[], request: ActiveUsersRequest) {
  const inRange = events.filter((e) => {
    const at = Date.parse(e.occurredAt);
    return (
      e.userId !== undefined &&
      at >= request.from.getTime() &&
      at < request.to.getTime() &&
      (request.types === undefined || request.types.includes(e.type))
    );
  });
  const group = (key: (e: ActivityEvent) => number) => {
    const sets = new Map<number, Set<string>>();
    for (const e of inRange) {
      const k = key(e);
      if (!sets.has(k)) sets.set(k, new Set());
      sets.get(k)!.add(e.userId!);
    }
    return [...sets].sort(([a], [b]) => a - b).map(([start, users]) => ({ start: new Date(start), users: users.size }));
  };
  const dayOf = (e: ActivityEvent) => Math.floor(Date.parse(e.occurredAt) / DAY) * DAY;
  return {
    buckets: group((e) => bucketStart(dayOf(e), request.bucket)),
    days: group(dayOf),
    total: new Set(inRange.map((e) => e.userId)).size,
  };
}

function valueAt(event: ActivityEvent, field: TopValuesRequest['field']): unknown {
  if (field === 'userId') return event.userId;
  if (field === 'type') return event.type;
  return field
    .split('.')
    .slice(1)
    .reduce<unknown>(
      (value, key) =>
        value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined,
      event.metadata,
    );
}

const isScalar = (value: unknown): value is InsightValue =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

function bruteTopValues(events: readonly ActivityEvent[], request: TopValuesRequest) {
  const counts = new Map<string, { value: InsightValue; count: number }>();
  let counted = 0;
  for (const e of events) {
    const at = Date.parse(e.occurredAt);
    if (at < request.from.getTime() || at >= request.to.getTime()) continue;
    if (request.types !== undefined && !request.types.includes(e.type)) continue;
    if (request.userId !== undefined && e.userId !== request.userId) continue;
    const value = valueAt(e, request.field);
    if (!isScalar(value)) continue;
    counted++;
    const key = JSON.stringify(value);
    counts.set(key, { value, count: (counts.get(key)?.count ?? 0) + 1 });
  }
  const sorted = [...counts.values()].sort((a, b) => b.count - a.count);
  const boundary = sorted[request.limit - 1]?.count ?? 0;
  return { values: sorted.filter((v) => v.count >= boundary), counted, distinct: counts.size };
}

function bruteFunnelEvents(events: readonly ActivityEvent[], request: FunnelEventsRequest): FunnelEvent[] {
  return events
    .filter((e) => {
      const at = Date.parse(e.occurredAt);
      return (
        e.userId !== undefined &&
        (request.userId === undefined || e.userId === request.userId) &&
        request.types.includes(e.type) &&
        at >= request.from.getTime() &&
        at < request.to.getTime()
      );
    })
    .map((e) => {
      const values: Record<string, InsightValue> = {};
      for (const field of request.fields) {
        const value = valueAt(e, field);
        if (isScalar(value)) values[field] = value;
      }
      return { userId: e.userId!, type: e.type, occurredAt: Date.parse(e.occurredAt), eventId: e.eventId, values };
    });
}

const byValue = (values: ReadonlyArray<{ value: InsightValue; count: number }>) =>
  [...values].map((v) => `${JSON.stringify(v.value)}=${v.count}`).sort();
const byEventId = (events: readonly FunnelEvent[]) => [...events].sort((a, b) => (a.eventId < b.eventId ? -1 : 1));

const ROWS = 1_000_000;
const USERS = 50_000;
const PLAN_BASE = Date.parse('2026-01-01T00:00:00.000Z');
const PLAN_TYPES: ActivityType[] = [
  'LOGIN',
  'LOGOUT',
  'SEARCH',
  'CLICK',
  'PAGE_VIEW',
  'PURCHASE',
  'SIGNUP',
  'SCREEN',
  'IDENTIFY',
  'TRACK',
  'ADD_TO_CART',
  'CHECKOUT',
];

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function analyzed(result: QueryResult): { nodes: string[]; ms: number } {
  const [root] = (result.rows[0] as { 'QUERY PLAN': Array<{ Plan: PlanNode; 'Execution Time': number }> })[
    'QUERY PLAN'
  ];
  return { nodes: planNodes(result), ms: root!['Execution Time'] };
}

if (!storeIsFerretDb()) {
  describe('insights by SQL on FerretDB', () => {
    it('when the store is not FerretDB, then the SQL insights reader does not apply and is not run', () => {
      console.warn(`ferretdb-postgres-insights.reader: NOT run: the store is ${integrationStore()}, not FerretDB`);
      expect(storeIsFerretDb()).toBe(false);
    });
  });
} else {
  describe('insights by SQL on FerretDB: answers against a brute force', () => {
    const events = generate(4_000);
    let db: Connection;
    let reader: FerretDbPostgresActivityReader;
    let insights: FerretDbPostgresInsightsReader;
    let rollups: PostgresActivityRollups;

    beforeAll(async () => {
      db = await testDatabase('insights_sql');
      const collection = db.collection(ACTIVITIES_COLLECTION);
      for (const index of ACTIVITY_INDEXES) {
        await collection.createIndex({ ...index.key }, { name: index.name, ...(index.unique ? { unique: true } : {}) });
      }
      rollups = PostgresActivityRollups.connect(requiredFerretDbPostgresUrl(), db.name);
      await rollups.prepare(async () => false);
      // Stored as the worker stores them, over two partitions, and rolled up chunk by chunk as it does.
      const offsets = [0, 0];
      const copies = events.map((event, i) => ({ event, partition: i % 2, offset: String(offsets[i % 2]!++) }));
      await collection.insertMany(copies.map((copy) => toActivityDocument(copy, new Date())));
      for (const partition of [0, 1]) {
        const entries: RollupEntry[] = copies
          .filter((c) => c.partition === partition)
          .map(({ event, offset }) => ({
            partition,
            offset: Number(offset),
            occurredAt: new Date(event.occurredAt),
            type: event.type,
            ...(event.userId !== undefined ? { userId: event.userId } : {}),
          }));
        for (let start = 0; start < entries.length; start += 150) {
          const chunk = entries.slice(start, start + 150);
          await rollups.apply(partition, chunk, chunk[chunk.length - 1]!.offset);
        }
      }
      reader = await FerretDbPostgresActivityReader.connect({
        url: requiredFerretDbPostgresUrl(),
        database: db.name,
        queryTimeoutMs: 10_000,
      });
      insights = new FerretDbPostgresInsightsReader(reader, db.name);
    }, 120_000);

    afterAll(async () => {
      await reader?.close();
      await rollups?.close();
      if (db) await dropDatabase(db);
    });

    it.each<[string, Omit<ActiveUsersRequest, 'bucket'>]>([
      ['the whole range', { from: new Date(BASE - 3 * DAY), to: new Date(BASE + 41 * DAY) }],
      ['a range cutting weeks and March', { from: new Date(BASE + 2 * DAY), to: new Date(BASE + 33 * DAY) }],
      ['two types', { from: new Date(BASE), to: new Date(BASE + 40 * DAY), types: ['SEARCH', 'PURCHASE'] }],
      ['one day', { from: new Date(BASE + 5 * DAY), to: new Date(BASE + 6 * DAY), types: ['LOGIN'] }],
    ])(
      'when active users are asked over %s, then every bucket, day and the total are the brute force’s',
      async (_, range) => {
        for (const bucket of ['day', 'week', 'month'] as const) {
          const request = { ...range, bucket };
          expect(await insights.activeUsers(request)).toEqual({ ...bruteActiveUsers(events, request), exact: true });
        }
      },
    );

    it.each<[string, Omit<TopValuesRequest, 'from' | 'to'>]>([
      ['metadata.query', { field: 'metadata.query', limit: 3 }],
      ['metadata.query of SEARCH', { field: 'metadata.query', types: ['SEARCH'], limit: 5 }],
      ['a nested path of two types', { field: 'metadata.page.path', types: ['PAGE_VIEW', 'LOGIN'], limit: 2 }],
      ['type (anonymous events included)', { field: 'type', limit: 2 }],
      ['userId', { field: 'userId', limit: 10 }],
      ['one user’s queries', { field: 'metadata.query', userId: 'user-7', limit: 1 }],
    ])(
      'when the top values of %s are asked, then those at or above the limit-th count, counted and distinct are the brute force’s',
      async (_, shape) => {
        const request = { ...shape, from: new Date(BASE + 3 * DAY), to: new Date(BASE + 25 * DAY) };
        const answer = await insights.topValues(request);
        const expected = bruteTopValues(events, request);
        expect(expected.values.length).toBeGreaterThanOrEqual(Math.min(request.limit, expected.distinct));
        expect({ ...answer, values: byValue(answer.values) }).toEqual({
          ...expected,
          values: byValue(expected.values),
        });
      },
    );

    it('when a funnel’s events are asked, then they are exactly the brute force’s, with the scalar values of the fields', async () => {
      const request: FunnelEventsRequest = {
        types: ['SIGNUP', 'SEARCH', 'PURCHASE'],
        from: new Date(BASE + 4 * DAY),
        to: new Date(BASE + 18 * DAY),
        fields: ['metadata.query', 'metadata.page.path'],
        upTo: 100_000,
      };
      const expected = bruteFunnelEvents(events, request);
      expect(expected.length).toBeGreaterThan(500);
      expect(byEventId(await insights.funnelEvents(request))).toEqual(byEventId(expected));
      const one = { ...request, userId: 'user-3' };
      expect(byEventId(await insights.funnelEvents(one))).toEqual(byEventId(bruteFunnelEvents(events, one)));
    });

    it('when a funnel reads more events than allowed, then it stops at one past the cap', async () => {
      const request: FunnelEventsRequest = {
        types: TYPES,
        from: new Date(BASE),
        to: new Date(BASE + 40 * DAY),
        fields: [],
        upTo: 99,
      };
      expect(await insights.funnelEvents(request)).toHaveLength(100);
    });

    it('when the bitmaps do not cover every stored event, or do not exist, then active users say exact: false and why', async () => {
      const pg = new Pool({ connectionString: requiredFerretDbPostgresUrl(), max: 1 });
      const coverage = `${quoteIdentifier(db.name)}.${quoteIdentifier(STATS_SQL_TABLES.coverage)}`;
      const request: ActiveUsersRequest = { from: new Date(BASE), to: new Date(BASE + DAY), bucket: 'day' };
      try {
        await pg.query(`UPDATE ${coverage} SET complete = false WHERE id = 2`);
        const incomplete = await new FerretDbPostgresInsightsReader(reader, db.name).activeUsers(request);
        expect(incomplete).toMatchObject({ exact: false, inexactReason: expect.stringContaining('stats:rebuild') });
        await pg.query(`DROP TABLE ${quoteIdentifier(db.name)}.${quoteIdentifier(INSIGHTS_SQL_TABLES.days)}`);
        await pg.query(`DELETE FROM ${coverage} WHERE id = 2`);
        const missing = await new FerretDbPostgresInsightsReader(reader, db.name).activeUsers(request);
        expect(missing).toEqual({
          buckets: [],
          days: [],
          total: 0,
          exact: false,
          inexactReason: expect.stringContaining('no worker'),
        });
      } finally {
        await pg.end();
      }
    });
  });

  describePlansAtScale();
}

// ---- Plans and timings at a million events -------------------------------------------------------------------

function describePlansAtScale(): void {
  describe(`insights plans at ${ROWS.toLocaleString('en')} events and ${USERS.toLocaleString('en')} users (FerretDB SQL)`, () => {
    let db: Connection;
    let pool: Pool;
    let table: FerretDbTable;
    let reader: FerretDbPostgresActivityReader;
    let insights: FerretDbPostgresInsightsReader;
    const report: string[] = [];
    const to = new Date(PLAN_BASE + 30 * DAY);

    beforeAll(async () => {
      db = await testDatabase('insights_1m');
      pool = new Pool({ connectionString: requiredFerretDbPostgresUrl(), max: 2 });
      const collection = db.collection(ACTIVITIES_COLLECTION);
      for (const index of ACTIVITY_INDEXES) {
        await collection.createIndex({ ...index.key }, { name: index.name, ...(index.unique ? { unique: true } : {}) });
      }
      await collection.insertOne(
        toActivityDocument(
          {
            event: {
              schemaVersion: 1,
              eventId: 'template',
              userId: 'template',
              type: 'SEARCH',
              occurredAt: new Date(PLAN_BASE).toISOString(),
              receivedAt: new Date(PLAN_BASE).toISOString(),
              metadata: { query: 'template', results: 3 },
              context: { ip: '10.0.0.1', userAgent: 'seed' },
            },
            partition: 0,
            offset: '0',
          },
          new Date(PLAN_BASE),
        ),
      );
      table = (await new FerretDbTables(pool).lookUp(db.name, ACTIVITIES_COLLECTION))!;
      await ensureReadColumns(pool, table);
      const rollups = PostgresActivityRollups.connect(requiredFerretDbPostgresUrl(), db.name);
      await rollups.prepare(async () => false);
      await rollups.close();
      const client = await pool.connect();
      const started = performance.now();
      try {
        await client.query("SET statement_timeout = 0; SET maintenance_work_mem = '256MB'");
        // Filled without indexes, which are then built in bulk (row by row takes minutes).
        const { rows: indexes } = await client.query<{ name: string; definition: string }>(
          'SELECT indexname AS name, indexdef AS definition FROM pg_indexes WHERE schemaname = $1 AND tablename = $2',
          [table.schema, table.name],
        );
        for (const { name } of indexes) {
          await client.query(`DROP INDEX ${quoteIdentifier(table.schema)}.${quoteIdentifier(name)}`);
        }
        // Row i: user u<i % 50,000>, type i % 12, over 30 days in order; SEARCH queries q0…q499, skewed to the first.
        await client.query(
          `INSERT INTO ${table.qualified} (_jsonb)
           SELECT t._jsonb || jsonb_build_object(
                    '_id', lpad(to_hex(i), 24, '0'),
                    'eventId', '00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'),
                    'userId', 'u' || (i % $1::int),
                    'type', ($2::text[])[i % 12 + 1],
                    'occurredAt', $3::bigint + (i::bigint * ${30 * DAY}) / $4::int,
                    'sourceOffset', i,
                    'metadata', jsonb_build_object('query', 'q' || floor(500 * power(random(), 3))::int, 'results', i % 7))
             FROM generate_series(1, $4::int) AS i, (SELECT _jsonb FROM ${table.qualified}) AS t`,
          [USERS, PLAN_TYPES, PLAN_BASE, ROWS],
        );
        for (const { definition } of indexes) await client.query(definition);
        await client.query(`VACUUM (ANALYZE) ${table.qualified}`);
        // The bitmaps of those events, as the worker (or the rebuild) leaves them: user u<k> is number k.
        const t = statsTables(db.name);
        await client.query(`INSERT INTO ${t.users} SELECT 'u' || k, k FROM generate_series(0, $1::int - 1) AS k`, [
          USERS,
        ]);
        await client.query(
          `INSERT INTO ${t.days} (day, type, block, bits)
           SELECT d, ty, k / 8192, bit_or(set_bit(repeat('0', 8192)::bit(8192), k % 8192, 1))
             FROM (SELECT (to_timestamp((uap_occurred_at)::numeric / 1000) AT TIME ZONE 'UTC')::date AS d,
                          uap_type #>> '{}' AS ty, substr(uap_user_id #>> '{}', 2)::int AS k
                     FROM ${table.qualified} WHERE uap_user_id <> '"template"') AS e
            GROUP BY 1, 2, 3`,
        );
        await client.query(`ANALYZE ${t.users}; ANALYZE ${t.days}`);
      } finally {
        client.release();
      }
      report.push(`seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      reader = await FerretDbPostgresActivityReader.connect({
        url: requiredFerretDbPostgresUrl(),
        database: db.name,
        queryTimeoutMs: 30_000,
      });
      insights = new FerretDbPostgresInsightsReader(reader, db.name);
    }, 900_000);

    afterAll(async () => {
      if (report.length > 0) console.warn(`insights at ${ROWS} rows:\n${report.join('\n')}`);
      await reader?.close();
      await pool?.end();
      if (db) await dropDatabase(db);
    }, 120_000);

    const explain = async (statement: { text: string; values: unknown[] }, analyze = true) =>
      analyzed(
        await pool.query(`EXPLAIN (${analyze ? 'ANALYZE, ' : ''}FORMAT JSON) ${statement.text}`, statement.values),
      );
    const activitiesScans = (nodes: string[]) => nodes.filter((n) => n.startsWith(`Seq Scan on ${table.name}`));
    /** Median wall time of the reader's call (the statement, the rows' transfer and decoding), over 5 runs. */
    async function median(call: () => Promise<unknown>): Promise<number> {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        await call();
        times.push(performance.now() - started);
      }
      return times.sort((a, b) => a - b)[2]!;
    }

    it('when a chunk’s and an erasure’s statements are explained, then each starts from its index', async () => {
      const t = statsTables(db.name);
      const chunk = activeUsersChunkSql(t);
      const erasure = activeUserErasureSql(db.name, table.qualified);
      const users = Array.from({ length: 200 }, (_, i) => `u${i * 97}`);
      const plans: Record<string, string[]> = {
        'look up a chunk’s users': (await explain({ text: chunk.lookUpUsers, values: [users] })).nodes,
        'number new users (arbiter)': (await explain({ text: chunk.numberUsers, values: [['new-user']] }, false)).nodes,
        'set a chunk’s bits (arbiter)': (
          await explain({ text: chunk.setBits, values: [['2026-01-05'], ['SEARCH'], [4321]] }, false)
        ).nodes,
        'lock the erased user': (await explain({ text: erasure.lockUser.text, values: ['u4321'] })).nodes,
        'lock their block’s rows': (await explain({ text: erasure.lockBlock.text, values: [0, 4321] })).nodes,
        'clear their bit': (await explain({ text: erasure.clearBit.text, values: [0, 4321] }, false)).nodes,
        'their remaining events': (await explain({ text: erasure.remaining.text, values: ['"u4321"'] })).nodes,
        'forget the user': (await explain({ text: erasure.forgetUser.text, values: ['u4321'] }, false)).nodes,
      };
      const arbiters = async (text: string, values: unknown[]) =>
        JSON.stringify((await pool.query(`EXPLAIN (FORMAT JSON) ${text}`, values)).rows[0]);
      report.push(...Object.entries(plans).map(([name, nodes]) => `  ${name}: ${nodes.join(' > ')}`));
      expect(Object.values(plans).flatMap((nodes) => nodes.filter((n) => n.startsWith('Seq Scan')))).toEqual([]);
      expect(plans['look up a chunk’s users']!.join()).toMatch(/Scan( on \S+)? using uap_insights_users_pkey/);
      expect(plans['lock the erased user']!.join()).toMatch(/Scan( on \S+)? using uap_insights_users_pkey/);
      expect(plans['lock their block’s rows']!.join()).toMatch(/Scan( on \S+)? using uap_insights_days_block_idx/);
      expect(plans['clear their bit']!.join()).toMatch(/Scan( on \S+)? using uap_insights_days_block_idx/);
      expect(plans['their remaining events']!.join()).toMatch(/Scan( on \S+)? using \w+_uap_user_idx/);
      expect(plans['forget the user']!.join()).toMatch(/Scan( on \S+)? using uap_insights_users_pkey/);
      expect(await arbiters(chunk.numberUsers, [['new-user']])).toContain(
        '"Conflict Arbiter Indexes":["uap_insights_users_pkey"]',
      );
      expect(await arbiters(chunk.setBits, [['2026-01-05'], ['SEARCH'], [4321]])).toContain(
        '"Conflict Arbiter Indexes":["uap_insights_days_pkey"]',
      );
      expect(await arbiters(erasure.setBits.text, [['2026-01-05'], ['SEARCH'], 0, 4321])).toContain(
        '"Conflict Arbiter Indexes":["uap_insights_days_pkey"]',
      );
    });

    it('when active users by day over 30 days are read, then the bitmaps answer (no activities row read) and match the seed', async () => {
      const request: ActiveUsersRequest = { from: new Date(PLAN_BASE), to, bucket: 'day' };
      const plan = await explain(buildActiveUsersSql(db.name, request));
      const answer = await insights.activeUsers(request);
      report.push(
        `  active users by day, 30 days: EXPLAIN ANALYZE ${plan.ms.toFixed(1)} ms, reader call median ${(await median(() => insights.activeUsers(request))).toFixed(1)} ms`,
      );
      expect(plan.nodes.some((n) => n.includes(table.name))).toBe(false);
      // Every user is active over the month, and each day holds 1/30 of the rows, over all users in turn.
      expect(answer.total).toBe(USERS);
      expect(answer.days).toHaveLength(30);
      expect(answer.exact).toBe(true);
      const week = await insights.activeUsers({ ...request, bucket: 'week', types: ['SEARCH', 'CLICK'] });
      // User k's rows are i ≡ k (mod 50,000), so their types i mod 12 are ≡ k (mod 4): SEARCH (2) and CLICK (3) are
      // the types of the users k ≡ 2 or 3 (mod 4).
      expect(week.total).toBe(USERS / 2);
    });

    it('when the top 25 over 24 h are read, then each walks an index range of the activities (no Seq Scan)', async () => {
      const from = new Date(PLAN_BASE + 10 * DAY);
      const shapes: Record<string, TopValuesRequest> = {
        'metadata.query of SEARCH': {
          field: 'metadata.query',
          types: ['SEARCH'],
          from,
          to: new Date(+from + DAY),
          limit: 25,
        },
        type: { field: 'type', from, to: new Date(+from + DAY), limit: 25 },
        userId: { field: 'userId', from, to: new Date(+from + DAY), limit: 25 },
      };
      for (const [name, request] of Object.entries(shapes)) {
        const plan = await explain(buildTopValuesSql(table.qualified, request));
        report.push(
          `  top 25 ${name}, 24 h: EXPLAIN ANALYZE ${plan.ms.toFixed(1)} ms, reader call median ${(await median(() => insights.topValues(request))).toFixed(1)} ms; ${plan.nodes.filter((n) => n.includes(table.name)).join(', ')}`,
        );
        expect(activitiesScans(plan.nodes)).toEqual([]);
        expect(plan.nodes.join()).toMatch(/Scan( on \S+)? using \w+_uap_(type|occurred)_cover_idx/);
      }
      const top = await insights.topValues(shapes['metadata.query of SEARCH']!);
      expect(top.values.length).toBeGreaterThanOrEqual(25);
      expect(top.counted).toBe(Math.round(ROWS / 30 / 12));
    });

    it('when a 3-type funnel over 7 days is read (with a 7-day window), then it walks the type index, from the index alone unless a step compares metadata', async () => {
      const from = new Date(PLAN_BASE + 10 * DAY);
      const plain: FunnelEventsRequest = {
        types: ['SIGNUP', 'SEARCH', 'PURCHASE'],
        from,
        to: new Date(+from + 14 * DAY),
        fields: [],
        upTo: 1_000_000,
      };
      const compared: FunnelEventsRequest = { ...plain, fields: ['metadata.query'] };
      for (const [name, request] of Object.entries({ plain, 'with metadata.query': compared })) {
        const plan = await explain(buildFunnelEventsSql(table.qualified, request));
        const read = await insights.funnelEvents(request);
        report.push(
          `  funnel events ${name}, 3 types, 7 days + 7: ${read.length} events; EXPLAIN ANALYZE ${plan.ms.toFixed(1)} ms, reader call median ${(await median(() => insights.funnelEvents(request))).toFixed(1)} ms; ${plan.nodes.filter((n) => n.includes(table.name)).join(', ')}`,
        );
        expect(activitiesScans(plan.nodes)).toEqual([]);
        expect(plan.nodes.join()).toMatch(/Scan( on \S+)? using \w+_uap_type_cover_idx/);
        expect(read.length).toBe(Math.round((ROWS * 14) / 30 / 4));
      }
      // The user, type, time and id are all in the covering index: no row of the table is read.
      const plan = await explain(buildFunnelEventsSql(table.qualified, plain));
      expect(plan.nodes.join()).toMatch(/Index Only Scan on \S+ using \w+_uap_type_cover_idx/);
    });
  });
}
