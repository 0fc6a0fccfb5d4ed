import { ACTIVITIES_COLLECTION, ACTIVITY_INDEXES, flagOf, type ActivityEvent } from '@uap/shared/contract';
import { FerretDbTables, quoteIdentifier, type FerretDbTable } from '@uap/shared/runtime';
import type { Connection } from 'mongoose';
import { Pool, type PoolClient } from 'pg';
import {
  dropDatabase,
  integrationStore,
  requiredFerretDbPostgresUrl,
  storeIsFerretDb,
  testDatabase,
} from '../../../../test/support/integration';
import { planNodes } from '../../../../test/support/sql-plans';
import type { ViolationPageRequest } from '../../application/ports/activity-violation-reader.port';
import {
  actualReadLayout,
  ensureReadColumns,
  expectedReadLayout,
  FLAGGED_PREDICATE,
  READ_INDEXES,
} from './ferretdb-layout';
import { buildViolationPageSql, FerretDbPostgresActivityReader } from './ferretdb-postgres-activity.reader';

/**
 * The violations listing at a million stored events, four thousand of them violations (0.4 %): each shape's plan,
 * as PostgreSQL chooses it on its own (nothing forbidden), must walk a partial index in page order, and answer a
 * page in milliseconds. Seeding a million documents through FerretDB's wire takes minutes, so the table is filled
 * in SQL, in FerretDB's storage layout: three documents written through the wire are the templates, and
 * `INSERT … SELECT generate_series` copies them with their own _id, eventId, userId, type and occurredAt.
 */
const ROWS = 1_000_000;
/** One event in VIOLATION_EVERY is unplanned, one flagged. */
const VIOLATION_EVERY = 500;
const BASE = Date.parse('2026-01-01T00:00:00.000Z');
const PLANNED_TYPES = ['LOGIN', 'LOGOUT', 'SIGNUP', 'SEARCH', 'PAGE_VIEW', 'CLICK', 'PURCHASE', 'PASSWORD_RESET'];
const VIOLATION = { pointer: '/metadata/query', message: 'must be string' };

const eventIdOf = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

/** The worker's document for a template event (the flag as toActivityDocument writes it). */
function template(event: Partial<ActivityEvent>): Record<string, unknown> {
  const at = new Date(BASE);
  const flagged = flagOf(event);
  return {
    eventId: `template-${flagged ?? 'planned'}`,
    schemaVersion: 1,
    userId: 'template',
    type: 'LOGIN',
    occurredAt: at,
    receivedAt: at,
    persistedAt: at,
    sourcePartition: 0,
    sourceOffset: 0,
    metadata: { query: 12 },
    context: { ip: '10.0.0.1', userAgent: 'seed' },
    ...event,
    ...(flagged === undefined ? {} : { flagged }),
  };
}

async function fill(client: PoolClient, table: string): Promise<void> {
  // Row i: unplanned when i % 500 = 0 (VIDEO_PLAY or INVITE_SENT), flagged when i % 500 = 250 (SEARCH or
  // PURCHASE), planned otherwise (the eight built-ins). Two rows per millisecond: ties for the keyset to split.
  await client.query(
    `INSERT INTO ${table} (_jsonb)
     SELECT CASE WHEN i % $1 = 0 THEN u.doc WHEN i % $1 = $1 / 2 THEN f.doc ELSE p.doc END || jsonb_build_object(
              '_id', lpad(to_hex(i), 24, '0'),
              'eventId', '00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'),
              'userId', 'u' || (i % 5000),
              'type', CASE WHEN i % $1 = 0 THEN (ARRAY['VIDEO_PLAY', 'INVITE_SENT'])[(i / $1) % 2 + 1]
                           WHEN i % $1 = $1 / 2 THEN (ARRAY['SEARCH', 'PURCHASE'])[(i / $1) % 2 + 1]
                           ELSE ($2::text[])[i % 8 + 1] END,
              'occurredAt', $3::bigint + (i / 2))
       FROM generate_series(1, $4::int) AS i,
            (SELECT _jsonb AS doc FROM ${table} WHERE _jsonb -> 'eventId' = '"template-planned"') AS p,
            (SELECT _jsonb AS doc FROM ${table} WHERE _jsonb -> 'eventId' = '"template-unplanned"') AS u,
            (SELECT _jsonb AS doc FROM ${table} WHERE _jsonb -> 'eventId' = '"template-metadata"') AS f`,
    [VIOLATION_EVERY, PLANNED_TYPES, BASE, ROWS],
  );
}

if (!storeIsFerretDb()) {
  describe('violations listing plan at 1M events (FerretDB SQL)', () => {
    it('when the store is not FerretDB, then the SQL plan check does not apply and is not run', () => {
      console.warn(`ferretdb-violations-plan: NOT run: the store is ${integrationStore()}, not FerretDB`);
      expect(storeIsFerretDb()).toBe(false);
    });
  });
} else {
  describe(`violations listing plan at ${ROWS.toLocaleString('en')} events (FerretDB SQL)`, () => {
    let db: Connection;
    let pool: Pool;
    let table: FerretDbTable;
    let reader: FerretDbPostgresActivityReader;
    const timings: Record<string, number> = {};

    beforeAll(async () => {
      db = await testDatabase('violations_1m');
      pool = new Pool({ connectionString: requiredFerretDbPostgresUrl(), max: 2 });
      const collection = db.collection(ACTIVITIES_COLLECTION);
      for (const index of ACTIVITY_INDEXES) {
        await collection.createIndex({ ...index.key }, { name: index.name, ...(index.unique ? { unique: true } : {}) });
      }
      await collection.insertMany([
        template({ typeVersion: 1 }),
        template({ type: 'VIDEO_PLAY', planned: false }),
        template({ type: 'SEARCH', typeVersion: 1, violations: [VIOLATION] }),
      ]);
      table = (await new FerretDbTables(pool).lookUp(db.name, ACTIVITIES_COLLECTION))!;
      // On three rows: the read columns and every read index, as the api adds them at start-up.
      await ensureReadColumns(pool, table);
      const client = await pool.connect();
      try {
        await client.query("SET statement_timeout = 0; SET maintenance_work_mem = '256MB'");
        // Filled without indexes, then the read indexes are built in bulk: maintaining ten btrees row by row takes
        // minutes. FerretDB's own (on `_jsonb -> field` expressions: _id, eventId and the wire's) are left out, since
        // no statement here names their expressions, so they cannot change a plan; the table is dropped afterwards.
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
        const plain = READ_INDEXES.filter((i) => i.where === undefined).map((i) => `${table.name}_${i.suffix}`);
        for (const { name, definition } of indexes) if (plain.includes(name)) await client.query(definition);
        timings['read indexes'] = performance.now() - started;
        // An upgrade: the table has its read columns and a million rows, not yet the listing's partial indexes.
        started = performance.now();
        await ensureReadColumns(pool, table);
        timings['partial indexes'] = performance.now() - started;
        started = performance.now();
        await client.query(`VACUUM (ANALYZE) ${table.qualified}`);
        timings['vacuum'] = performance.now() - started;
      } finally {
        client.release();
      }
      reader = await FerretDbPostgresActivityReader.connect({
        url: requiredFerretDbPostgresUrl(),
        database: db.name,
        queryTimeoutMs: 30_000,
      });
      console.warn(
        `violations at ${ROWS} rows: ${Object.entries(timings)
          .map(([step, ms]) => `${step} ${(ms / 1000).toFixed(1)} s`)
          .join(', ')}`,
      );
    }, 600_000);

    afterAll(async () => {
      await reader?.close();
      await pool?.end();
      if (db) await dropDatabase(db);
    }, 120_000);

    it('when the table is filled, then it holds a million rows of which 0.4 % are flagged, and both partial indexes hold those alone', async () => {
      const { rows } = await pool.query<{ n: number; flagged: number }>(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE ${FLAGGED_PREDICATE})::int AS flagged FROM ${table.qualified}`,
      );
      expect(rows[0]).toEqual({ n: ROWS + 3, flagged: 2 * (ROWS / VIOLATION_EVERY) + 2 });
      const sizes = await pool.query<{ name: string; tuples: number }>(
        `SELECT c.relname AS name, c.reltuples::int AS tuples FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
          WHERE i.indrelid = $1::regclass AND i.indpred IS NOT NULL`,
        [table.qualified],
      );
      // The identity and source indexes are partial too, and hold nothing here: no event is anonymous, a link or sourced.
      expect(sizes.rows.map((r) => r.name)).toEqual(
        expect.arrayContaining([`${table.name}_uap_flagged_idx`, `${table.name}_uap_flagged_type_idx`]),
      );
      for (const { tuples } of sizes.rows) expect(tuples).toBeLessThan(ROWS / 100);
      // As PostgreSQL prints them back: what the api's layout check compares at every start.
      expect(await actualReadLayout(pool, table)).toEqual(expectedReadLayout(table));
    });

    const after = { occurredAt: new Date(BASE + ROWS / 4), eventId: eventIdOf(ROWS / 2) };
    const SHAPES: Array<[string, ViolationPageRequest]> = [undefined, 'SEARCH', 'VIDEO_PLAY'].flatMap((type) =>
      [undefined, 'unplanned' as const, 'flagged' as const].flatMap((kind) =>
        [undefined, after].map((position): [string, ViolationPageRequest] => [
          [type ?? 'any type', kind ?? 'both kinds', position ? 'after a cursor' : 'first page'].join(', '),
          {
            filters: { ...(type ? { type } : {}), ...(kind ? { kind } : {}) },
            limit: 51,
            ...(position ? { after: position } : {}),
          },
        ]),
      ),
    );

    it.each(SHAPES)(
      'when the page (%s) is explained and run, then PostgreSQL walks a partial index in order, with no scan of the table and no sort',
      async (name, request) => {
        const query = buildViolationPageSql(table.qualified, request);
        const result = await pool.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${query.text}`, query.values);
        const nodes = planNodes(result);
        const index = `${table.name}_${request.filters.type ? 'uap_flagged_type_idx' : 'uap_flagged_idx'}`;
        const scans = nodes.filter((n) => n.includes(' on '));
        expect(scans.length).toBeGreaterThan(0);
        expect(scans.filter((n) => n !== `Index Scan on ${table.name} using ${index}`)).toEqual([]);
        expect(nodes.filter((n) => /Sort$/.test(n))).toEqual([]);
      },
    );

    it('when pages are read through the reader, then they equal the flagged rows of a full scan, newest first', async () => {
      const expected = async (where: string) =>
        (
          await pool.query<{ id: string }>(
            `SELECT _jsonb ->> 'eventId' AS id FROM ${table.qualified} WHERE _jsonb -> 'flagged' IS NOT NULL ${where}
              ORDER BY uap_occurred_at DESC, uap_event_id DESC LIMIT 51`,
          )
        ).rows.map((r) => r.id);
      const ids = async (request: ViolationPageRequest) => (await reader.findViolations(request)).map((r) => r.eventId);
      expect(await ids({ filters: {}, limit: 51 })).toEqual(await expected(''));
      expect(await ids({ filters: { kind: 'flagged', type: 'PURCHASE' }, limit: 51, after })).toEqual(
        await expected(
          `AND _jsonb ->> 'flagged' = 'metadata' AND _jsonb ->> 'type' = 'PURCHASE' AND (uap_occurred_at, uap_event_id) < ('${after.occurredAt.getTime()}', '"${after.eventId}"')`,
        ),
      );
      const [first] = await reader.findViolations({ filters: { kind: 'unplanned' }, limit: 1 });
      expect(first).toMatchObject({ type: expect.stringMatching(/^(VIDEO_PLAY|INVITE_SENT)$/), planned: false });
      expect(first).not.toHaveProperty('violations');
      const [flagged] = await reader.findViolations({ filters: { kind: 'flagged' }, limit: 1 });
      expect(flagged).toMatchObject({ violations: [VIOLATION], typeVersion: 1 });
      expect(flagged).not.toHaveProperty('planned');
    });
  });
}
