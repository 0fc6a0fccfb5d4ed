import { ACTIVITIES_COLLECTION, FLAG_KINDS, type ActivityType } from '@uap/shared/contract';
import { DOCUMENT_COLUMN, FerretDbTables, fieldExpression, jsonbDate, jsonbString } from '@uap/shared/runtime';
import { Pool } from 'pg';
import { actorOf, registryFieldsOf, segmentOf, sourceIdOf, storedFromOf } from '../store/stored-activity';
import type {
  ActivityCount,
  ActivityCountByType,
  ActivityReader,
  ActivityRecord,
  PageRequest,
} from '../../application/ports/activity-reader.port';
import type {
  ActivityViolationReader,
  ViolationPageRequest,
} from '../../application/ports/activity-violation-reader.port';
import type { ActivityFilters } from '../../domain/activity-query';
import { DomainError } from '../../domain/domain-error';
import { FLAG_OF_KIND } from '../../domain/violation-query';
import {
  ANONYMOUS_EXPRESSION,
  decodeDocument,
  ensureReadColumns,
  FLAG_EXPRESSION,
  FLAGGED_PREDICATE,
  READ_COLUMNS,
  SOURCE_EXPRESSION,
} from './ferretdb-layout';

const USER = READ_COLUMNS.userId;
const ANONYMOUS = ANONYMOUS_EXPRESSION;
const SOURCE = SOURCE_EXPRESSION;
const TYPE = READ_COLUMNS.type;
const OCCURRED = READ_COLUMNS.occurredAt;
const EVENT = READ_COLUMNS.eventId;

/**
 * Linked anonymous ids a user's history walks as branches of its own, merged in page order without a sort; past
 * this many (a user who linked more browsers than that), one branch walks them all, each id's walk under a LATERAL
 * join, and sorts what they read: at most a page per id, never their whole histories. (As one `= ANY(…)` instead,
 * PostgreSQL walks uap_occurred_cover_idx through the whole table, filtering: 25 ms at 1M events for 51 ids, more the
 * older their events.)
 */
export const MAX_ANONYMOUS_BRANCHES = 50;

/** One SELECT with its parameters; `$n` placeholders are numbered as values are added. */
export class Sql {
  readonly values: Array<string | string[]> = [];

  param(value: string): string {
    this.values.push(value);
    return `$${this.values.length}::jsonb`;
  }

  array(values: string[]): string {
    this.values.push(values);
    return `$${this.values.length}::jsonb[]`;
  }
}

/**
 * The WHERE conditions of one branch (one type at most). Every comparison is on a read column (or the indexed
 * expression of the anonymous id or the source) against a jsonb parameter, so PostgreSQL can start and stop the btree scan on it.
 */
function conditions(
  sql: Sql,
  filters: ActivityFilters,
  type: string | undefined,
  request?: Pick<PageRequest, 'after' | 'sort'>,
): string[] {
  const where: string[] = [];
  if (filters.userId !== undefined) where.push(`${USER} = ${sql.param(jsonbString(filters.userId))}`);
  if (type !== undefined) where.push(`${TYPE} = ${sql.param(jsonbString(type))}`);
  where.push(...sharedConditions(sql, filters, request));
  return where;
}

/**
 * What every branch of a query states besides its actor and type: the visitor, the source, the time range, the keyset.
 * An equality on the source's expression implies uap_source_idx's predicate, so a branch without a user or a visitor
 * walks that index in page order (a type, a user or a visitor left to filter, whichever index the planner finds
 * cheaper; ferretdb-identity-plan.int.test.ts).
 */
function sharedConditions(sql: Sql, filters: ActivityFilters, request?: Pick<PageRequest, 'after' | 'sort'>): string[] {
  const where: string[] = [];
  if (filters.anonymousId !== undefined) where.push(`${ANONYMOUS} = ${sql.param(jsonbString(filters.anonymousId))}`);
  if (filters.sourceId !== undefined) where.push(`${SOURCE} = ${sql.param(jsonbString(filters.sourceId))}`);
  if (filters.from) where.push(`${OCCURRED} >= ${sql.param(jsonbDate(filters.from))}`);
  if (filters.to) where.push(`${OCCURRED} < ${sql.param(jsonbDate(filters.to))}`);
  if (request?.after) {
    // A row comparison: the btree seeks straight to the cursor instead of filtering the rows before it.
    const past = request.sort === 'asc' ? '>' : '<';
    where.push(
      `(${OCCURRED}, ${EVENT}) ${past} (${sql.param(jsonbDate(request.after.occurredAt))}, ${sql.param(jsonbString(request.after.eventId))})`,
    );
  }
  return where;
}

const whereClause = (where: string[]) => (where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`);

/**
 * One walk of an index in page order: its conditions, and (`visitors`, a jsonb[] parameter) one walk per element,
 * `visitor.id` in the conditions, under a LATERAL join.
 */
interface Branch {
  where: string[];
  visitors?: string;
}

/**
 * The branches of a list query, each the conditions of one ordered walk of one index: one per type, because
 * `type IN (…)` cannot be read from the (type, occurredAt, eventId) index in order. A user's history adds one walk per
 * linked anonymous id (uap_anonymous_idx), of its events that name no other user, the types a filter there.
 *
 * Those walks overlap the user's own (`overlapping`): analytics.js sends the anonymousId with every event after login
 * too, so most of a linked id's events also name the user. The merge drops the duplicates instead of each walk
 * skipping them: a walk that skipped them (`userId IS NULL`) would read the user's whole logged-in history to find
 * the few events from before. Only the events of another user who used the same browser are read and dropped.
 */
function branchesOf(
  sql: Sql,
  filters: ActivityFilters,
  request?: Pick<PageRequest, 'after' | 'sort'>,
): { branches: Branch[]; overlapping: boolean } {
  const user = filters.userId === undefined ? undefined : sql.param(jsonbString(filters.userId));
  const types =
    filters.types === undefined ? undefined : [...new Set(filters.types)].map((t) => sql.param(jsonbString(t)));
  const shared = sharedConditions(sql, filters, request);
  const own = user === undefined ? [] : [`${USER} = ${user}`];
  const branches: Branch[] = (types ?? [undefined]).map((type) => ({
    where: [...own, ...(type === undefined ? [] : [`${TYPE} = ${type}`]), ...shared],
  }));
  const linked = user === undefined ? [] : [...new Set(filters.linkedAnonymousIds ?? [])];
  if (linked.length === 0) return { branches, overlapping: false };
  const visitor = [
    `(${USER} IS NULL OR ${USER} = ${user})`,
    ...(types === undefined ? [] : [`${TYPE} IN (${types.join(', ')})`]),
    ...shared,
  ];
  const visitors: Branch[] =
    linked.length <= MAX_ANONYMOUS_BRANCHES
      ? linked.map((id) => ({ where: [`${ANONYMOUS} = ${sql.param(jsonbString(id))}`, ...visitor] }))
      : [{ where: [`${ANONYMOUS} = visitor.id`, ...visitor], visitors: sql.array(linked.map(jsonbString)) }];
  return { branches: [...branches, ...visitors], overlapping: true };
}

/** A branch as a subquery of `columns`, at most `limit` rows, in `orderBy` (absent: any order) when given. */
function walkOf(table: string, branch: Branch, columns: string, limit: number, orderBy?: { sql: string; dir: string }) {
  const walk = `SELECT ${columns} FROM ${table} ${whereClause(branch.where)}${orderBy ? ` ${orderBy.sql}` : ''} LIMIT ${limit}`;
  if (branch.visitors === undefined) return `(${walk})`;
  const merged = orderBy ? ` ORDER BY walk.o ${orderBy.dir}, walk.e ${orderBy.dir} LIMIT ${limit}` : '';
  return `(SELECT walk.* FROM unnest(${branch.visitors}) AS visitor(id) CROSS JOIN LATERAL (${walk}) AS walk${merged})`;
}

/**
 * The page query. Several types become one ordered, limited scan per type under a merge (PostgreSQL's
 * Merge Append), because `type IN (…)` cannot be read from the (type, occurredAt, eventId) index in order.
 *
 * A user's history merges the walks of branchesOf the same way, keeping one row per (occurredAt, eventId) key: the
 * branches are each in page order, so duplicates arrive side by side and `DISTINCT ON` drops them without a sort.
 * Each walk still reads at most one page: the first `limit` distinct keys of the union are among the first `limit`
 * of whichever walk holds them.
 *
 * An offset page is a keyset page in disguise: `boundary` finds the (occurredAt, eventId) of row `skip` by an
 * index-only scan of the read columns (no heap row read, no `_jsonb` decoded), then the page is read from
 * there like a cursor page. (A walk of uap_anonymous_idx reads the heap rows, not their `_jsonb`: PostgreSQL
 * serves no index-only scan from an expression index, and a linked id's walk filters on uap_user_id anyway.) Exact because (occurredAt, eventId) is unique (eventId is), so "from row `skip`
 * on" and "the rows at or past its key" are the same rows; past the end the boundary is empty and so is the page.
 */
export function buildPageSql(table: string, request: PageRequest): { text: string; values: Array<string | string[]> } {
  const sql = new Sql();
  const dir = request.sort === 'asc' ? 'ASC' : 'DESC';
  const orderBy = `ORDER BY ${OCCURRED} ${dir}, ${EVENT} ${dir}`;
  const skip = request.skip ?? 0;
  const { branches, overlapping } = branchesOf(sql, request.filters, request);
  const keys = `${OCCURRED} AS o, ${EVENT} AS e`;
  const distinct = overlapping ? 'DISTINCT ON (o, e) ' : '';
  const walks = (of: Branch[], limit: number, columns: string) =>
    of.map((branch) => walkOf(table, branch, columns, limit, { sql: orderBy, dir }));
  const merge = (subqueries: string[], columns: string, window: string) =>
    `SELECT ${distinct}${columns} FROM (${subqueries.join(' UNION ALL ')}) AS branches ORDER BY o ${dir}, e ${dir} ${window}`;

  let prefix = '';
  let paged = branches;
  if (skip > 0) {
    // The branches hand their sort keys up as columns: ordering by them (not by expressions over the
    // subquery's columns) is what lets the planner merge the ordered branches instead of sorting them all.
    prefix = `WITH boundary AS MATERIALIZED (${merge(walks(branches, skip + 1, keys), 'o, e', `LIMIT 1 OFFSET ${skip}`)}) `;
    const atOrPast = request.sort === 'asc' ? '>=' : '<=';
    paged = branches.map((branch) => ({
      ...branch,
      where: [...branch.where, `(${OCCURRED}, ${EVENT}) ${atOrPast} (SELECT o, e FROM boundary)`],
    }));
  }
  const [only] = paged;
  if (paged.length === 1 && only!.visitors === undefined) {
    return {
      text: `${prefix}SELECT ${DOCUMENT_COLUMN} FROM ${table} ${whereClause(only!.where)} ${orderBy} LIMIT ${request.limit}`,
      values: sql.values,
    };
  }
  return {
    text: `${prefix}${merge(walks(paged, request.limit, `${DOCUMENT_COLUMN}, ${keys}`), DOCUMENT_COLUMN, `LIMIT ${request.limit}`)}`,
    values: sql.values,
  };
}

/**
 * The violations page, newest first, from the partial indexes only: every branch states FLAGGED_PREDICATE (what
 * makes them eligible) and an equality on the flag, so each is one ordered walk of uap_flagged_idx, or of
 * uap_flagged_type_idx with a type. Without a kind, one walk per flag, merged as buildPageSql merges types: the
 * flag leads those indexes, so both kinds together are not in page order in either.
 */
export function buildViolationPageSql(
  table: string,
  request: ViolationPageRequest,
): { text: string; values: Array<string | string[]> } {
  const sql = new Sql();
  const { type, kind } = request.filters;
  const orderBy = `ORDER BY ${OCCURRED} DESC, ${EVENT} DESC`;
  const flags = kind === undefined ? FLAG_KINDS : [FLAG_OF_KIND[kind]];
  const wheres = flags.map((flag) => [
    FLAGGED_PREDICATE,
    `${FLAG_EXPRESSION} = ${sql.param(jsonbString(flag))}`,
    ...conditions(sql, {}, type, { sort: 'desc', ...(request.after ? { after: request.after } : {}) }),
  ]);
  if (wheres.length === 1) {
    return {
      text: `SELECT ${DOCUMENT_COLUMN} FROM ${table} ${whereClause(wheres[0]!)} ${orderBy} LIMIT ${request.limit}`,
      values: sql.values,
    };
  }
  const branches = wheres.map(
    (where) =>
      `(SELECT ${DOCUMENT_COLUMN}, ${OCCURRED} AS o, ${EVENT} AS e FROM ${table} ${whereClause(where)} ${orderBy} LIMIT ${request.limit})`,
  );
  return {
    text: `SELECT ${DOCUMENT_COLUMN} FROM (${branches.join(' UNION ALL ')}) AS branches ORDER BY o DESC, e DESC LIMIT ${request.limit}`,
    values: sql.values,
  };
}

/**
 * Counts at most `upTo` rows: the LIMIT lets PostgreSQL stop early instead of visiting every match. A user's history
 * counts the distinct keys of its branches (branchesOf), each read up to `upTo` rows: if one stopped there, the union
 * holds at least `upTo` rows anyway, so the count is exact whenever it is below `upTo`.
 */
export function buildCountSql(
  table: string,
  filters: ActivityFilters,
  upTo: number,
  byType = false,
): { text: string; values: Array<string | string[]> } {
  const sql = new Sql();
  if (filters.userId !== undefined && (filters.linkedAnonymousIds?.length ?? 0) > 0) {
    const walks = branchesOf(sql, filters).branches.map((branch) =>
      walkOf(table, branch, `${OCCURRED}, ${EVENT}, ${TYPE}`, upTo),
    );
    const matches = `(SELECT ${TYPE} FROM (${walks.join(' UNION ')}) AS branches LIMIT ${upTo}) AS matches`;
    return {
      text: byType
        ? `SELECT ${TYPE} AS t, count(*)::int AS n FROM ${matches} GROUP BY ${TYPE}`
        : `SELECT count(*)::int AS n FROM ${matches}`,
      values: sql.values,
    };
  }
  const where = conditions(sql, filters, undefined);
  const types = filters.types === undefined ? undefined : [...new Set(filters.types)];
  if (types !== undefined) where.push(`${TYPE} IN (${types.map((t) => sql.param(jsonbString(t))).join(', ')})`);
  // A source's count reads its rows from the heap whichever index finds them (an expression index serves no
  // index-only scan), so for a large source PostgreSQL prefers reading the table in physical order until `upTo` turn
  // up (a Seq Scan, seen at 1M events): long when they do not, as for a source added lately, whose rows all lie at
  // the table's end. In page order, only an ordered walk of an index stops early.
  const order = filters.sourceId === undefined ? '' : ` ORDER BY ${OCCURRED} DESC, ${EVENT} DESC`;
  const matches = `(SELECT ${byType ? TYPE : 1} FROM ${table} ${whereClause(where)}${order} LIMIT ${upTo}) AS matches`;
  return {
    text: byType
      ? `SELECT ${TYPE} AS t, count(*)::int AS n FROM ${matches} GROUP BY ${TYPE}`
      : `SELECT count(*)::int AS n FROM ${matches}`,
    values: sql.values,
  };
}

export function toRecord(stored: Record<string, unknown>): ActivityRecord {
  const doc = decodeDocument(stored) as Partial<ActivityRecord> & Record<string, unknown>;
  return {
    eventId: String(doc.eventId),
    ...actorOf(doc),
    type: doc.type as ActivityRecord['type'],
    occurredAt: doc.occurredAt as Date,
    receivedAt: doc.receivedAt as Date,
    ...(doc.persistedAt instanceof Date ? { persistedAt: doc.persistedAt } : {}),
    ...storedFromOf(doc),
    ...(typeof doc.sessionId === 'string' ? { sessionId: doc.sessionId } : {}),
    metadata: (doc.metadata as Record<string, unknown> | undefined) ?? {},
    context: (doc.context as ActivityRecord['context'] | undefined) ?? {},
    schemaVersion: Number(doc.schemaVersion),
    ...registryFieldsOf(doc),
    ...segmentOf(doc),
    ...sourceIdOf(doc),
  };
}

// Pairs that sort differently under a linguistic collation than bytewise (MongoDB's order): case,
// accents, ignored spaces, and a character outside the BMP (UTF-16 order would put it first).
const BYTEWISE_PROBES: Array<[string, string]> = [
  ['B', 'a'],
  ['f', 'é'],
  ['a b', 'ab'],
  ['\uFFFD', '\u{1F600}'],
];

export interface FerretDbPostgresReaderOptions {
  /** FerretDB's PostgreSQL database, e.g. postgres://postgres@127.0.0.1:54329/ferretdb. */
  url: string;
  /** The Mongo database name, which FerretDB stores as a PostgreSQL schema. */
  database: string;
  /** statement_timeout per query, so a slow store answers 503 instead of holding the request. */
  queryTimeoutMs: number;
  connectTimeoutMs?: number;
  maxConnections?: number;
}

/**
 * Reads the activities FerretDB v1 stores in PostgreSQL with SQL, because FerretDB itself sorts, ranges and
 * pages in memory (issue 12). It queries plain read columns it adds to FerretDB's table once
 * (ensureReadColumns: stored copies of FerretDB's index expressions, with btree indexes per read shape, and partial
 * indexes over the flag and the identity fields), so the rows an offset page skips are counted in the index alone.
 *
 * Exactness rests on what only this application knows: eventId, userId, anonymousId, sourceId and type are always
 * strings and occurredAt always a Date (the worker writes nothing else), so jsonb `=` and ordering on them are
 * MongoDB's equality and ordering, provided strings compare bytewise; `connect` refuses a database whose
 * collation does not. A generic pushdown inside FerretDB could not assume this (arrays, mixed types).
 * Documents are written only by the worker through FerretDB; this reader never writes a row.
 */
export class FerretDbPostgresActivityReader implements ActivityReader, ActivityViolationReader {
  private readonly tables: FerretDbTables;

  private constructor(
    private readonly pool: Pool,
    private readonly database: string,
  ) {
    this.tables = new FerretDbTables(pool, (table) => ensureReadColumns(pool, table));
  }

  /** Connects and verifies the ordering; fails (no retry) when PostgreSQL is unreachable or unfit. */
  static async connect(options: FerretDbPostgresReaderOptions): Promise<FerretDbPostgresActivityReader> {
    const pool = new Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      statement_timeout: options.queryTimeoutMs,
      application_name: 'api-service',
    });
    // An idle client that loses its server emits 'error' on the pool; the next query reconnects.
    pool.on('error', () => undefined);
    try {
      await assertBytewiseOrdering(pool);
      const reader = new FerretDbPostgresActivityReader(pool, options.database);
      // Adds the read columns now if the table exists; otherwise the first query that finds it does.
      await reader.tables.lookUp(options.database, ACTIVITIES_COLLECTION);
      return reader;
    } catch (err) {
      await pool.end();
      throw err;
    }
  }

  async findPage(request: PageRequest): Promise<ActivityRecord[]> {
    const rows = await this.query((table) => buildPageSql(table, request));
    return rows.map((row) => toRecord(row[DOCUMENT_COLUMN] as Record<string, unknown>));
  }

  async findViolations(request: ViolationPageRequest): Promise<ActivityRecord[]> {
    const rows = await this.query((table) => buildViolationPageSql(table, request));
    return rows.map((row) => toRecord(row[DOCUMENT_COLUMN] as Record<string, unknown>));
  }

  async count(filters: ActivityFilters, upTo: number): Promise<ActivityCount> {
    const rows = await this.query((table) => buildCountSql(table, filters, upTo));
    const total = Number(rows[0]?.['n'] ?? 0);
    return { total, exact: total < upTo };
  }

  async countByType(filters: ActivityFilters, upTo: number): Promise<ActivityCountByType> {
    const rows = await this.query((table) => buildCountSql(table, filters, upTo, true));
    const counts: ActivityCountByType['counts'] = {};
    let total = 0;
    for (const row of rows) {
      counts[row['t'] as ActivityType] = Number(row['n']);
      total += Number(row['n']);
    }
    return { counts, exact: total < upTo };
  }

  async findByEventId(eventId: string): Promise<ActivityRecord | null> {
    const rows = await this.query((table) => ({
      // FerretDB's own unique index on eventId serves this one.
      text: `SELECT ${DOCUMENT_COLUMN} FROM ${table} WHERE ${fieldExpression('eventId')} = $1::jsonb LIMIT 1`,
      values: [jsonbString(eventId)],
    }));
    const row = rows[0];
    return row ? toRecord(row[DOCUMENT_COLUMN] as Record<string, unknown>) : null;
  }

  async ping(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const ping = this.pool.query('SELECT 1').then(
      () => true,
      () => false,
    );
    return Promise.race([ping, timeout]).finally(() => clearTimeout(timer));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /**
   * Runs a query against the activities table (none yet: an empty store). Every failure is infrastructure
   * trouble, never the client's input: a retriable 503. Public for the identity reader, which shares the pool.
   */
  async query(build: (table: string) => { text: string; values: unknown[] }): Promise<Record<string, unknown>[]> {
    try {
      return await this.tables.query<Record<string, unknown>>(this.database, ACTIVITIES_COLLECTION, build);
    } catch (err) {
      throw new DomainError('SERVICE_UNAVAILABLE', 'the activity store did not answer', {
        retriable: true,
        cause: err,
      });
    }
  }
}

async function assertBytewiseOrdering(pool: Pool): Promise<void> {
  const values: string[] = [];
  const checks = BYTEWISE_PROBES.map(([low, high]) => {
    values.push(jsonbString(low), jsonbString(high));
    return `$${values.length - 1}::jsonb < $${values.length}::jsonb`;
  });
  const { rows } = await pool.query<{ bytewise: boolean; collation: string }>(
    `SELECT (${checks.join(' AND ')}) AS bytewise, datcollate AS collation
       FROM pg_database WHERE datname = current_database()`,
    values,
  );
  const row = rows[0];
  if (!row?.bytewise) {
    throw new Error(
      `FerretDB's PostgreSQL database orders strings by the collation ${row?.collation ?? '(unknown)'}, not bytewise ` +
        'as MongoDB does, so SQL reads would page in a different order than MongoDB. Create the database with ' +
        '`createdb --template=template0 --locale=C` (scripts/services/services.sh does), or unset FERRETDB_POSTGRES_URL.',
    );
  }
}
