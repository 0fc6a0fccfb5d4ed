import { INSIGHTS_COVERAGE_ROW, INSIGHTS_SQL_TABLES, STATS_SQL_TABLES, type ActivityType } from '@uap/shared/contract';
import { isMissingTable, jsonbDate, jsonbString, quoteIdentifier } from '@uap/shared/runtime';
import type {
  ActiveUsersCounts,
  ActiveUsersRequest,
  BucketUsers,
  FunnelEvent,
  FunnelEventsRequest,
  InsightsReader,
  InsightValue,
  RankableField,
  TopValuesCounts,
  TopValuesRequest,
} from '../../application/ports/insights-reader.port';
import { Sql } from './ferretdb-postgres-activity.reader';
import type { FerretDbActivitiesSql } from './ferretdb-postgres-identity.reader';
import { READ_COLUMNS } from './ferretdb-layout';

const USER = READ_COLUMNS.userId;
const TYPE = READ_COLUMNS.type;
const OCCURRED = READ_COLUMNS.occurredAt;
const EVENT = READ_COLUMNS.eventId;
const COVERAGE_TTL_MS = 5_000;
const SCALAR = `('string', 'number', 'boolean')`;

/** A metadata path as the `text[]` of `_jsonb #> …` (`metadata.page.path` → {metadata,page,path}). */
const pathOf = (field: `metadata.${string}`) => field.split('.');

/** `YYYY-MM-DD` of a UTC midnight, and back. */
const dayOf = (at: Date) => at.toISOString().slice(0, 10);
const midnightOf = (day: string) => new Date(`${day}T00:00:00.000Z`);

/**
 * Distinct users per day, per bucket and over the range, from the worker's bitmaps (INSIGHTS_SQL_TABLES): one OR per
 * (day, block) over the requested types, then per (bucket, block) and per block, each counted with bit_count. The
 * (day, type, block) primary key serves the day range: 30 days of 50,000 users are about 2,500 rows of 1 KB.
 */
export function buildActiveUsersSql(
  database: string,
  request: ActiveUsersRequest,
): { text: string; values: Array<string | string[]> } {
  const days = `${quoteIdentifier(database)}.${quoteIdentifier(INSIGHTS_SQL_TABLES.days)}`;
  const values: Array<string | string[]> = [dayOf(request.from), dayOf(request.to), request.bucket];
  let types = '';
  if (request.types !== undefined) {
    values.push([...new Set(request.types)]);
    types = ` AND type = ANY($4::text[])`;
  }
  return {
    text: `WITH per_day AS MATERIALIZED (
             SELECT day, block, bit_or(bits) AS bits FROM ${days}
              WHERE day >= $1::date AND day < $2::date${types} GROUP BY day, block),
           per_bucket AS (
             SELECT date_trunc($3::text, day::timestamp)::date AS start, block, bit_or(bits) AS bits
               FROM per_day GROUP BY 1, 2),
           per_range AS (SELECT block, bit_or(bits) AS bits FROM per_day GROUP BY block)
         SELECT 'day' AS k, to_char(day, 'YYYY-MM-DD') AS start, sum(bit_count(bits))::int AS users
           FROM per_day GROUP BY day
         UNION ALL
         SELECT 'bucket', to_char(start, 'YYYY-MM-DD'), sum(bit_count(bits))::int FROM per_bucket GROUP BY start
         UNION ALL
         SELECT 'total', NULL, coalesce(sum(bit_count(bits)), 0)::int FROM per_range`,
    values,
  };
}

/** A rankable field as SQL on the activities table: a read column, or the metadata path's value. */
function fieldSql(sql: Sql, field: RankableField): { value: string; scalarOnly: boolean } {
  if (field === 'userId') return { value: USER, scalarOnly: false };
  if (field === 'type') return { value: TYPE, scalarOnly: false };
  return { value: `(_jsonb #> ${textArray(sql, pathOf(field))})`, scalarOnly: true };
}

function textArray(sql: Sql, path: string[]): string {
  sql.values.push(path);
  return `$${sql.values.length}::text[]`;
}

/**
 * The range, type and user conditions, each on a read column against a jsonb parameter: with types, a walk of
 * uap_type_cover_idx per type (`= ANY`) over the range; with a user, of uap_user_idx; else of uap_occurred_cover_idx.
 */
function eventConditions(
  sql: Sql,
  request: { from: Date; to: Date; types?: readonly ActivityType[] | undefined; userId?: string | undefined },
): string[] {
  const where = [
    `${OCCURRED} >= ${sql.param(jsonbDate(request.from))}`,
    `${OCCURRED} < ${sql.param(jsonbDate(request.to))}`,
  ];
  if (request.types !== undefined)
    where.push(`${TYPE} = ANY(${sql.array([...new Set(request.types)].map(jsonbString))})`);
  if (request.userId !== undefined) where.push(`${USER} = ${sql.param(jsonbString(request.userId))}`);
  return where;
}

/**
 * The top `limit` values of the field in range, ties in the byte order of their JSON text (jsonb prints a string as
 * JSON.stringify does, which the use case orders by), with the totals on every row: cut here, because a day's
 * userIds mostly tie at the boundary (25,000 rows back for a top 25 at 1M events took 170 ms instead of 30). Only string, number and boolean values count
 * (jsonb equality is MongoDB's for them: 1 and 1.0 are one value); `userId` only where there is one.
 */
export function buildTopValuesSql(
  table: string,
  request: TopValuesRequest,
): { text: string; values: Array<string | string[]> } {
  const sql = new Sql();
  const where = eventConditions(sql, request);
  const { value, scalarOnly } = fieldSql(sql, request.field);
  where.push(scalarOnly ? `jsonb_typeof(${value}) IN ${SCALAR}` : `${value} IS NOT NULL`);
  return {
    // The range's values first, on their own: grouped in one statement, the planner prefers walking all of
    // uap_user_idx in userId order (sorted groups, no heap) to the range, and reads the whole index.
    text: `WITH e AS MATERIALIZED (SELECT ${value} AS value FROM ${table} WHERE ${where.join(' AND ')}),
           g AS MATERIALIZED (SELECT value, count(*)::int AS n FROM e GROUP BY 1),
           totals AS (SELECT coalesce(sum(n), 0)::int AS counted, count(*)::int AS distinct_values FROM g),
           top AS (SELECT value, n FROM g ORDER BY n DESC, convert_to(value::text, 'UTF8') LIMIT ${request.limit})
         SELECT top.value, top.n, totals.counted, totals.distinct_values
           FROM totals LEFT JOIN top ON true
          ORDER BY top.n DESC, convert_to(top.value::text, 'UTF8')`,
    values: sql.values,
  };
}

/**
 * A funnel's events: those of the step types with a userId, in range, at most `upTo + 1`, each with the requested
 * metadata values when scalar. As one text cell, a line per event of tab-separated userId, type, occurredAt (epoch ms),
 * eventId and each value's JSON text (empty when not scalar): node-pg spends about 3 µs on each row it decodes, which
 * for a week's 120,000 events at 1M a month was 340 ms of a 425 ms read (the index-only scan itself 87 ms), and
 * json_agg about 130 ms more in PostgreSQL. No tab or newline can be inside: ids and types match the contract's
 * patterns, and JSON text escapes both.
 */
export function buildFunnelEventsSql(
  table: string,
  request: FunnelEventsRequest,
): { text: string; values: Array<string | string[]> } {
  const sql = new Sql();
  const where = eventConditions(sql, request);
  if (request.userId === undefined) where.push(`${USER} IS NOT NULL`);
  const fields = request.fields.map((field) => {
    const value = `(_jsonb #> ${textArray(sql, pathOf(field))})`;
    return `, CASE WHEN jsonb_typeof(${value}) IN ${SCALAR} THEN ${value}::text ELSE '' END`;
  });
  return {
    text: `SELECT coalesce(string_agg(e.line, E'\\n'), '') AS rows
             FROM (SELECT concat_ws(E'\\t', ${USER} #>> '{}', ${TYPE} #>> '{}', ${OCCURRED}::text, ${EVENT} #>> '{}'${fields.join('')}) AS line
                     FROM ${table} WHERE ${where.join(' AND ')} LIMIT ${request.upTo + 1}) AS e`,
    values: sql.values,
  };
}

/**
 * Insights by SQL on FerretDB's PostgreSQL: active users from the worker's bitmaps, top values and funnel events from
 * the activities table's read columns (ferretdb-layout.ts), over the reader's pool and its 503s
 * (FerretDbPostgresActivityReader.query). Exact for the activity reader's reasons (ids and types are strings, occurredAt
 * a Date stored as epoch ms); the active users are exact when the bitmaps cover every stored event (their coverage
 * row, complete when the worker created them on an empty store, or after npm run stats:rebuild).
 */
export class FerretDbPostgresInsightsReader implements InsightsReader {
  private cachedCoverage?: { at: number; value: { exact: boolean; inexactReason?: string } };

  constructor(
    private readonly activities: FerretDbActivitiesSql,
    private readonly database: string,
  ) {}

  async activeUsers(request: ActiveUsersRequest): Promise<ActiveUsersCounts> {
    const coverage = await this.coverage();
    let rows: Record<string, unknown>[];
    try {
      rows = await this.activities.query(() => buildActiveUsersSql(this.database, request));
    } catch (err) {
      if (!isMissingTable((err as Error).cause)) throw err;
      return { buckets: [], days: [], total: 0, ...coverage };
    }
    const buckets: BucketUsers[] = [];
    const days: BucketUsers[] = [];
    let total = 0;
    for (const row of rows) {
      const users = Number(row['users']);
      if (row['k'] === 'total') total = users;
      // Rows whose every bit an erasure cleared: no users there.
      else if (users === 0) continue;
      else (row['k'] === 'day' ? days : buckets).push({ start: midnightOf(String(row['start'])), users });
    }
    const byStart = (a: BucketUsers, b: BucketUsers) => a.start.getTime() - b.start.getTime();
    return { buckets: buckets.sort(byStart), days: days.sort(byStart), total, ...coverage };
  }

  async topValues(request: TopValuesRequest): Promise<TopValuesCounts> {
    const rows = await this.activities.query((table) => buildTopValuesSql(table, request));
    const first = rows[0];
    return {
      values: rows
        .filter((row) => row['value'] !== null && row['value'] !== undefined)
        .map((row) => ({ value: row['value'] as InsightValue, count: Number(row['n']) })),
      counted: Number(first?.['counted'] ?? 0),
      distinct: Number(first?.['distinct_values'] ?? 0),
    };
  }

  async funnelEvents(request: FunnelEventsRequest): Promise<FunnelEvent[]> {
    const [row] = await this.activities.query((table) => buildFunnelEventsSql(table, request));
    const text = String(row?.['rows'] ?? '');
    if (text === '') return [];
    return text.split('\n').map((line) => {
      const [userId, type, occurredAt, eventId, ...found] = line.split('\t');
      const values: Record<string, InsightValue> = {};
      request.fields.forEach((field, i) => {
        if (found[i]) values[field] = JSON.parse(found[i]!) as InsightValue;
      });
      return { userId: userId!, type: type as ActivityType, occurredAt: Number(occurredAt), eventId: eventId!, values };
    });
  }

  /** Whether the bitmaps count every stored event (row INSIGHTS_COVERAGE_ROW of the stats coverage table). */
  private async coverage(): Promise<{ exact: boolean; inexactReason?: string }> {
    const now = Date.now();
    if (this.cachedCoverage && now - this.cachedCoverage.at < COVERAGE_TTL_MS) return this.cachedCoverage.value;
    const table = `${quoteIdentifier(this.database)}.${quoteIdentifier(STATS_SQL_TABLES.coverage)}`;
    const notYet = {
      exact: false,
      inexactReason: 'no worker keeping the active-user rollup has started on this store yet',
    };
    let value: { exact: boolean; inexactReason?: string };
    try {
      const rows = await this.activities.query(() => ({
        text: `SELECT complete, note FROM ${table} WHERE id = $1`,
        values: [INSIGHTS_COVERAGE_ROW],
      }));
      const row = rows[0];
      value = !row
        ? notYet
        : row['complete'] === true
          ? { exact: true }
          : {
              exact: false,
              inexactReason:
                (row['note'] as string | null) ??
                'events stored before the worker kept the active-user rollup are not counted; stop the workers and ' +
                  'run npm run stats:rebuild',
            };
    } catch (err) {
      if (!isMissingTable((err as Error).cause)) throw err;
      value = notYet;
    }
    this.cachedCoverage = { at: now, value };
    return value;
  }
}
