import {
  dayIdOf,
  INSIGHTS_BLOCK_BITS,
  INSIGHTS_COVERAGE_ROW,
  INSIGHTS_SQL_TABLES,
  minuteDeltasByHour,
  STATS_COVERAGE_ROW,
  STATS_SQL_TABLES,
  type ActiveUsersBlock,
  type RollupCoverageDocument,
  type RollupEntry,
} from '@uap/shared/contract';
import { Pool, type PoolClient } from 'pg';
import type { ActivityRollups } from '../../application/ports/activity-rollups.port';
import { StoreUnavailableError } from '../../application/retriable.errors';

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The stats tables of one database (a FerretDB database is a PostgreSQL schema of the same name). */
export function statsTables(database: string) {
  const t = (name: string) => `${quote(database)}.${quote(name)}`;
  return {
    schema: quote(database),
    counts: t(STATS_SQL_TABLES.counts),
    applied: t(STATS_SQL_TABLES.applied),
    gone: t(STATS_SQL_TABLES.gone),
    coverage: t(STATS_SQL_TABLES.coverage),
    users: t(INSIGHTS_SQL_TABLES.users),
    userNumbers: t(INSIGHTS_SQL_TABLES.userNumbers),
    days: t(INSIGHTS_SQL_TABLES.days),
    daysBlockIndex: quote(`${INSIGHTS_SQL_TABLES.days}_block_idx`),
  };
}

/** The active-user rollup's insights coverage, beside the stats' (row INSIGHTS_COVERAGE_ROW of the coverage table). */
export interface InsightsCoverage {
  complete: boolean;
  since: Date;
}

/** The active-user rollup for the rebuild: `users[n]` is user n (activeUserBlocks in @uap/shared). */
export interface ActiveUsersRebuild {
  users: readonly string[];
  blocks: readonly ActiveUsersBlock[];
}

const BLOCK = INSIGHTS_BLOCK_BITS;
/** A block with no bit set, as SQL. */
const ZERO_BITS = `repeat('0', ${BLOCK})::bit(${BLOCK})`;

/**
 * The active-user statements of a chunk, each served by a primary key (checked by EXPLAIN at 1M events in
 * api-service's ferretdb-postgres-insights.reader.int.test.ts): the users by `= ANY` ($1 userIds), the new users'
 * numbers ($1 userIds, in order), the bits ($1 days, $2 types, $3 user numbers) with the (day, type, block) key as the
 * upsert's arbiter.
 */
export function activeUsersChunkSql(t: ReturnType<typeof statsTables>) {
  return {
    lookUpUsers: `SELECT user_id, n FROM ${t.users} WHERE user_id = ANY($1::text[]) FOR KEY SHARE`,
    numberUsers: `INSERT INTO ${t.users} (user_id, n)
        SELECT id, nextval('${t.userNumbers.replace(/'/g, "''")}') FROM unnest($1::text[]) WITH ORDINALITY AS u(id, i)
         ORDER BY i
      ON CONFLICT (user_id) DO NOTHING RETURNING user_id, n`,
    setBits: `INSERT INTO ${t.days} AS d (day, type, block, bits)
        SELECT u.day::date, u.type, u.n / ${BLOCK}, bit_or(set_bit(${ZERO_BITS}, u.n % ${BLOCK}, 1))
          FROM unnest($1::text[], $2::text[], $3::int[]) AS u(day, type, n)
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (day, type, block) DO UPDATE SET bits = d.bits | EXCLUDED.bits
        WHERE d.bits | EXCLUDED.bits <> d.bits`,
  };
}

/**
 * Rollups in PostgreSQL, for FerretDB on PostgreSQL (see STATS_SQL_TABLES for why not FerretDB documents).
 * Each chunk is one transaction: lock the partition's `applied` row, count the entries past it that are
 * not erased, add them (upserts in (hour, type) order, so writers of other partitions cannot deadlock),
 * move `applied` to the chunk's end. A redelivered chunk finds `applied` past it and adds nothing; a
 * zombie member after a rebalance waits for the row lock and then finds the same.
 *
 * The same transaction sets the entries' users in the active-user bitmaps (INSIGHTS_SQL_TABLES): it numbers the
 * users it has not met, then ORs one bit per (day, type, user) into the (day, type, block) rows, in that order.
 * Locks, always taken in this order, so no two writers (nor a writer and the api's erasure) wait on each other in a
 * circle: the partition's `applied` row; the users' rows (FOR KEY SHARE, so an erasure deleting a user waits for the
 * chunks using its number, and a chunk waits for the erasure, then numbers the user afresh); new users in userId
 * order; bitmap rows in (day, type, block) order.
 */
export class PostgresActivityRollups implements ActivityRollups {
  private readonly tables: ReturnType<typeof statsTables>;

  constructor(
    private readonly pool: Pool,
    database: string,
  ) {
    this.tables = statsTables(database);
  }

  static connect(url: string, database: string): PostgresActivityRollups {
    const pool = new Pool({ connectionString: url, max: 6, application_name: 'worker-service stats' });
    pool.on('error', () => undefined);
    return new PostgresActivityRollups(pool, database);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** Creates the tables (the schema exists once FerretDB created a collection) and the coverage row. */
  async prepare(hasStoredEvents: () => Promise<boolean>): Promise<RollupCoverageDocument> {
    const t = this.tables;
    const ddl = [
      `CREATE TABLE IF NOT EXISTS ${t.counts} (hour timestamptz NOT NULL, type text NOT NULL, m bigint[] NOT NULL,
         PRIMARY KEY (hour, type))`,
      `CREATE TABLE IF NOT EXISTS ${t.applied} (partition integer PRIMARY KEY, applied bigint NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS ${t.gone} (partition integer NOT NULL, "offset" bigint NOT NULL,
         PRIMARY KEY (partition, "offset"))`,
      `CREATE TABLE IF NOT EXISTS ${t.coverage} (id integer PRIMARY KEY, complete boolean NOT NULL,
         since timestamptz NOT NULL, note text)`,
      `CREATE SEQUENCE IF NOT EXISTS ${t.userNumbers} AS integer MINVALUE 0 START 0`,
      `CREATE TABLE IF NOT EXISTS ${t.users} (user_id text PRIMARY KEY, n integer NOT NULL UNIQUE)`,
      `CREATE TABLE IF NOT EXISTS ${t.days} (day date NOT NULL, type text NOT NULL, block integer NOT NULL,
         bits bit(${BLOCK}) NOT NULL, PRIMARY KEY (day, type, block))`,
      `CREATE INDEX IF NOT EXISTS ${t.daysBlockIndex} ON ${t.days} (block)`,
    ];
    for (const statement of ddl) {
      // Two workers starting together can race on CREATE … IF NOT EXISTS (a unique violation in the catalog).
      await this.pool.query(statement).catch(async () => this.pool.query(statement));
    }
    // Each row is written once, by the first worker to get here: complete when the store was empty then. A worker
    // upgraded onto a store with events makes only the insights row, incomplete (those events set no bit).
    const complete = !(await hasStoredEvents());
    await this.pool.query(
      `INSERT INTO ${t.coverage} (id, complete, since) VALUES ($2, $1, now()), ($3, $1, now()) ON CONFLICT (id) DO NOTHING`,
      [complete, STATS_COVERAGE_ROW, INSIGHTS_COVERAGE_ROW],
    );
    const { rows } = await this.pool.query<{ complete: boolean; since: Date; note: string | null }>(
      `SELECT complete, since, note FROM ${t.coverage} WHERE id = $1`,
      [STATS_COVERAGE_ROW],
    );
    const row = rows[0]!;
    return { _id: 'coverage', complete: row.complete, since: row.since, ...(row.note ? { note: row.note } : {}) };
  }

  /** The active-user rollup's coverage row (written by prepare). */
  async insightsCoverage(): Promise<InsightsCoverage> {
    const { rows } = await this.pool.query<{ complete: boolean; since: Date }>(
      `SELECT complete, since FROM ${this.tables.coverage} WHERE id = $1`,
      [INSIGHTS_COVERAGE_ROW],
    );
    return rows[0]!;
  }

  async apply(partition: number, entries: readonly RollupEntry[], chunkEnd: number): Promise<void> {
    if (entries.length === 0) return;
    try {
      await this.inTransaction(async (client) => {
        const t = this.tables;
        await client.query(`INSERT INTO ${t.applied} VALUES ($1, -1) ON CONFLICT (partition) DO NOTHING`, [partition]);
        const locked = await client.query<{ applied: string }>(
          `SELECT applied FROM ${t.applied} WHERE partition = $1 FOR UPDATE`,
          [partition],
        );
        const applied = Number(locked.rows[0]!.applied);
        if (chunkEnd <= applied) return;
        const fresh = entries.filter((e) => e.offset > applied && e.offset <= chunkEnd);
        const gone = await client.query<{ offset: string }>(
          `SELECT "offset" FROM ${t.gone} WHERE partition = $1 AND "offset" = ANY($2::bigint[])`,
          [partition, fresh.map((e) => e.offset)],
        );
        const erased = new Set(gone.rows.map((r) => Number(r.offset)));
        const kept = fresh.filter((e) => !erased.has(e.offset));
        const rows = minuteDeltasByHour(kept, 1);
        if (rows.length > 0) {
          await client.query(
            `INSERT INTO ${t.counts} AS c (hour, type, m)
               SELECT to_timestamp(h / 1000.0), ty, string_to_array(ms, ',')::bigint[]
                 FROM unnest($1::bigint[], $2::text[], $3::text[]) WITH ORDINALITY AS u(h, ty, ms, i) ORDER BY i
             ON CONFLICT (hour, type) DO UPDATE
               SET m = (SELECT array_agg(a + b ORDER BY k) FROM unnest(c.m, EXCLUDED.m) WITH ORDINALITY AS x(a, b, k))`,
            [rows.map((r) => r.hour), rows.map((r) => r.type), rows.map((r) => r.minutes.join(','))],
          );
        }
        await this.setActiveUsers(client, kept);
        await client.query(`UPDATE ${t.applied} SET applied = $2 WHERE partition = $1`, [partition, chunkEnd]);
      });
    } catch (err) {
      throw new StoreUnavailableError(`rollup update failed: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Sets each entry's user bit in its (day, type) row. The users the chunk names are looked up (and locked) by
   * `= ANY` on the primary key; those missing are numbered in userId order (two partitions numbering the same new
   * users wait for each other in the same order, never in a circle), and the race's losers, whose insert did nothing,
   * are read back. The upsert ORs the chunk's bits into each row, and writes no new row version when they were set
   * already (a user's later events of the day).
   */
  private async setActiveUsers(client: PoolClient, entries: readonly RollupEntry[]): Promise<void> {
    const sql = activeUsersChunkSql(this.tables);
    const named = entries.filter((e): e is RollupEntry & { userId: string } => e.userId !== undefined);
    if (named.length === 0) return;
    const userIds = [...new Set(named.map((e) => e.userId))].sort();
    const numbers = new Map<string, number>();
    const lookUp = async (ids: string[]) => {
      const found = await client.query<{ user_id: string; n: number }>(sql.lookUpUsers, [ids]);
      for (const row of found.rows) numbers.set(row.user_id, row.n);
    };
    await lookUp(userIds);
    let missing = userIds.filter((id) => !numbers.has(id));
    if (missing.length > 0) {
      const inserted = await client.query<{ user_id: string; n: number }>(sql.numberUsers, [missing]);
      for (const row of inserted.rows) numbers.set(row.user_id, row.n);
      missing = missing.filter((id) => !numbers.has(id));
      if (missing.length > 0) await lookUp(missing);
    }
    const cells = new Set<string>();
    const days: string[] = [];
    const types: string[] = [];
    const ns: number[] = [];
    for (const { occurredAt, type, userId } of named) {
      const n = numbers.get(userId)!;
      const day = dayIdOf(occurredAt);
      const cell = `${day}|${type}|${n}`;
      if (cells.has(cell)) continue;
      cells.add(cell);
      days.push(day);
      types.push(type);
      ns.push(n);
    }
    // Rows in (day, type, block) order, the order every writer locks them in (and the erasure too).
    await client.query(sql.setBits, [days, types, ns]);
  }

  /**
   * Replaces every count and applied offset at once (the rebuild), in one transaction, and marks the
   * rollups complete. Erased offsets go too: erased events are no longer stored, so nothing counts them.
   * With `activeUsers`, the users and their bitmaps are replaced too (numbered afresh) and marked complete.
   */
  async replaceAll(
    rows: ReturnType<typeof minuteDeltasByHour>,
    applied: ReadonlyMap<number, number>,
    activeUsers?: ActiveUsersRebuild,
  ): Promise<void> {
    const t = this.tables;
    await this.inTransaction(async (client) => {
      if (activeUsers) await this.replaceActiveUsers(client, activeUsers);
      await client.query(`TRUNCATE ${t.counts}, ${t.applied}, ${t.gone}`);
      for (let start = 0; start < rows.length; start += 1_000) {
        const slice = rows.slice(start, start + 1_000);
        await client.query(
          `INSERT INTO ${t.counts} (hour, type, m)
             SELECT to_timestamp(h / 1000.0), ty, string_to_array(ms, ',')::bigint[]
               FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(h, ty, ms)`,
          [slice.map((r) => r.hour), slice.map((r) => r.type), slice.map((r) => r.minutes.join(','))],
        );
      }
      await client.query(`INSERT INTO ${t.applied} SELECT * FROM unnest($1::int[], $2::bigint[])`, [
        [...applied.keys()],
        [...applied.values()],
      ]);
      await client.query(
        `INSERT INTO ${t.coverage} (id, complete, since) VALUES ($1, true, now())
           ON CONFLICT (id) DO UPDATE SET complete = true, note = NULL`,
        [STATS_COVERAGE_ROW],
      );
    });
  }

  private async replaceActiveUsers(client: PoolClient, { users, blocks }: ActiveUsersRebuild): Promise<void> {
    const t = this.tables;
    await client.query(`TRUNCATE ${t.users}, ${t.days}`);
    for (let start = 0; start < users.length; start += 10_000) {
      const slice = users.slice(start, start + 10_000);
      await client.query(
        `INSERT INTO ${t.users} (user_id, n) SELECT id, $2::int + i::int - 1 FROM unnest($1::text[]) WITH ORDINALITY AS u(id, i)`,
        [slice, start],
      );
    }
    // The next user a worker meets gets the next number (setval's `true`: this one is taken).
    await client.query(`SELECT setval($1, $2, $3)`, [t.userNumbers, Math.max(users.length - 1, 0), users.length > 0]);
    for (let start = 0; start < blocks.length; start += 500) {
      const slice = blocks.slice(start, start + 500);
      await client.query(
        `INSERT INTO ${t.days} (day, type, block, bits)
           SELECT d::date, ty, b, ('X' || h)::bit(${BLOCK}) FROM unnest($1::text[], $2::text[], $3::int[], $4::text[]) AS u(d, ty, b, h)`,
        [slice.map((r) => r.day), slice.map((r) => r.type), slice.map((r) => r.block), slice.map((r) => r.hex)],
      );
    }
    await client.query(
      `INSERT INTO ${t.coverage} (id, complete, since) VALUES ($1, true, now())
         ON CONFLICT (id) DO UPDATE SET complete = true, note = NULL`,
      [INSIGHTS_COVERAGE_ROW],
    );
  }

  private async inTransaction(work: (client: PoolClient) => Promise<void>): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await work(client);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}
