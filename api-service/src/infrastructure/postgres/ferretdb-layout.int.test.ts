import { ACTIVITIES_COLLECTION, ACTIVITY_INDEXES } from '@uap/shared/contract';
import {
  DOCUMENT_COLUMN,
  FERRETDB_LAYOUT_VERSION,
  FerretDbTables,
  fieldExpression,
  detectStoreServer,
} from '@uap/shared/runtime';
import type { Connection } from 'mongoose';
import { Pool } from 'pg';
import {
  dropDatabase,
  integrationStore,
  requiredFerretDbPostgresUrl,
  storeIsFerretDb,
  testDatabase,
} from '../../../../test/support/integration';
import {
  actualReadLayout,
  decodeDocument,
  ensureReadColumns,
  expectedReadLayout,
  READ_COLUMNS,
  RETIRED_READ_INDEXES,
} from './ferretdb-layout';
import { buildPageSql } from './ferretdb-postgres-activity.reader';
import { plansWithoutSeqScan } from '../../../../test/support/sql-plans';

/**
 * The SQL reader depends on FerretDB's private storage layout. This suite writes through the Mongo wire and
 * reads back through ferretdb-layout.ts, so a FerretDB whose layout differs fails here, loudly, before any
 * query returns a wrong page.
 */
if (!storeIsFerretDb()) {
  describe('FerretDB storage layout', () => {
    it('when the store is not FerretDB, then the layout check does not apply and is not run', () => {
      console.warn(`ferretdb-layout: NOT run: the store is ${integrationStore()}, not FerretDB`);
      expect(storeIsFerretDb()).toBe(false);
    });
  });
} else {
  describe(`FerretDB storage layout (pinned to ${FERRETDB_LAYOUT_VERSION})`, () => {
    let db: Connection;
    let pool: Pool;

    beforeAll(async () => {
      db = await testDatabase('ferretdb_layout');
      pool = new Pool({ connectionString: requiredFerretDbPostgresUrl(), max: 2 });
    });

    afterAll(async () => {
      await pool?.end();
      await dropDatabase(db);
    });

    it('when asked for buildInfo, then the server is the pinned FerretDB version', async () => {
      expect(await detectStoreServer(db.db!)).toMatchObject({ kind: 'FerretDB', version: FERRETDB_LAYOUT_VERSION });
    });

    it('when the collection does not exist yet, then the table lookup says so instead of failing', async () => {
      expect(await new FerretDbTables(pool).tableOf(db.name, 'not_created_yet')).toBeUndefined();
      expect(await new FerretDbTables(pool).tableOf('no_such_database_here', ACTIVITIES_COLLECTION)).toBeUndefined();
    });

    it('when a document is written through the Mongo wire, then the layout code reads it back exactly', async () => {
      const collection = db.collection(ACTIVITIES_COLLECTION);
      const document = {
        eventId: '7f1c2d3e-0000-4000-8000-000000000001',
        schemaVersion: 1,
        userId: 'layout-user',
        type: 'SEARCH',
        occurredAt: new Date('2026-03-01T12:34:56.789Z'),
        receivedAt: new Date('2026-03-01T12:34:57.000Z'),
        persistedAt: new Date('2026-03-01T12:34:57.120Z'),
        metadata: { query: 'shoes', zeta: 1, alpha: { nested: new Date(5), list: [1, 'x', { deep: true }] }, n: null },
        context: { ip: '10.0.0.1', userAgent: 'layout' },
      };
      await collection.insertOne({ ...document });

      const table = await new FerretDbTables(pool).tableOf(db.name, ACTIVITIES_COLLECTION);
      expect(table).toBe(`"${db.name}".${table!.split('.')[1]}`);
      const { rows } = await pool.query<Record<string, Record<string, unknown>>>(
        `SELECT ${DOCUMENT_COLUMN}, ${fieldExpression('occurredAt')} AS occurred FROM ${table!}`,
      );
      expect(rows).toHaveLength(1);
      // Dates are epoch milliseconds in the jsonb: the reader's range and keyset parameters rely on it.
      expect(rows[0]!['occurred']).toBe(document.occurredAt.getTime());
      const { _id, ...decoded } = decodeDocument(rows[0]![DOCUMENT_COLUMN]!);
      expect(decoded).toEqual(document);
      // Key order too, as the Mongo driver returns it (and as the API serialises metadata).
      expect(Object.keys(decoded)).toEqual(Object.keys(document));
      expect(Object.keys(decoded['metadata'] as object)).toEqual(Object.keys(document.metadata));
    });

    it('when the worker indexes exist, then PostgreSQL has a btree on exactly the expressions the reader queries', async () => {
      const collection = db.collection(ACTIVITIES_COLLECTION);
      for (const index of ACTIVITY_INDEXES) {
        await collection.createIndex({ ...index.key }, { name: index.name, ...(index.unique ? { unique: true } : {}) });
      }
      const table = (await new FerretDbTables(pool).tableOf(db.name, ACTIVITIES_COLLECTION))!;
      const { rows } = await pool.query<{ indexdef: string }>(
        'SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2',
        [db.name, table.split('.')[1]!.replace(/"/g, '')],
      );
      const definitions = rows.map((r) => r.indexdef.replace(/^.* USING /, 'USING '));
      for (const index of ACTIVITY_INDEXES) {
        const columns = Object.entries(index.key)
          .map(([field, dir]) => `((_jsonb -> '${field}'::text))${dir === -1 ? ' DESC' : ''}`)
          .join(', ');
        expect(definitions).toContain(`USING btree (${columns})`);
      }
      // The reader spells each field the way the index does; PostgreSQL matches index expressions textually.
      expect(fieldExpression('occurredAt')).toBe("(_jsonb -> 'occurredAt')");
    });

    it('when the read columns are added, then they are exactly as declared, hold the index expressions, and a second run changes nothing', async () => {
      const collection = db.collection(ACTIVITIES_COLLECTION);
      const table = (await new FerretDbTables(pool).lookUp(db.name, ACTIVITIES_COLLECTION))!;
      await ensureReadColumns(pool, table);
      await ensureReadColumns(pool, table);
      expect(await actualReadLayout(pool, table)).toEqual(expectedReadLayout(table));
      const { rows } = await pool.query<{ same: boolean; n: number }>(
        `SELECT bool_and(${Object.entries(READ_COLUMNS)
          .map(([field, column]) => `${column} IS NOT DISTINCT FROM (_jsonb -> '${field}')`)
          .join(' AND ')}) AS same, count(*)::int AS n FROM ${table.qualified}`,
      );
      expect(rows[0]).toEqual({ same: true, n: await collection.countDocuments() });
    });

    it('when the read columns exist, then FerretDB still inserts, updates, deletes, finds and manages indexes through the Mongo wire', async () => {
      const collection = db.collection(ACTIVITIES_COLLECTION);
      const table = (await new FerretDbTables(pool).lookUp(db.name, ACTIVITIES_COLLECTION))!;
      await ensureReadColumns(pool, table);
      const at = new Date('2026-03-02T00:00:00.000Z');
      await collection.insertMany([
        { eventId: 'wire-1', userId: 'wire-user', type: 'LOGIN', occurredAt: at },
        { eventId: 'wire-2', userId: 'wire-user', type: 'CLICK', occurredAt: at },
      ]);
      await collection.updateOne(
        { eventId: 'wire-1' },
        { $set: { type: 'LOGOUT', occurredAt: new Date(at.getTime() + 1) } },
      );
      await collection.replaceOne(
        { eventId: 'wire-2' },
        { eventId: 'wire-2', userId: 'other-user', type: 'CLICK', occurredAt: at },
      );
      expect(await collection.find({ userId: 'wire-user' }, { projection: { _id: 0 } }).toArray()).toEqual([
        { eventId: 'wire-1', userId: 'wire-user', type: 'LOGOUT', occurredAt: new Date(at.getTime() + 1) },
      ]);
      // The generated columns follow FerretDB's UPDATE of _jsonb.
      const { rows } = await pool.query<{ type: string; occurred: number; user: string }>(
        `SELECT uap_type AS type, uap_occurred_at AS occurred, uap_user_id AS user FROM ${table.qualified}
          WHERE uap_event_id = '"wire-1"'`,
      );
      expect(rows).toEqual([{ type: 'LOGOUT', occurred: at.getTime() + 1, user: 'wire-user' }]);
      expect((await collection.deleteMany({ eventId: { $in: ['wire-1', 'wire-2'] } })).deletedCount).toBe(2);

      await collection.createIndex({ sessionId: 1 }, { name: 'wire_probe' });
      expect((await collection.listIndexes().toArray()).map((i) => i['name'] as string)).toContain('wire_probe');
      expect((await collection.listIndexes().toArray()).map((i) => i['name'] as string).join()).not.toMatch(/uap/);
      await collection.dropIndex('wire_probe');
      expect((await collection.listIndexes().toArray()).map((i) => i['name'] as string)).not.toContain('wire_probe');
      expect(await actualReadLayout(pool, table)).toEqual(expectedReadLayout(table));
    });

    it('when events with and without a source are written through the wire, then uap_source_idx is partial over the sourced ones, and a source query can walk it', async () => {
      const collection = db.collection('layout_sources');
      const at = new Date('2026-03-03T00:00:00.000Z');
      await collection.insertMany([
        { eventId: 'src-1', userId: 'u', type: 'LOGIN', occurredAt: at, sourceId: 'web' },
        { eventId: 'src-2', userId: 'u', type: 'LOGIN', occurredAt: at, sourceId: 'ios' },
        { eventId: 'src-3', userId: 'u', type: 'LOGIN', occurredAt: at },
      ]);
      const table = (await new FerretDbTables(pool).lookUp(db.name, 'layout_sources'))!;
      await ensureReadColumns(pool, table);
      const name = `${table.name}_uap_source_idx`;
      expect((await actualReadLayout(pool, table)).indexes[name]).toBe(
        "USING btree (((_jsonb -> 'sourceId'::text)), uap_occurred_at DESC, uap_event_id DESC) " +
          "WHERE ((_jsonb -> 'sourceId'::text) IS NOT NULL)",
      );
      const query = buildPageSql(table.qualified, { filters: { sourceId: 'web' }, sort: 'desc', limit: 21 });
      const plans = await plansWithoutSeqScan(requiredFerretDbPostgresUrl(), { bySource: query });
      expect(plans['bySource']!.join()).toContain(`using ${name}`);
      const { rows } = await pool.query<{ _jsonb: { eventId: string } }>(query.text, query.values);
      expect(rows.map((r) => r._jsonb.eventId)).toEqual(['src-1']);
    });

    it('when the table has the plain range indexes of an earlier version, then they are replaced by the covering ones', async () => {
      await db
        .collection('layout_retired')
        .insertOne({ eventId: 'r', userId: 'u', type: 'LOGIN', occurredAt: new Date() });
      const table = (await new FerretDbTables(pool).lookUp(db.name, 'layout_retired'))!;
      await ensureReadColumns(pool, table);
      const earlier = {
        uap_occurred_idx: 'uap_occurred_at DESC, uap_event_id DESC',
        uap_type_idx: 'uap_type, uap_occurred_at DESC, uap_event_id DESC',
      };
      for (const [suffix, columns] of Object.entries(earlier)) {
        await pool.query(`CREATE INDEX ${table.name}_${suffix} ON ${table.qualified} (${columns})`);
      }
      expect(Object.keys((await actualReadLayout(pool, table)).indexes)).toEqual(
        expect.arrayContaining(RETIRED_READ_INDEXES.map((suffix) => `${table.name}_${suffix}`)),
      );
      await ensureReadColumns(pool, table);
      expect(await actualReadLayout(pool, table)).toEqual(expectedReadLayout(table));
    });

    it('when the table has columns of a development build that this version does not create, then they are left as they are', async () => {
      await db.collection('layout_extra').insertOne({ eventId: 'x', anonymousId: 'a-1' });
      const table = (await new FerretDbTables(pool).lookUp(db.name, 'layout_extra'))!;
      const extra = {
        uap_anonymous_id: "(_jsonb -> 'anonymousId'::text)",
        uap_identity_link: "(_jsonb -> 'identityLink'::text)",
      };
      await pool.query(
        `ALTER TABLE ${table.qualified} ${Object.entries(extra)
          .map(([column, expression]) => `ADD COLUMN ${column} jsonb GENERATED ALWAYS AS (${expression}) STORED`)
          .join(', ')}`,
      );
      await ensureReadColumns(pool, table);
      const expected = expectedReadLayout(table);
      expect(await actualReadLayout(pool, table)).toEqual({ ...expected, columns: { ...expected.columns, ...extra } });
    });

    it('when an index of a declared name has another definition (a development build’s over its column), then preparing the table fails loudly', async () => {
      await db.collection('layout_old_index').insertOne({ eventId: 'x', anonymousId: 'a-1' });
      const table = (await new FerretDbTables(pool).lookUp(db.name, 'layout_old_index'))!;
      await pool.query(
        `ALTER TABLE ${table.qualified} ADD COLUMN uap_anonymous_id jsonb GENERATED ALWAYS AS (_jsonb -> 'anonymousId') STORED`,
      );
      await pool.query(
        `CREATE INDEX ${table.name}_uap_anonymous_idx ON ${table.qualified} (uap_anonymous_id) WHERE uap_anonymous_id IS NOT NULL`,
      );
      await expect(ensureReadColumns(pool, table)).rejects.toThrow(
        /uap_anonymous_idx is USING btree \(uap_anonymous_id\) WHERE \(uap_anonymous_id IS NOT NULL\), expected/,
      );
    });

    it('when a read column exists with another definition, then preparing the table fails loudly instead of reading it', async () => {
      await db.collection('layout_conflict').insertOne({ eventId: 'c' });
      const table = (await new FerretDbTables(pool).lookUp(db.name, 'layout_conflict'))!;
      await pool.query(
        `ALTER TABLE ${table.qualified} ADD COLUMN uap_type jsonb GENERATED ALWAYS AS (_jsonb -> 'kind') STORED`,
      );
      await expect(ensureReadColumns(pool, table)).rejects.toThrow(/uap_type is \(_jsonb -> 'kind'::text\), expected/);
    });
  });
}
