import type { Pool } from 'pg';

/**
 * Everything this service knows about how FerretDB v1 stores a collection in PostgreSQL, in one place.
 * None of it is a public FerretDB interface: it is the storage layout of the last v1 release, read from
 * its source and checked against a running server by ferretdb-layout.int.test.ts. Any other version is
 * refused at start-up (assertSupportedFerretDb), because a changed layout would give wrong answers, not errors.
 *
 * - Each database is a PostgreSQL schema of the same name; each collection a table with one `_jsonb` column,
 *   whose name is in the schema's `_ferretdb_database_metadata` table (`{_id: collection, table: name}`).
 * - A document is a jsonb object plus a `$s` schema: `$s.p.<field>.t` is the BSON type, `$s.$k` the key order;
 *   nested objects carry their own `$s`, arrays list element schemas in `i`.
 * - A Date is stored as epoch milliseconds (a JSON number) with type `date`.
 * - A Mongo index `{a: 1, b: -1}` becomes a btree on `((_jsonb -> 'a'), (_jsonb -> 'b') DESC)`.
 */
export const FERRETDB_LAYOUT_VERSION = 'v1.24.2';

/** The SQL expression FerretDB indexes a top-level field by; queries must use it verbatim to be index-served. */
export function fieldExpression(field: ReadField): string {
  return `(_jsonb -> '${field}')`;
}

export const DOCUMENT_COLUMN = '_jsonb';

/** A query parameter for `$n::jsonb`, compared with a field expression. */
export function jsonbString(value: string): string {
  return JSON.stringify(value);
}

export function jsonbDate(value: Date): string {
  return String(value.getTime());
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The server's version from `buildInfo` through the Mongo wire; undefined when the server is not FerretDB. */
export function ferretDbVersionOf(buildInfo: Record<string, unknown>): string | undefined {
  const version = buildInfo['ferretdbVersion'];
  return typeof version === 'string' ? version : undefined;
}

export function assertSupportedFerretDb(version: string): void {
  if (version !== FERRETDB_LAYOUT_VERSION) {
    throw new Error(
      `FERRETDB_POSTGRES_URL is set, but the store is FerretDB ${version}: the SQL reader reads FerretDB's ` +
        `PostgreSQL tables directly and is pinned to the storage layout of ${FERRETDB_LAYOUT_VERSION}. ` +
        `Run FerretDB ${FERRETDB_LAYOUT_VERSION}, or unset FERRETDB_POSTGRES_URL to read through the Mongo wire (slow on large stores).`,
    );
  }
}

const UNDEFINED_TABLE = '42P01';
const INVALID_SCHEMA = '3F000';

/** The table does not exist (yet): the worker has not created the collection, or it was dropped. */
export function isMissingTable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === UNDEFINED_TABLE || code === INVALID_SCHEMA;
}

/** Where a FerretDB table lives: its PostgreSQL schema and table name, and both quoted for SQL. */
export interface FerretDbTable {
  schema: string;
  name: string;
  qualified: string;
}

/**
 * Resolves (database, collection) to its table, caching hits once `prepare` (if given) has succeeded on it.
 * Absence is not cached: the table appears when the worker creates the collection.
 */
export class FerretDbTables {
  private readonly cache = new Map<string, Promise<FerretDbTable>>();

  constructor(
    private readonly pool: Pool,
    private readonly prepare?: (table: FerretDbTable) => Promise<void>,
  ) {}

  async tableOf(database: string, collection: string): Promise<string | undefined> {
    return (await this.lookUp(database, collection))?.qualified;
  }

  async lookUp(database: string, collection: string): Promise<FerretDbTable | undefined> {
    const key = `${database}\u0000${collection}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    let name: string | undefined;
    try {
      const { rows } = await this.pool.query<{ table: string }>(
        `SELECT _jsonb ->> 'table' AS table FROM ${quoteIdentifier(database)}._ferretdb_database_metadata
          WHERE _jsonb -> '_id' = $1::jsonb`,
        [jsonbString(collection)],
      );
      name = rows[0]?.table;
    } catch (err) {
      if (isMissingTable(err)) return undefined;
      throw err;
    }
    if (name === undefined) return undefined;
    const table = { schema: database, name, qualified: `${quoteIdentifier(database)}.${quoteIdentifier(name)}` };
    // Concurrent first queries share one preparation; a failed one is retried by the next query.
    const ready = (this.prepare ? this.prepare(table) : Promise.resolve()).then(() => table);
    this.cache.set(key, ready);
    ready.catch(() => this.cache.delete(key));
    return ready;
  }

  forget(database: string, collection: string): void {
    this.cache.delete(`${database}\u0000${collection}`);
  }
}

type ReadField = 'userId' | 'type' | 'occurredAt' | 'eventId';

/**
 * Plain columns this service adds to FerretDB's activities table: each a STORED copy of one field's index
 * expression, so it holds the very jsonb value FerretDB's indexes hold, and orders and compares identically
 * (no cast that could fail a FerretDB insert, or reorder anything). Why: PostgreSQL serves an index-only scan
 * from plain columns but never from an expression index whose query also names `_jsonb`, so without them the
 * 9,900 rows an offset page skips are each fetched from the heap and their `_jsonb` decoded (issue 12).
 * FerretDB never sees them: it writes `INSERT … (_jsonb)` and `UPDATE … SET _jsonb`, reads `SELECT _jsonb`,
 * and lists, creates and drops indexes from its metadata table (checked by ferretdb-layout.int.test.ts).
 */
export const READ_COLUMNS: Readonly<Record<ReadField, string>> = {
  userId: 'uap_user_id',
  type: 'uap_type',
  occurredAt: 'uap_occurred_at',
  eventId: 'uap_event_id',
};

/** The btree indexes over READ_COLUMNS, one per read shape, each ending in the page order. */
export const READ_INDEXES: ReadonlyArray<{ suffix: string; columns: string }> = [
  { suffix: 'uap_occurred_idx', columns: 'uap_occurred_at DESC, uap_event_id DESC' },
  { suffix: 'uap_user_idx', columns: 'uap_user_id, uap_occurred_at DESC, uap_event_id DESC' },
  { suffix: 'uap_type_idx', columns: 'uap_type, uap_occurred_at DESC, uap_event_id DESC' },
];

/**
 * Autovacuum of this table after every 10,000 inserts instead of after 20% of the table: an index-only scan
 * skips the heap only for pages the visibility map marks all-visible, which only VACUUM does, and FerretDB
 * only inserts (so the default would leave up to 200,000 rows unmarked at 1M).
 */
export const READ_AUTOVACUUM = 'autovacuum_vacuum_insert_threshold = 10000, autovacuum_vacuum_insert_scale_factor = 0';

const readIndexName = (table: FerretDbTable, suffix: string) => `${table.name}_${suffix}`;

/** What PostgreSQL reports for the columns and indexes, when they are as this service creates them. */
export function expectedReadLayout(table: FerretDbTable): {
  columns: Record<string, string>;
  indexes: Record<string, string>;
} {
  const columns = Object.fromEntries(
    Object.entries(READ_COLUMNS).map(([field, column]) => [column, `(_jsonb -> '${field}'::text)`]),
  );
  const indexes = Object.fromEntries(
    READ_INDEXES.map(({ suffix, columns: c }) => [readIndexName(table, suffix), `USING btree (${c})`]),
  );
  return { columns, indexes };
}

/** The read layout PostgreSQL has now: generated expressions by column, definitions by index name. */
export async function actualReadLayout(
  pool: Pool,
  table: FerretDbTable,
): Promise<{ columns: Record<string, string>; indexes: Record<string, string> }> {
  const columns = await pool.query<{ name: string; expression: string | null }>(
    `SELECT a.attname AS name, CASE WHEN a.attgenerated = 's' THEN pg_get_expr(d.adbin, d.adrelid) END AS expression
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = $1::regclass AND a.attname LIKE 'uap\\_%' AND NOT a.attisdropped`,
    [table.qualified],
  );
  const indexes = await pool.query<{ name: string; definition: string }>(
    `SELECT indexname AS name, regexp_replace(indexdef, '^.* USING ', 'USING ') AS definition
       FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 AND indexname LIKE '%\\_uap\\_%'`,
    [table.schema, table.name],
  );
  return {
    columns: Object.fromEntries(columns.rows.map((r) => [r.name, r.expression ?? '(not generated)'])),
    indexes: Object.fromEntries(indexes.rows.map((r) => [r.name, r.definition])),
  };
}

function differences(expected: Record<string, string>, actual: Record<string, string>): string[] {
  return Object.entries(expected)
    .filter(([name, definition]) => name in actual && actual[name] !== definition)
    .map(([name, definition]) => `${name} is ${actual[name]}, expected ${definition}`);
}

/**
 * Adds READ_COLUMNS and READ_INDEXES to an activities table unless present, idempotently and once across
 * api replicas (an advisory lock). The fast path, every start after the first, only reads the catalog.
 *
 * Cost, once per table: ADD COLUMN … STORED rewrites the table and FerretDB's indexes under an ACCESS EXCLUSIVE
 * lock (about 21 s at 1M events on 2 cores, bench/README.md), during which FerretDB's inserts and every read
 * wait; the worker retries a failed batch and commits offsets only after a write, so nothing is lost, only
 * delayed. On a new, empty table (a fresh install: the first query that finds the table) it takes milliseconds.
 * A VACUUM follows a rewrite, because the rewritten table has an empty visibility map.
 */
export async function ensureReadColumns(pool: Pool, table: FerretDbTable): Promise<void> {
  const expected = expectedReadLayout(table);
  const before = await actualReadLayout(pool, table);
  const conflicts = [
    ...differences(expected.columns, before.columns),
    ...differences(expected.indexes, before.indexes),
  ];
  if (conflicts.length > 0) {
    throw new Error(
      `FerretDB table ${table.qualified} has read columns or indexes unlike those this service creates ` +
        `(${conflicts.join('; ')}): drop them, and the api re-creates them at start-up.`,
    );
  }
  const missingColumns = Object.keys(expected.columns).filter((c) => !(c in before.columns));
  const missingIndexes = Object.keys(expected.indexes).filter((i) => !(i in before.indexes));
  if (missingColumns.length === 0 && missingIndexes.length === 0) return;

  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // The rewrite may take longer than a read is allowed to; waiting for FerretDB's locks is bounded.
    await client.query("SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = '60s'");
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`uap-read-columns ${table.qualified}`]);
    const addColumns = Object.entries(READ_COLUMNS).map(
      ([field, column]) =>
        `ADD COLUMN IF NOT EXISTS ${column} jsonb GENERATED ALWAYS AS (${fieldExpression(field as ReadField)}) STORED`,
    );
    await client.query(`ALTER TABLE ${table.qualified} ${addColumns.join(', ')}`);
    for (const { suffix, columns } of READ_INDEXES) {
      await client.query(
        `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(readIndexName(table, suffix))} ON ${table.qualified} (${columns})`,
      );
    }
    await client.query(`ALTER TABLE ${table.qualified} SET (${READ_AUTOVACUUM})`);
    await client.query('COMMIT');
    if (missingColumns.length > 0) {
      await client.query('SET statement_timeout = 0');
      await client.query(`VACUUM (ANALYZE) ${table.qualified}`);
      await client.query('RESET statement_timeout');
    }
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

interface FieldSchema {
  t?: string;
  $s?: ObjectSchema;
  i?: FieldSchema[];
}
interface ObjectSchema {
  p?: Record<string, FieldSchema>;
  $k?: string[];
}

function decodeValue(value: unknown, schema: FieldSchema | undefined): unknown {
  switch (schema?.t) {
    case 'date':
      return new Date(value as number);
    case 'object':
      return decodeObject(value as Record<string, unknown>, schema.$s ?? {});
    case 'array':
      return (value as unknown[]).map((item, i) => decodeValue(item, schema.i?.[i]));
    default:
      // string, bool, null, int, long, double: the JSON value is the value the Mongo driver returns.
      return value;
  }
}

function decodeObject(stored: Record<string, unknown>, schema: ObjectSchema): Record<string, unknown> {
  const decoded: Record<string, unknown> = {};
  // jsonb sorts keys by length; `$k` holds the order the document was written in.
  for (const key of schema.$k ?? []) decoded[key] = decodeValue(stored[key], schema.p?.[key]);
  return decoded;
}

/** A stored `_jsonb` value back as the document the Mongo driver would return (without `$s`). */
export function decodeDocument(stored: Record<string, unknown>): Record<string, unknown> {
  return decodeObject(stored, (stored['$s'] as ObjectSchema | undefined) ?? {});
}
