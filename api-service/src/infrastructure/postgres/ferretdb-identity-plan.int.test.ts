import { ACTIVITIES_COLLECTION, ACTIVITY_INDEXES, type ActivityEvent } from '@uap/shared/contract';
import { FerretDbTables, quoteIdentifier, type FerretDbTable } from '@uap/shared/runtime';
import type { Connection } from 'mongoose';
import { Client, Pool, type PoolClient, type QueryResult } from 'pg';
import {
  dropDatabase,
  integrationStore,
  requiredFerretDbPostgresUrl,
  storeIsFerretDb,
  testDatabase,
} from '../../../../test/support/integration';
import type { PageRequest } from '../../application/ports/activity-reader.port';
import { actualReadLayout, ensureReadColumns, expectedReadLayout, READ_STATISTICS } from './ferretdb-layout';
import {
  buildCountSql,
  buildPageSql,
  FerretDbPostgresActivityReader,
  MAX_ANONYMOUS_BRANCHES,
} from './ferretdb-postgres-activity.reader';
import {
  buildLatestIdentifiesSql,
  buildLinkedAnonymousIdsSql,
  FerretDbPostgresIdentityReader,
} from './ferretdb-postgres-identity.reader';

/**
 * The identity reads, and the source filter's (issue 30), at a million stored events: each statement's plan, as
 * PostgreSQL chooses it on its own, must walk the api's indexes (no scan of the table), a history page must merge
 * ordered walks without sorting, and each walk must stop after a page. Seeded in SQL in FerretDB's layout, as
 * ferretdb-violations-plan.int.test.ts does, from four templates written through the wire. Row i belongs to user
 * k = (i / 10) % 5000 (`u<k>`, browser `a<k>`); by i % 10 it is
 *   0-1  a visit before login: anonymousId a<k> only            (200,000 rows)
 *   2    an IDENTIFY of u<k> with a<k>, a link                   (100,000)
 *   3-5  an event after login, with userId and anonymousId      (300,000)
 *   6-9  a REST event with userId only                          (400,000)
 * In the last twentieth, u<k>'s identifies link a<k+1> instead: a browser its owner linked first, so it stays theirs
 * (first link wins), and its walk in their history reads those rows of another user and drops them.
 * Independently, by (i / 7) % 20, three sources sent 60 % of the rows (SOURCES): web 35 %, ios 15 %, backend 10 %,
 * interleaved in time as apps send. Keys bound to no source sent the rest, except in the last quarter, where a fourth
 * source, kiosk, added lately, sent 10 % of the table: its rows all lie at the table's end.
 *
 * The table is filled in the layout before issue 28 (the same read columns, none of the identity indexes, nor issue
 * 30's source index), and ensureReadColumns then upgrades it as a deployment's api does at start-up: its duration is
 * the measured cost of the upgrade, during which a read must not wait (an insert does). The source index's build
 * alone is timed too (rolled back), as the cost of upgrading from issue 28's layout.
 */
const ROWS = 1_000_000;
const USERS = 5_000;
const BASE = Date.parse('2026-01-01T00:00:00.000Z');
/**
 * The read indexes issue 28 adds, all partial, and its statistics objects (READ_STATISTICS): no column, so an upgrade
 * builds them and rewrites nothing.
 */
const IDENTITY_INDEXES = ['uap_anonymous_idx', 'uap_link_user_idx', 'uap_link_first_idx', 'uap_identify_idx'];
/** Issue 30's read index, partial too. */
const SOURCE_INDEX = 'uap_source_idx';
/** By (i / 7) % 20: below 7 web, below 10 ios, below 12 backend; else kiosk in the last quarter, no source before. */
const SOURCES = { web: 0.35, ios: 0.15, backend: 0.1, kiosk: 0.1 } as const;
const REST_TYPES = ['LOGIN', 'SEARCH', 'CLICK', 'LOGOUT'];

function template(eventId: string, event: Partial<ActivityEvent> & Record<string, unknown>): Record<string, unknown> {
  const at = new Date(BASE);
  return {
    eventId,
    schemaVersion: 1,
    type: 'CLICK',
    occurredAt: at,
    receivedAt: at,
    persistedAt: at,
    sourcePartition: 0,
    sourceOffset: 0,
    metadata: {},
    context: { ip: '10.0.0.1', userAgent: 'seed' },
    ...event,
  };
}

const TEMPLATES = [
  template('template-rest', { userId: 'template' }),
  template('template-visit', { anonymousId: 'template', type: 'PAGE_VIEW', metadata: { path: '/pricing' } }),
  template('template-link', {
    userId: 'template',
    anonymousId: 'template',
    identityLink: 'template',
    type: 'IDENTIFY',
    metadata: { plan: 'free', seq: 0 },
  }),
  template('template-both', { userId: 'template', anonymousId: 'template' }),
];

async function fill(client: PoolClient, table: string): Promise<void> {
  const doc = (eventId: string) => `(SELECT _jsonb FROM ${table} WHERE _jsonb -> 'eventId' = '"${eventId}"')`;
  await client.query(
    `INSERT INTO ${table} (_jsonb)
     SELECT CASE WHEN slot < 2 THEN ${doc('template-visit')} || jsonb_build_object('anonymousId', 'a' || k)
                 WHEN slot = 2 THEN ${doc('template-link')} || jsonb_build_object(
                   'userId', 'u' || k, 'anonymousId', link, 'identityLink', link,
                   'metadata', jsonb_build_object('plan', (ARRAY['free', 'pro', 'team'])[i % 3 + 1], 'seq', i))
                 WHEN slot < 6 THEN ${doc('template-both')} || jsonb_build_object('userId', 'u' || k, 'anonymousId', 'a' || k)
                 ELSE ${doc('template-rest')} || jsonb_build_object('userId', 'u' || k, 'type', ($1::text[])[i % 4 + 1])
            END || jsonb_build_object(
              '_id', lpad(to_hex(i), 24, '0'),
              'eventId', '00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'),
              'occurredAt', $2::bigint + (i / 2))
              || CASE WHEN (i / 7) % 20 < 7 THEN '{"sourceId": "web"}'::jsonb
                      WHEN (i / 7) % 20 < 10 THEN '{"sourceId": "ios"}'::jsonb
                      WHEN (i / 7) % 20 < 12 THEN '{"sourceId": "backend"}'::jsonb
                      WHEN i > $4::int / 4 * 3 THEN '{"sourceId": "kiosk"}'::jsonb
                      ELSE '{}'::jsonb END
       FROM (SELECT i, i % 10 AS slot, (i / 10) % $3::int AS k,
                    'a' || CASE WHEN i > $4::int / 20 * 19 THEN ((i / 10) % $3::int + 1) % $3::int
                                ELSE (i / 10) % $3::int END AS link
               FROM generate_series(1, $4::int) AS i) AS rows`,
    [REST_TYPES, BASE, USERS, ROWS],
  );
}

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

interface Explained {
  nodes: string[];
  /** The index scans, with the rows each returned (per loop). */
  scans: Array<{ index: string; rows: number; loops: number }>;
  ms: number;
}

function explained(result: QueryResult, tableName: string): Explained {
  const [root] = (result.rows[0] as { 'QUERY PLAN': Array<{ Plan: PlanNode; 'Execution Time': number }> })[
    'QUERY PLAN'
  ];
  const nodes: string[] = [];
  const scans: Explained['scans'] = [];
  const walk = (node: PlanNode) => {
    const index = node['Index Name']?.replace(`${tableName}_`, '');
    nodes.push(node['Node Type'] + (index ? ` using ${index}` : ''));
    if (index) scans.push({ index, rows: node['Actual Rows'] ?? 0, loops: node['Actual Loops'] ?? 1 });
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(root!.Plan);
  return { nodes, scans, ms: root!['Execution Time'] };
}

/** Whether a CREATE INDEX holds the table (its SHARE lock, kept until the upgrade commits). */
async function buildHoldsTable(probe: Client, table: FerretDbTable): Promise<boolean> {
  const { rows } = await probe.query<{ held: boolean }>(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE relation = $1::regclass AND mode = 'ShareLock' AND granted) AS held",
    [table.qualified],
  );
  return rows[0]!.held;
}

/** What a read and an insert do on `probe` meanwhile, each allowed to wait 2 s for a lock: done, or 'waited'. */
async function readAndInsert(probe: Client, table: FerretDbTable): Promise<{ read: string; insert: string }> {
  const waited = (err: { code?: string }) => (err.code === '55P03' ? 'waited' : `failed: ${String(err)}`);
  await probe.query("SET lock_timeout = '2s'");
  const read = await probe
    .query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table.qualified} WHERE uap_user_id = '"u1234"'`)
    .then((result) => `read ${result.rows[0]!.n} rows`, waited);
  // Rolled back: the probe leaves no row behind.
  await probe.query('BEGIN');
  const insert = await probe
    .query(`INSERT INTO ${table.qualified} (_jsonb) VALUES ('{}')`)
    .then(() => 'inserted', waited);
  await probe.query('ROLLBACK');
  return { read, insert };
}

if (!storeIsFerretDb()) {
  describe('identity plans at 1M events (FerretDB SQL)', () => {
    it('when the store is not FerretDB, then the SQL plan check does not apply and is not run', () => {
      console.warn(`ferretdb-identity-plan: NOT run: the store is ${integrationStore()}, not FerretDB`);
      expect(storeIsFerretDb()).toBe(false);
    });
  });
} else {
  describe(`identity plans at ${ROWS.toLocaleString('en')} events (FerretDB SQL)`, () => {
    let db: Connection;
    let pool: Pool;
    let table: FerretDbTable;
    let reader: FerretDbPostgresActivityReader;
    let identities: FerretDbPostgresIdentityReader;
    const timings: Record<string, number> = {};
    const duringUpgrade: Record<string, unknown> = {};
    const report: string[] = [];

    beforeAll(async () => {
      db = await testDatabase('identity_1m');
      pool = new Pool({ connectionString: requiredFerretDbPostgresUrl(), max: 2 });
      const collection = db.collection(ACTIVITIES_COLLECTION);
      for (const index of ACTIVITY_INDEXES) {
        await collection.createIndex({ ...index.key }, { name: index.name, ...(index.unique ? { unique: true } : {}) });
      }
      await collection.insertMany(TEMPLATES.map((t) => ({ ...t })));
      table = (await new FerretDbTables(pool).lookUp(db.name, ACTIVITIES_COLLECTION))!;
      await ensureReadColumns(pool, table);
      const client = await pool.connect();
      try {
        await client.query("SET statement_timeout = 0; SET maintenance_work_mem = '256MB'");
        // The layout before issue 28: without the identity indexes and statistics (nor issue 30's source index).
        const inSchema = (suffix: string) =>
          `${quoteIdentifier(table.schema)}.${quoteIdentifier(`${table.name}_${suffix}`)}`;
        for (const suffix of [...IDENTITY_INDEXES, SOURCE_INDEX]) await client.query(`DROP INDEX ${inSchema(suffix)}`);
        for (const { suffix } of READ_STATISTICS) await client.query(`DROP STATISTICS ${inSchema(suffix)}`);
        // Filled without indexes, then every index of that layout (FerretDB's own too, as a deployment has them) is
        // built in bulk: maintaining them row by row takes minutes.
        const { rows: indexes } = await client.query<{ name: string; definition: string }>(
          'SELECT indexname AS name, indexdef AS definition FROM pg_indexes WHERE schemaname = $1 AND tablename = $2',
          [table.schema, table.name],
        );
        for (const { name } of indexes) {
          await client.query(`DROP INDEX ${quoteIdentifier(table.schema)}.${quoteIdentifier(name)}`);
        }
        let started = performance.now();
        await fill(client, table.qualified);
        timings['insert'] = performance.now() - started;
        started = performance.now();
        for (const { definition } of indexes) await client.query(definition);
        timings['indexes before 28'] = performance.now() - started;
        await client.query(`VACUUM (ANALYZE) ${table.qualified}`);
        // The source index alone, as an upgrade from issue 28's layout builds it (the server's maintenance_work_mem),
        // rolled back so that the upgrade below still starts from the layout before 28.
        const name = `${table.name}_${SOURCE_INDEX}`;
        await client.query('BEGIN');
        await client.query('SET LOCAL maintenance_work_mem TO DEFAULT');
        started = performance.now();
        await client.query(
          `CREATE INDEX ${quoteIdentifier(name)} ON ${table.qualified} ${expectedReadLayout(table).indexes[name]!}`,
        );
        timings['source index alone'] = performance.now() - started;
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
      // The upgrade, as the api runs it at start-up: the identity indexes and statistics objects, created in one
      // transaction, then an ANALYZE. While it holds the table (the SHARE lock of CREATE INDEX, from the first build to
      // the commit), a read on another connection must not wait, and an insert must.
      const started = performance.now();
      const upgrade = ensureReadColumns(pool, table);
      let upgraded = false;
      void upgrade.then(
        () => (upgraded = true),
        () => (upgraded = true),
      );
      const probe = new Client({ connectionString: requiredFerretDbPostgresUrl() });
      await probe.connect();
      try {
        while (!upgraded && !(await buildHoldsTable(probe, table))) await new Promise((r) => setTimeout(r, 50));
        Object.assign(duringUpgrade, await readAndInsert(probe, table), {
          holding: await buildHoldsTable(probe, table),
        });
      } finally {
        await probe.end();
      }
      await upgrade;
      timings['upgrade'] = performance.now() - started;
      reader = await FerretDbPostgresActivityReader.connect({
        url: requiredFerretDbPostgresUrl(),
        database: db.name,
        queryTimeoutMs: 30_000,
      });
      identities = new FerretDbPostgresIdentityReader(reader);
      console.warn(
        `identities at ${ROWS} rows: ${Object.entries(timings)
          .map(([step, ms]) => `${step} ${(ms / 1000).toFixed(1)} s`)
          .join(', ')}; during the upgrade: ${JSON.stringify(duringUpgrade)}`,
      );
    }, 900_000);

    afterAll(async () => {
      if (report.length > 0) console.warn(`identity plans at ${ROWS} rows:\n${report.join('\n')}`);
      await reader?.close();
      await pool?.end();
      if (db) await dropDatabase(db);
    }, 120_000);

    it('when the table is upgraded, then a read goes on meanwhile and an insert waits (no rewrite, only index builds)', () => {
      expect(duringUpgrade).toEqual({ read: `read ${(ROWS / USERS / 10) * 8} rows`, insert: 'waited', holding: true });
    });

    it('when the table is upgraded, then its layout is the declared one, and the partial indexes hold their rows alone', async () => {
      expect(await actualReadLayout(pool, table)).toEqual(expectedReadLayout(table));
      const sizes = await pool.query<{ name: string; tuples: number }>(
        `SELECT c.relname AS name, c.reltuples::int AS tuples FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
          WHERE i.indrelid = $1::regclass AND i.indpred IS NOT NULL`,
        [table.qualified],
      );
      const tuples = Object.fromEntries(sizes.rows.map((r) => [r.name.replace(`${table.name}_`, ''), r.tuples]));
      // reltuples is an estimate (VACUUM's): each within 5 % of the rows the index must hold.
      const holds = {
        uap_anonymous_idx: 0.6 * ROWS,
        uap_link_user_idx: 0.1 * ROWS,
        uap_link_first_idx: 0.1 * ROWS,
        [SOURCE_INDEX]: 0.7 * ROWS,
      };
      expect(Object.keys(tuples).sort()).toEqual(
        [...Object.keys(holds), 'uap_identify_idx', 'uap_flagged_idx', 'uap_flagged_type_idx'].sort(),
      );
      for (const [index, rows] of Object.entries({ ...holds, uap_identify_idx: 0.1 * ROWS })) {
        expect(Math.abs(tuples[index]! - rows)).toBeLessThanOrEqual(rows / 20);
      }
      expect(tuples['uap_flagged_idx']).toBeLessThanOrEqual(0);
    });

    const USER = 'u1234';
    const linked = ['a1234'];
    const after = { occurredAt: new Date(BASE + ROWS / 4), eventId: '00000000-0000-4000-8000-000000000000' };
    const history = (request: Partial<PageRequest> = {}): PageRequest => ({
      filters: { userId: USER, linkedAnonymousIds: linked },
      sort: 'desc',
      limit: 21,
      ...request,
    });
    const manyIds = Array.from({ length: MAX_ANONYMOUS_BRANCHES + 1 }, (_, i) => `a${1234 + i * 7}`);
    const bySource = (request: Partial<PageRequest> = {}): PageRequest => ({
      filters: { sourceId: 'backend' },
      sort: 'desc',
      limit: 21,
      ...request,
    });
    // 20,000 rows (i from 200,000), 2,000 of them from backend; the cursor halfway through.
    const window = { from: new Date(BASE + 100_000), to: new Date(BASE + 110_000) };
    const windowAfter = { occurredAt: new Date(BASE + 105_000), eventId: '00000000-0000-4000-8000-000000000000' };

    const SHAPES: Array<{
      name: string;
      build: (table: string) => { text: string; values: unknown[] };
      indexes: string[];
      /** Each walk stops after this many rows: one page, not the user's history. */
      maxRows?: number;
      sorts?: boolean;
      bitmaps?: boolean;
    }> = [
      {
        name: 'linkedAnonymousIds',
        build: (t) => buildLinkedAnonymousIdsSql(t, USER),
        indexes: ['uap_link_user_idx', 'uap_link_first_idx'],
      },
      {
        name: 'history, newest first',
        build: (t) => buildPageSql(t, history()),
        indexes: ['uap_user_idx', 'uap_anonymous_idx'],
        maxRows: 21,
      },
      {
        name: 'history, after a cursor',
        build: (t) => buildPageSql(t, history({ after })),
        indexes: ['uap_user_idx', 'uap_anonymous_idx'],
        maxRows: 21,
      },
      {
        name: 'history, oldest first (firstSeen)',
        build: (t) => buildPageSql(t, history({ sort: 'asc', limit: 1 })),
        indexes: ['uap_user_idx', 'uap_anonymous_idx'],
        maxRows: 1,
      },
      {
        name: 'history, two types',
        build: (t) => buildPageSql(t, history({ filters: { ...history().filters, types: ['PAGE_VIEW', 'CLICK'] } })),
        indexes: ['uap_user_idx', 'uap_anonymous_idx'],
      },
      {
        name: 'history, offset page 3',
        build: (t) => buildPageSql(t, history({ skip: 40, limit: 20 })),
        indexes: ['uap_user_idx', 'uap_anonymous_idx'],
        maxRows: 41,
      },
      {
        name: `history with ${manyIds.length} linked ids (a page per id, sorted)`,
        build: (t) => buildPageSql(t, history({ filters: { userId: USER, linkedAnonymousIds: manyIds } })),
        indexes: ['uap_user_idx', 'uap_anonymous_idx'],
        maxRows: 21,
        sorts: true,
      },
      {
        name: 'history count',
        build: (t) => buildCountSql(t, history().filters, 10_001),
        indexes: ['uap_user_idx', 'uap_anonymous_idx'],
        // UNION drops the duplicates by hashing or sorting the walks' rows: at most 10,001 from each, which a
        // bitmap may read as well as a walk (but not a bitmap of every anonymous event, ANDed with the id's).
        maxRows: 10_001,
        sorts: true,
        bitmaps: true,
      },
      {
        name: 'one visitor (?anonymousId=)',
        build: (t) => buildPageSql(t, { filters: { anonymousId: 'a77' }, sort: 'desc', limit: 21 }),
        indexes: ['uap_anonymous_idx'],
        maxRows: 21,
      },
      {
        name: 'latest identifies',
        build: (t) => buildLatestIdentifiesSql(t, USER, 10_001),
        indexes: ['uap_identify_idx'],
      },
      // The source filter (issue 30): backend sends a tenth of the events, web over a third.
      {
        name: 'one source (?sourceId=), newest first',
        build: (t) => buildPageSql(t, bySource()),
        indexes: [SOURCE_INDEX],
        maxRows: 21,
      },
      {
        name: 'one source, after a cursor',
        build: (t) => buildPageSql(t, bySource({ after })),
        indexes: [SOURCE_INDEX],
        maxRows: 21,
      },
      {
        name: 'one source, a time range',
        build: (t) => buildPageSql(t, bySource({ filters: { sourceId: 'backend', ...window } })),
        indexes: [SOURCE_INDEX],
        maxRows: 21,
      },
      {
        name: 'one source, a time range oldest first, a stats page after a cursor',
        build: (t) =>
          buildPageSql(
            t,
            bySource({ filters: { sourceId: 'backend', ...window }, sort: 'asc', limit: 1_000, after: windowAfter }),
          ),
        indexes: [SOURCE_INDEX],
        maxRows: 1_000,
      },
      {
        name: 'one source and one type',
        build: (t) => buildPageSql(t, bySource({ filters: { sourceId: 'backend', types: ['CLICK'] } })),
        indexes: [SOURCE_INDEX],
      },
      {
        name: 'one source, two types, after a cursor',
        build: (t) =>
          buildPageSql(t, bySource({ filters: { sourceId: 'backend', types: ['CLICK', 'PAGE_VIEW'] }, after })),
        indexes: [SOURCE_INDEX],
      },
      {
        name: 'one source, offset page 3',
        build: (t) => buildPageSql(t, bySource({ skip: 40, limit: 20 })),
        indexes: [SOURCE_INDEX],
        maxRows: 41,
      },
      {
        name: 'one source count',
        build: (t) => buildCountSql(t, { sourceId: 'backend' }, 10_001),
        indexes: [SOURCE_INDEX],
        maxRows: 10_001,
      },
      {
        name: 'a source added lately (its rows at the table’s end) count',
        build: (t) => buildCountSql(t, { sourceId: 'kiosk' }, 10_001),
        indexes: [SOURCE_INDEX],
        maxRows: 10_001,
      },
      {
        name: 'a source added lately, oldest first',
        build: (t) => buildPageSql(t, bySource({ filters: { sourceId: 'kiosk' }, sort: 'asc' })),
        indexes: [SOURCE_INDEX],
        maxRows: 21,
      },
      {
        name: 'a source nothing was stored under',
        build: (t) => buildPageSql(t, bySource({ filters: { sourceId: 'android', types: ['CLICK'] } })),
        indexes: [SOURCE_INDEX],
        maxRows: 0,
      },
      {
        // A page of web's LOGOUTs: a walk of the type's index finds one in three rows web's, of web's a tenth LOGOUTs
        // (the source's statistics tell the planner so).
        name: 'a large source and a rarer type',
        build: (t) => buildPageSql(t, bySource({ filters: { sourceId: 'web', types: ['LOGOUT'] } })),
        indexes: ['uap_type_cover_idx'],
      },
      {
        name: 'history from one source',
        build: (t) => buildPageSql(t, history({ filters: { ...history().filters, sourceId: 'web' } })),
        indexes: ['uap_user_idx', 'uap_anonymous_idx'],
      },
    ];

    it.each(SHAPES.map((shape) => [shape.name, shape] as const))(
      'when %s is explained and run, then PostgreSQL walks only its indexes, with no scan of the table',
      async (name, shape) => {
        const query = shape.build(table.qualified);
        const plan = explained(
          await pool.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${query.text}`, query.values),
          table.name,
        );
        report.push(
          `  ${name}: ${plan.ms.toFixed(2)} ms; ${plan.scans.map((s) => `${s.index} (${s.rows} rows x ${s.loops})`).join(', ')}`,
        );
        expect(plan.nodes.filter((n) => n.startsWith('Seq Scan'))).toEqual([]);
        if (!shape.bitmaps) expect(plan.nodes.filter((n) => n.startsWith('Bitmap'))).toEqual([]);
        expect([...new Set(plan.scans.map((s) => s.index))].sort()).toEqual([...shape.indexes].sort());
        if (!shape.sorts) expect(plan.nodes.filter((n) => /Sort$/.test(n))).toEqual([]);
        for (const scan of plan.scans) {
          if (shape.maxRows !== undefined) expect(scan.rows).toBeLessThanOrEqual(shape.maxRows);
        }
      },
    );

    it('when the links are read, then the browser the user linked first is theirs, and the one another user linked first is not', async () => {
      expect(await identities.linkedAnonymousIds(USER)).toEqual(['a1234']);
      const { rows } = await pool.query<{ links: string[] }>(
        `SELECT array_agg(DISTINCT _jsonb ->> 'identityLink') FILTER (WHERE _jsonb ? 'identityLink') AS links
           FROM ${table.qualified} WHERE _jsonb -> 'userId' = $1`,
        [JSON.stringify(USER)],
      );
      expect(rows[0]!.links.sort()).toEqual(['a1234', 'a1235']);
      expect(await identities.linkedAnonymousIds('u1235')).toEqual(['a1235']);
      expect(await identities.linkedAnonymousIds('nobody')).toEqual([]);
    });

    it('when a history is read through the reader, then its pages equal the matching rows of a full scan', async () => {
      const expected = async (where: string, order: 'ASC' | 'DESC', limit: number, offset = 0) =>
        (
          await pool.query<{ id: string }>(
            `SELECT _jsonb ->> 'eventId' AS id FROM ${table.qualified}
              WHERE (_jsonb ->> 'userId' = '${USER}' OR (_jsonb ->> 'anonymousId' = 'a1234' AND _jsonb -> 'userId' IS NULL)) ${where}
              ORDER BY uap_occurred_at ${order}, uap_event_id ${order} LIMIT ${limit} OFFSET ${offset}`,
          )
        ).rows.map((r) => r.id);
      const ids = async (request: PageRequest) => (await reader.findPage(request)).map((r) => r.eventId);
      expect(await ids(history())).toEqual(await expected('', 'DESC', 21));
      expect(await ids(history({ sort: 'asc', limit: 50 }))).toEqual(await expected('', 'ASC', 50));
      expect(await ids(history({ skip: 40, limit: 20 }))).toEqual(await expected('', 'DESC', 20, 40));
      expect(await ids(history({ after }))).toEqual(
        await expected(
          `AND (uap_occurred_at, uap_event_id) < ('${after.occurredAt.getTime()}', '"${after.eventId}"')`,
          'DESC',
          21,
        ),
      );
      // Past MAX_ANONYMOUS_BRANCHES ids, the LATERAL walks: the same rows.
      const many = `(_jsonb ->> 'userId' = '${USER}' OR (_jsonb ->> 'anonymousId' = ANY('{${manyIds.join(',')}}') AND _jsonb -> 'userId' IS NULL))`;
      const manyExpected = async (order: 'ASC' | 'DESC', limit: number, offset = 0) =>
        (
          await pool.query<{ id: string }>(
            `SELECT _jsonb ->> 'eventId' AS id FROM ${table.qualified} WHERE ${many}
              ORDER BY uap_occurred_at ${order}, uap_event_id ${order} LIMIT ${limit} OFFSET ${offset}`,
          )
        ).rows.map((r) => r.id);
      const manyFilters = { userId: USER, linkedAnonymousIds: manyIds };
      expect(await ids(history({ filters: manyFilters }))).toEqual(await manyExpected('DESC', 21));
      expect(await ids(history({ filters: manyFilters, sort: 'asc', skip: 60, limit: 20 }))).toEqual(
        await manyExpected('ASC', 20, 60),
      );
      expect(await reader.count(manyFilters, 10_001)).toEqual({
        total: (await manyExpected('DESC', 10_001)).length,
        exact: true,
      });
      const [oldest] = await reader.findPage(history({ sort: 'asc', limit: 1 }));
      expect(oldest).toMatchObject({ anonymousId: 'a1234', type: 'PAGE_VIEW', metadata: { path: '/pricing' } });
      expect(oldest).not.toHaveProperty('userId');
      expect(await reader.count(history().filters, 10_001)).toEqual({
        total: (await expected('', 'DESC', 10_001)).length,
        exact: true,
      });
    });

    it('when a source is read through the reader, then its pages and counts equal the matching rows of a full scan', async () => {
      const expected = async (where: string, order: 'ASC' | 'DESC', limit: number, offset = 0) =>
        (
          await pool.query<{ id: string }>(
            `SELECT _jsonb ->> 'eventId' AS id FROM ${table.qualified} WHERE ${where}
              ORDER BY uap_occurred_at ${order}, uap_event_id ${order} LIMIT ${limit} OFFSET ${offset}`,
          )
        ).rows.map((r) => r.id);
      const ids = async (request: PageRequest) => (await reader.findPage(request)).map((r) => r.eventId);
      const backend = `_jsonb ->> 'sourceId' = 'backend'`;
      const range = `uap_occurred_at >= '${window.from.getTime()}' AND uap_occurred_at < '${window.to.getTime()}'`;
      expect(await ids(bySource())).toEqual(await expected(backend, 'DESC', 21));
      expect(await ids(bySource({ after }))).toEqual(
        await expected(
          `${backend} AND (uap_occurred_at, uap_event_id) < ('${after.occurredAt.getTime()}', '"${after.eventId}"')`,
          'DESC',
          21,
        ),
      );
      expect(await ids(bySource({ skip: 40, limit: 20, sort: 'asc' }))).toEqual(await expected(backend, 'ASC', 20, 40));
      expect(await ids(bySource({ filters: { sourceId: 'backend', types: ['CLICK', 'PAGE_VIEW'] } }))).toEqual(
        await expected(`${backend} AND _jsonb ->> 'type' IN ('CLICK', 'PAGE_VIEW')`, 'DESC', 21),
      );
      expect(await ids(bySource({ filters: { sourceId: 'web', types: ['LOGOUT'] } }))).toEqual(
        await expected(`_jsonb ->> 'sourceId' = 'web' AND _jsonb ->> 'type' = 'LOGOUT'`, 'DESC', 21),
      );
      const inWindow = await expected(`${backend} AND ${range}`, 'ASC', 10_000);
      // About a tenth of the window's 20,000 rows (the sources cycle every 140 rows).
      expect(Math.abs(inWindow.length - SOURCES.backend * 20_000)).toBeLessThan(20);
      expect(await ids(bySource({ filters: { sourceId: 'backend', ...window }, sort: 'asc', limit: 10_000 }))).toEqual(
        inWindow,
      );
      expect(await reader.count({ sourceId: 'backend', ...window }, 10_001)).toEqual({
        total: inWindow.length,
        exact: true,
      });
      expect(await reader.count({ sourceId: 'backend' }, 10_001)).toEqual({ total: 10_001, exact: false });
      expect(await reader.findPage(bySource({ filters: { sourceId: 'android' } }))).toEqual([]);
      expect(await ids(bySource({ filters: { sourceId: 'kiosk' }, sort: 'asc' }))).toEqual(
        await expected(`_jsonb ->> 'sourceId' = 'kiosk'`, 'ASC', 21),
      );
      expect(await reader.count({ sourceId: 'kiosk' }, 10_001)).toEqual({ total: 10_001, exact: false });
      const { rows } = await pool.query<{ source: string | null; n: number }>(
        `SELECT _jsonb ->> 'sourceId' AS source, count(*)::int AS n FROM ${table.qualified}
          WHERE _jsonb ? 'eventId' AND _jsonb ->> 'eventId' LIKE '00000000-%' GROUP BY 1`,
      );
      const shares = Object.fromEntries(rows.map((r) => [r.source ?? 'none', r.n / ROWS]));
      expect(shares).toEqual({
        web: expect.closeTo(SOURCES.web, 3),
        ios: expect.closeTo(SOURCES.ios, 3),
        backend: expect.closeTo(SOURCES.backend, 3),
        kiosk: expect.closeTo(SOURCES.kiosk, 3),
        none: expect.closeTo(0.3, 3),
      });
    });

    it('when the latest identifies are read, then they are the user’s, newest first, with their traits decoded', async () => {
      const identifies = await identities.latestIdentifies(USER, 10_001);
      expect(identifies).toHaveLength(ROWS / 10 / USERS);
      const times = identifies.map((i) => i.occurredAt.getTime());
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(identifies[0]!.traits).toEqual({
        plan: expect.stringMatching(/^(free|pro|team)$/),
        seq: expect.any(Number),
      });
      expect(Object.keys(identifies[0]!.traits)).toEqual(['plan', 'seq']);
    });
  });
}
