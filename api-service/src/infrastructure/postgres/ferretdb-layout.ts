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
export function fieldExpression(field: 'userId' | 'type' | 'occurredAt' | 'eventId'): string {
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

/**
 * Resolves (database, collection) to the qualified table name, caching hits. Absence is not cached: the
 * table appears when the worker creates the collection.
 */
export class FerretDbTables {
  private readonly cache = new Map<string, string>();

  constructor(private readonly pool: Pool) {}

  async tableOf(database: string, collection: string): Promise<string | undefined> {
    const key = `${database}\u0000${collection}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    let table: string | undefined;
    try {
      const { rows } = await this.pool.query<{ table: string }>(
        `SELECT _jsonb ->> 'table' AS table FROM ${quoteIdentifier(database)}._ferretdb_database_metadata
          WHERE _jsonb -> '_id' = $1::jsonb`,
        [jsonbString(collection)],
      );
      table = rows[0]?.table;
    } catch (err) {
      if (isMissingTable(err)) return undefined;
      throw err;
    }
    if (table === undefined) return undefined;
    const qualified = `${quoteIdentifier(database)}.${quoteIdentifier(table)}`;
    this.cache.set(key, qualified);
    return qualified;
  }

  forget(database: string, collection: string): void {
    this.cache.delete(`${database}\u0000${collection}`);
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
