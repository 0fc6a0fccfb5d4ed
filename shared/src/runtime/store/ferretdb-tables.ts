/**
 * What both services know about how FerretDB v1 stores a collection in PostgreSQL, in one place. None of
 * it is a public FerretDB interface: it is the storage layout of the last v1 release, read from its source
 * and checked against a running server by api-service's ferretdb-layout.int.test.ts. Any other version is
 * refused at start-up (assertSupportedFerretDb), because a changed layout would give wrong answers, not errors.
 *
 * - Each database is a PostgreSQL schema of the same name; each collection a table with one `_jsonb` column,
 *   whose name is in the schema's `_ferretdb_database_metadata` table (`{_id: collection, table: name}`).
 * - A document is a jsonb object plus a `$s` schema: `$s.p.<field>.t` is the BSON type, `$s.$k` the key order.
 * - A Date is stored as epoch milliseconds (a JSON number) with type `date`.
 * - A Mongo index `{a: 1, b: -1}` becomes a btree on `((_jsonb -> 'a'), (_jsonb -> 'b') DESC)`.
 *
 * Why SQL at all: through the Mongo wire FerretDB v1 never uses an index. It pushes an equality down as
 * `_jsonb -> 'f' @> value`, which no btree serves (a sequential scan: 867 ms at 200k rows), and evaluates
 * ranges, `$in` and sorts in its own memory. `=` and `= ANY(…)` on the index expression are served by the
 * btree in about a millisecond.
 */
export const FERRETDB_LAYOUT_VERSION = 'v1.24.2';

export const DOCUMENT_COLUMN = '_jsonb';

/** The SQL expression FerretDB indexes a top-level field by; queries must use it verbatim to be index-served. */
export function fieldExpression(field: string): string {
  return `(_jsonb -> '${field.replace(/'/g, "''")}')`;
}

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

/** Which server answers the Mongo wire; FerretDB also says which MongoDB it reports being (`reports`). */
export type StoreServer = { kind: 'MongoDB'; version: string } | { kind: 'FerretDB'; version: string; reports: string };

/** Which server answers the Mongo wire, from its `buildInfo`: FerretDB adds its own `ferretdbVersion`. */
export function storeServerOf(buildInfo: Record<string, unknown>): StoreServer {
  const ferret = buildInfo['ferretdbVersion'];
  const version = String(buildInfo['version']);
  return typeof ferret === 'string'
    ? { kind: 'FerretDB', version: ferret, reports: version }
    : { kind: 'MongoDB', version };
}

/** What the Mongo driver's `Db` offers for the check (mongoose's `connection.db`, a `MongoClient`'s `db()`). */
export interface AdminCommandDb {
  admin(): { command(command: { buildInfo: 1 }): Promise<Record<string, unknown>> };
}

/**
 * The one "is this store FerretDB?" check, for the services, scripts, bench and tests alike: FerretDB lacks
 * TTL, transactions and index use through its wire, so each caller picks its path (and says so) from this.
 */
export async function detectStoreServer(db: AdminCommandDb): Promise<StoreServer> {
  return storeServerOf(await db.admin().command({ buildInfo: 1 }));
}

/** `FerretDB v1.24.2` or `MongoDB 7.0.14`, for logs and reports. */
export function storeLabel(server: StoreServer): string {
  return `${server.kind} ${server.version}`;
}

export function assertSupportedFerretDb(version: string): void {
  if (version !== FERRETDB_LAYOUT_VERSION) {
    throw new Error(
      `FERRETDB_POSTGRES_URL is set, but the store is FerretDB ${version}: the services read and delete through ` +
        `FerretDB's PostgreSQL tables directly and are pinned to the storage layout of ${FERRETDB_LAYOUT_VERSION}. ` +
        `Run FerretDB ${FERRETDB_LAYOUT_VERSION}, or unset FERRETDB_POSTGRES_URL to go through the Mongo wire (slow on large stores).`,
    );
  }
}

/** A connection URL fit for a log line: the password masked. */
export function redactedUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

const UNDEFINED_TABLE = '42P01';
const INVALID_SCHEMA = '3F000';

/** The table does not exist (yet): the collection was not created, or it was dropped. */
export function isMissingTable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === UNDEFINED_TABLE || code === INVALID_SCHEMA;
}

/** The part of a pg Pool (or client) these helpers use; structural, so this package needs no pg. */
export interface SqlQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** Where a FerretDB table lives: its PostgreSQL schema and table name, and both quoted for SQL. */
export interface FerretDbTable {
  schema: string;
  name: string;
  qualified: string;
}

/**
 * Resolves (database, collection) to its table, caching hits once `prepare` (if given) has succeeded on it.
 * Absence is not cached: the table appears when the collection is created.
 */
export class FerretDbTables {
  private readonly cache = new Map<string, Promise<FerretDbTable>>();

  constructor(
    private readonly pool: SqlQueryable,
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
      const { rows } = await this.pool.query(
        `SELECT _jsonb ->> 'table' AS table FROM ${quoteIdentifier(database)}._ferretdb_database_metadata
          WHERE _jsonb -> '_id' = $1::jsonb`,
        [jsonbString(collection)],
      );
      name = (rows as Array<{ table: string }>)[0]?.table;
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

  /**
   * Runs a statement against a collection's table: none yet is `[]` (nothing stored), and a table that vanished
   * (collection dropped and re-created) is looked up once more.
   */
  async query<R>(
    database: string,
    collection: string,
    build: (table: string) => { text: string; values: unknown[] },
  ): Promise<R[]> {
    for (let attempt = 0; ; attempt++) {
      const table = await this.tableOf(database, collection);
      if (table === undefined) return [];
      try {
        const statement = build(table);
        return (await this.pool.query(statement.text, statement.values)).rows as R[];
      } catch (err) {
        if (!isMissingTable(err) || attempt > 0) throw err;
        this.forget(database, collection);
      }
    }
  }
}
