import { FLAGGED_FIELD, IDENTITY_LINK_FIELD, SEGMENT_CALL_TYPES } from '@uap/shared/contract';
import { fieldExpression, quoteIdentifier, type FerretDbTable } from '@uap/shared/runtime';
import type { Pool } from 'pg';

// What the api adds to FerretDB's storage layout (described in @uap/shared's ferretdb-tables.ts) to read it
// fast, and how it decodes a stored document. Checked against a running server by ferretdb-layout.int.test.ts.

type ReadField = 'userId' | 'type' | 'occurredAt' | 'eventId';

/**
 * A field of the stored document (of `alias`'s row, when given), spelled as PostgreSQL prints it back, so the layout
 * check compares like with like. PostgreSQL matches a query's expression to an index's by its parsed form, so
 * `_jsonb -> 'x'` and `(_jsonb -> 'x'::text)` in a query are the same expression.
 */
export const storedField = (field: string, alias?: string) =>
  `(${alias === undefined ? '' : `${alias}.`}_jsonb -> '${field}'::text)`;

/**
 * Plain columns this service adds to FerretDB's activities table: each a STORED copy of one field's index
 * expression, so it holds the very jsonb value FerretDB's indexes hold, and orders and compares identically
 * (no cast that could fail a FerretDB insert, or reorder anything). Why: PostgreSQL serves an index-only scan
 * from plain columns but never from an expression index whose query also names `_jsonb`, so without them the
 * 9,900 rows an offset page skips are each fetched from the heap and their `_jsonb` decoded (issue 12).
 * FerretDB never sees them: it writes `INSERT … (_jsonb)` and `UPDATE … SET _jsonb`, reads `SELECT _jsonb`,
 * and lists, creates and drops indexes from its metadata table (checked by ferretdb-layout.int.test.ts).
 *
 * Fields read only by the partial indexes (the flag, the identity fields) get no column: a new column is a rewrite of
 * the whole table at upgrade (ensureReadColumns), an index only a build. Their indexes are over the field's
 * expression instead, and their walks fetch each row from the heap, which the few rows of one flag page, one
 * visitor or one user's links afford.
 */
export const READ_COLUMNS: Readonly<Record<ReadField, string>> = {
  userId: 'uap_user_id',
  type: 'uap_type',
  occurredAt: 'uap_occurred_at',
  eventId: 'uap_event_id',
};

/**
 * The stored flag of the violations listing (FLAGGED_FIELD, written by the worker on unplanned and flagged events
 * only).
 */
export const FLAG_EXPRESSION = storedField(FLAGGED_FIELD);
/**
 * The violations listing's partial indexes' predicate. PostgreSQL uses a partial index only when it can prove the
 * query's WHERE implies the predicate, and for `?` that takes this very clause in the query: a condition on
 * FLAG_EXPRESSION does not (`_jsonb -> 'flagged' = '"unplanned"'` is not known to imply `_jsonb ? 'flagged'`). Every
 * violations query repeats it.
 */
export const FLAGGED_PREDICATE = `(_jsonb ? '${FLAGGED_FIELD}'::text)`;

/**
 * The identity fields (absent on most events: only anonymous events carry anonymousId, only links identityLink), as
 * their indexes and every identity query spell them.
 */
export const ANONYMOUS_EXPRESSION = storedField('anonymousId');
export const LINK_EXPRESSION = storedField(IDENTITY_LINK_FIELD);

/**
 * The identity indexes' predicates, as PostgreSQL prints them. Unlike `?`, an equality on the expression implies its
 * IS NOT NULL (`=` is strict, `= ANY` too), so any query naming an anonymous id or a link may use those without
 * repeating them; the IDENTIFY index takes the type as a constant, which every profile query repeats verbatim.
 */
export const ANONYMOUS_PREDICATE = `(${ANONYMOUS_EXPRESSION} IS NOT NULL)`;
/**
 * The source of the sending key (absent on the events of keys bound to none, and on every event stored before
 * sources), and its index's predicate: as the anonymous id's, an equality on the expression implies it, so the
 * list's `?sourceId=` needs no extra clause to make the partial index eligible.
 */
export const SOURCE_EXPRESSION = storedField('sourceId');
export const SOURCE_PREDICATE = `(${SOURCE_EXPRESSION} IS NOT NULL)`;
export const LINK_PREDICATE = `(${LINK_EXPRESSION} IS NOT NULL)`;
export const IDENTIFY_PREDICATE = `(${READ_COLUMNS.type} = '${JSON.stringify(SEGMENT_CALL_TYPES.identify)}'::jsonb)`;

/**
 * The btree indexes over READ_COLUMNS (and the expressions above), one per read shape, each ending in the page order.
 * The violations listing's two are partial: they hold the flagged rows alone, so planned events never pay for them,
 * and a page walks only flagged rows, by flag (and by type, then flag), whatever their share of the table. So are the
 * identity indexes (a REST-only deployment, with no anonymous event, pays nothing for them on inserts): a visitor's
 * events in page order; a user's links; an anonymous id's links, earliest first (the first link wins); a user's
 * IDENTIFY events, newest first (the profile's traits). So is the source index (a source's events in page order, the
 * types and the user left to filter): a deployment that binds no key to a source pays nothing for it.
 *
 * The range indexes carry the user (and the time index the type) as INCLUDE columns, for the insights: a funnel reads
 * every event of its steps' types over a week or two (about 120,000 rows at 1M events a month), a top-userId a day of
 * events, and an index-only scan of those columns reads none of the table's rows (a heap fetch per row took 0.5 s for
 * the funnel's, with the pages of three interleaved types; ferretdb-postgres-insights.reader.int.test.ts). They
 * replaced the plain indexes RETIRED_READ_INDEXES names, so inserts maintain as many indexes as before.
 */
export const READ_INDEXES: ReadonlyArray<{ suffix: string; columns: string; include?: string; where?: string }> = [
  {
    suffix: 'uap_occurred_cover_idx',
    columns: 'uap_occurred_at DESC, uap_event_id DESC',
    include: 'uap_user_id, uap_type',
  },
  { suffix: 'uap_user_idx', columns: 'uap_user_id, uap_occurred_at DESC, uap_event_id DESC' },
  {
    suffix: 'uap_type_cover_idx',
    columns: 'uap_type, uap_occurred_at DESC, uap_event_id DESC',
    include: 'uap_user_id',
  },
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
    columns: `(${ANONYMOUS_EXPRESSION}), uap_occurred_at DESC, uap_event_id DESC`,
    where: ANONYMOUS_PREDICATE,
  },
  { suffix: 'uap_link_user_idx', columns: `uap_user_id, (${LINK_EXPRESSION})`, where: LINK_PREDICATE },
  {
    suffix: 'uap_link_first_idx',
    columns: `(${LINK_EXPRESSION}), uap_occurred_at, uap_event_id`,
    where: LINK_PREDICATE,
  },
  {
    suffix: 'uap_identify_idx',
    columns: 'uap_user_id, uap_occurred_at DESC, uap_event_id DESC',
    where: IDENTIFY_PREDICATE,
  },
  {
    suffix: 'uap_source_idx',
    columns: `(${SOURCE_EXPRESSION}), uap_occurred_at DESC, uap_event_id DESC`,
    where: SOURCE_PREDICATE,
  },
];

/** Read indexes of earlier versions that a READ_INDEXES entry replaced: dropped once the replacement exists. */
export const RETIRED_READ_INDEXES: readonly string[] = ['uap_occurred_idx', 'uap_type_idx'];

/**
 * Statistics on the identity and source expressions, which PostgreSQL gathers from a sample at each ANALYZE (a generated column
 * has its own; a partial index's are never used for estimates). Without them the planner takes any
 * `expression = value` to match 0.5 % of the table: at 1M events, 5,000 rows for an anonymous id that has about a
 * hundred, and a history's count then ANDs that id's walk with a bitmap of every event without a userId (50 ms
 * instead of 0.5 ms), and a user's links are read through a bitmap (seen in ferretdb-identity-plan.int.test.ts).
 * A source, the other way round, may send a large share of the events (a third, say): knowing it, the planner walks the
 * type's index for a page of that source and a rarer type, where a third of the type's rows are the source's, rather
 * than the source's index, where a tenth are the type's (seen there too).
 */
export const READ_STATISTICS: ReadonlyArray<{ suffix: string; expression: string }> = [
  { suffix: 'uap_anonymous_stat', expression: ANONYMOUS_EXPRESSION },
  { suffix: 'uap_link_stat', expression: LINK_EXPRESSION },
  { suffix: 'uap_source_stat', expression: SOURCE_EXPRESSION },
];

const indexDefinition = ({ columns, include, where }: { columns: string; include?: string; where?: string }) =>
  `USING btree (${columns})${include === undefined ? '' : ` INCLUDE (${include})`}${where === undefined ? '' : ` WHERE ${where}`}`;

/**
 * Autovacuum of this table after every 10,000 inserts instead of after 20% of the table: an index-only scan
 * skips the heap only for pages the visibility map marks all-visible, which only VACUUM does, and FerretDB
 * only inserts (so the default would leave up to 200,000 rows unmarked at 1M).
 */
export const READ_AUTOVACUUM = 'autovacuum_vacuum_insert_threshold = 10000, autovacuum_vacuum_insert_scale_factor = 0';

const readIndexName = (table: FerretDbTable, suffix: string) => `${table.name}_${suffix}`;

/** The read columns, indexes and statistics objects, each by name: its expression, definition, or expressions. */
export interface ReadLayout {
  columns: Record<string, string>;
  indexes: Record<string, string>;
  statistics: Record<string, string>;
}

/** What PostgreSQL reports for the read layout, when it is as this service creates it. */
export function expectedReadLayout(table: FerretDbTable): ReadLayout {
  const columns = Object.fromEntries(
    Object.entries(READ_COLUMNS).map(([field, column]) => [column, storedField(field)]),
  );
  const indexes = Object.fromEntries(
    READ_INDEXES.map((index) => [readIndexName(table, index.suffix), indexDefinition(index)]),
  );
  const statistics = Object.fromEntries(
    READ_STATISTICS.map((stat) => [readIndexName(table, stat.suffix), stat.expression]),
  );
  return { columns, indexes, statistics };
}

/**
 * The read layout PostgreSQL has now: generated expressions by column, definitions by index name, expressions by
 * statistics object.
 */
export async function actualReadLayout(pool: Pool, table: FerretDbTable): Promise<ReadLayout> {
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
  const statistics = await pool.query<{ name: string; definition: string | null }>(
    `SELECT stxname AS name, array_to_string(pg_get_statisticsobjdef_expressions(oid), ', ') AS definition
       FROM pg_statistic_ext WHERE stxrelid = $1::regclass AND stxname LIKE '%\\_uap\\_%'`,
    [table.qualified],
  );
  return {
    columns: Object.fromEntries(columns.rows.map((r) => [r.name, r.expression ?? '(not generated)'])),
    indexes: Object.fromEntries(indexes.rows.map((r) => [r.name, r.definition])),
    statistics: Object.fromEntries(statistics.rows.map((r) => [r.name, r.definition ?? '(no expression)'])),
  };
}

function differences(expected: Record<string, string>, actual: Record<string, string>): string[] {
  return Object.entries(expected)
    .filter(([name, definition]) => name in actual && actual[name] !== definition)
    .map(([name, definition]) => `${name} is ${actual[name]}, expected ${definition}`);
}

/**
 * Adds READ_COLUMNS, READ_INDEXES and READ_STATISTICS to an activities table unless present, idempotently and once
 * across api replicas (an advisory lock). The fast path, every start after the first, only reads the catalog. It
 * compares only the names it declares: another `uap_` column, index or statistics object (a development build's) is
 * left as it is; one of a declared name but another definition is refused, loudly.
 *
 * Cost, once per table: ADD COLUMN … STORED rewrites the table and FerretDB's indexes under an ACCESS EXCLUSIVE lock
 * (about 21 s at 1M events on 2 cores, bench/README.md), during which FerretDB's inserts and every read wait; the
 * worker retries a failed batch and commits offsets only after a write, so nothing is lost, only delayed. On a new,
 * empty table (a fresh install: the first query that finds the table) it takes milliseconds. A VACUUM follows a
 * rewrite, because the rewritten table has an empty visibility map.
 *
 * An upgrade that adds indexes and statistics only (the violations listing's; issue 28's identity ones; issue 30's
 * source index) rewrites nothing: each index is one scan of the table under CREATE INDEX's SHARE lock, held until the
 * commit, which makes FerretDB's inserts wait and no read; then an ANALYZE fills the statistics, blocking neither.
 * Issue 28's took 3.5 to 3.6 s at 1M events on 2 cores, the table in memory: the four partial indexes about 3 s
 * (inserts waiting), the ANALYZE under 1 s; issue 30's source index 2.2 s at 1M events, 70 % of them sourced (up to
 * 4.4 s on busy cores) (ferretdb-identity-plan.int.test.ts, which checks that a read goes on meanwhile and an insert
 * waits).
 */
export async function ensureReadColumns(pool: Pool, table: FerretDbTable): Promise<void> {
  const expected = expectedReadLayout(table);
  const before = await actualReadLayout(pool, table);
  const conflicts = [
    ...differences(expected.columns, before.columns),
    ...differences(expected.indexes, before.indexes),
    ...differences(expected.statistics, before.statistics),
  ];
  if (conflicts.length > 0) {
    throw new Error(
      `FerretDB table ${table.qualified} has read columns, indexes or statistics unlike those this service creates ` +
        `(${conflicts.join('; ')}): drop them, and the api re-creates them at start-up.`,
    );
  }
  const missingColumns = Object.keys(expected.columns).filter((c) => !(c in before.columns));
  const missingIndexes = Object.keys(expected.indexes).filter((i) => !(i in before.indexes));
  const missingStatistics = Object.keys(expected.statistics).filter((s) => !(s in before.statistics));
  const retired = RETIRED_READ_INDEXES.map((suffix) => readIndexName(table, suffix)).filter((i) => i in before.indexes);
  if (
    missingColumns.length === 0 &&
    missingIndexes.length === 0 &&
    missingStatistics.length === 0 &&
    retired.length === 0
  )
    return;

  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // The rewrite may take longer than a read is allowed to; waiting for FerretDB's locks is bounded.
    await client.query("SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = '60s'");
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`uap-read-columns ${table.qualified}`]);
    // Only what is missing: ALTER TABLE … ADD COLUMN takes an ACCESS EXCLUSIVE lock even when IF NOT EXISTS finds
    // the column, and would make every read wait for the index builds below.
    const addColumns = Object.entries(READ_COLUMNS)
      .filter(([, column]) => missingColumns.includes(column))
      .map(
        ([field, column]) =>
          `ADD COLUMN IF NOT EXISTS ${column} jsonb GENERATED ALWAYS AS (${fieldExpression(field)}) STORED`,
      );
    if (addColumns.length > 0) await client.query(`ALTER TABLE ${table.qualified} ${addColumns.join(', ')}`);
    for (const index of READ_INDEXES) {
      await client.query(
        `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(readIndexName(table, index.suffix))} ON ${table.qualified} ` +
          indexDefinition(index),
      );
    }
    // After their replacements exist. DROP INDEX locks the table (ACCESS EXCLUSIVE) only for the catalog change.
    for (const name of retired) {
      await client.query(`DROP INDEX IF EXISTS ${quoteIdentifier(table.schema)}.${quoteIdentifier(name)}`);
    }
    for (const stat of READ_STATISTICS) {
      // In the table's schema: unqualified, it would go to the first schema of the search path.
      const name = `${quoteIdentifier(table.schema)}.${quoteIdentifier(readIndexName(table, stat.suffix))}`;
      await client.query(`CREATE STATISTICS IF NOT EXISTS ${name} ON ${stat.expression} FROM ${table.qualified}`);
    }
    await client.query(`ALTER TABLE ${table.qualified} SET (${READ_AUTOVACUUM})`);
    await client.query('COMMIT');
    if (missingColumns.length > 0 || missingStatistics.length > 0) {
      await client.query('SET statement_timeout = 0');
      // A new statistics object is empty until an ANALYZE fills it (autovacuum's would come only after 10% new rows).
      await client.query(`${missingColumns.length > 0 ? 'VACUUM (ANALYZE)' : 'ANALYZE'} ${table.qualified}`);
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
