import { FLAGGED_FIELD, IDENTITY_LINK_FIELD, SEGMENT_CALL_TYPES } from '@uap/shared/contract';
import { fieldExpression, quoteIdentifier, type FerretDbTable } from '@uap/shared/runtime';
import type { Pool } from 'pg';

// What the api adds to FerretDB's storage layout (described in @uap/shared's ferretdb-tables.ts) to read it
// fast, and how it decodes a stored document. Checked against a running server by ferretdb-layout.int.test.ts.

type ReadField = 'userId' | 'type' | 'occurredAt' | 'eventId' | 'anonymousId' | typeof IDENTITY_LINK_FIELD;

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
  // Absent (SQL NULL) on most events: only anonymous events carry anonymousId, only links identityLink.
  anonymousId: 'uap_anonymous_id',
  [IDENTITY_LINK_FIELD]: 'uap_identity_link',
};

/**
 * The stored flag of the violations listing (FLAGGED_FIELD, written by the worker on unplanned and flagged events
 * only), spelled as PostgreSQL prints it back, so the layout check compares like with like.
 */
export const FLAG_EXPRESSION = `(_jsonb -> '${FLAGGED_FIELD}'::text)`;
/**
 * The partial indexes' predicate. PostgreSQL uses a partial index only when it can prove the query's WHERE implies
 * the predicate, and for `?` that takes this very clause in the query: a condition on FLAG_EXPRESSION does not
 * (`_jsonb -> 'flagged' = '"unplanned"'` is not known to imply `_jsonb ? 'flagged'`). Every violations query repeats it.
 */
export const FLAGGED_PREDICATE = `(_jsonb ? '${FLAGGED_FIELD}'::text)`;

/**
 * The identity indexes' predicates, as PostgreSQL prints them. An equality on the column implies IS NOT NULL (`=` is
 * strict), so any query naming an anonymous id or a link may use those; the IDENTIFY index takes the type as a
 * constant, which every profile query repeats verbatim.
 */
export const ANONYMOUS_PREDICATE = `(${READ_COLUMNS.anonymousId} IS NOT NULL)`;
export const LINK_PREDICATE = `(${READ_COLUMNS[IDENTITY_LINK_FIELD]} IS NOT NULL)`;
export const IDENTIFY_PREDICATE = `(${READ_COLUMNS.type} = '${JSON.stringify(SEGMENT_CALL_TYPES.identify)}'::jsonb)`;

/**
 * The btree indexes over READ_COLUMNS, one per read shape, each ending in the page order. The violations listing's
 * two are partial: they hold the flagged rows alone, so planned events never pay for them, and a page walks only
 * flagged rows, by flag (and by type, then flag), whatever their share of the table. So are the identity indexes
 * (a REST-only deployment, with no anonymous event, pays nothing for them on inserts): a visitor's events in page
 * order; a user's links; an anonymous id's links, earliest first (the first link wins); a user's IDENTIFY events,
 * newest first (the profile's traits).
 */
export const READ_INDEXES: ReadonlyArray<{ suffix: string; columns: string; where?: string }> = [
  { suffix: 'uap_occurred_idx', columns: 'uap_occurred_at DESC, uap_event_id DESC' },
  { suffix: 'uap_user_idx', columns: 'uap_user_id, uap_occurred_at DESC, uap_event_id DESC' },
  { suffix: 'uap_type_idx', columns: 'uap_type, uap_occurred_at DESC, uap_event_id DESC' },
  {
    suffix: 'uap_flagged_idx',
    columns: `(${FLAG_EXPRESSION}), uap_occurred_at DESC, uap_event_id DESC`,
    where: FLAGGED_PREDICATE,
  },
  {
    suffix: 'uap_flagged_type_idx',
    columns: `uap_type, (${FLAG_EXPRESSION}), uap_occurred_at DESC, uap_event_id DESC`,
    where: FLAGGED_PREDICATE,
  },
  {
    suffix: 'uap_anonymous_idx',
    columns: 'uap_anonymous_id, uap_occurred_at DESC, uap_event_id DESC',
    where: ANONYMOUS_PREDICATE,
  },
  { suffix: 'uap_link_user_idx', columns: 'uap_user_id, uap_identity_link', where: LINK_PREDICATE },
  { suffix: 'uap_link_first_idx', columns: 'uap_identity_link, uap_occurred_at, uap_event_id', where: LINK_PREDICATE },
  {
    suffix: 'uap_identify_idx',
    columns: 'uap_user_id, uap_occurred_at DESC, uap_event_id DESC',
    where: IDENTIFY_PREDICATE,
  },
];

const indexDefinition = ({ columns, where }: { columns: string; where?: string }) =>
  `USING btree (${columns})${where === undefined ? '' : ` WHERE ${where}`}`;

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
    READ_INDEXES.map((index) => [readIndexName(table, index.suffix), indexDefinition(index)]),
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
 * Cost, once per table and again at each upgrade that adds a column: ADD COLUMN … STORED rewrites the table and
 * FerretDB's indexes under an ACCESS EXCLUSIVE lock (about 21 s at 1M events on 2 cores, bench/README.md), during
 * which FerretDB's inserts and every read wait; the worker retries a failed batch and commits offsets only after a write, so nothing is lost, only
 * delayed. On a new, empty table (a fresh install: the first query that finds the table) it takes milliseconds.
 * A VACUUM follows a rewrite, because the rewritten table has an empty visibility map. A table that has the columns
 * and lacks only an index (an upgrade that adds the violations listing's partial indexes) just builds it: one scan of
 * the table, about 1.5 s at 1M events on 2 cores (ferretdb-violations-plan.int.test.ts), with inserts waiting as above.
 * An upgrade that adds columns rewrites the table once more: the identity columns (uap_anonymous_id,
 * uap_identity_link), with their four partial indexes and the VACUUM, took 42 to 65 s at 1M events on 2 cores
 * (ferretdb-identity-plan.int.test.ts), during which the api that runs it does not start and every read waits or
 * times out (a retriable 503).
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
        `ADD COLUMN IF NOT EXISTS ${column} jsonb GENERATED ALWAYS AS (${fieldExpression(field)}) STORED`,
    );
    await client.query(`ALTER TABLE ${table.qualified} ${addColumns.join(', ')}`);
    for (const index of READ_INDEXES) {
      await client.query(
        `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(readIndexName(table, index.suffix))} ON ${table.qualified} ` +
          indexDefinition(index),
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

export interface FieldSchema {
  t?: string;
  $s?: ObjectSchema;
  i?: FieldSchema[];
}
export interface ObjectSchema {
  p?: Record<string, FieldSchema>;
  $k?: string[];
}

/** A stored value back as the Mongo driver would return it, given its `$s` entry (`$s.p.<field>`). */
export function decodeValue(value: unknown, schema: FieldSchema | undefined): unknown {
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
