import {
  minuteDeltasByHour,
  STATS_SQL_TABLES,
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
  };
}

/**
 * Rollups in PostgreSQL, for FerretDB on PostgreSQL (see STATS_SQL_TABLES for why not FerretDB documents).
 * Each chunk is one transaction: lock the partition's `applied` row, count the entries past it that are
 * not erased, add them (upserts in (hour, type) order, so writers of other partitions cannot deadlock),
 * move `applied` to the chunk's end. A redelivered chunk finds `applied` past it and adds nothing; a
 * zombie member after a rebalance waits for the row lock and then finds the same.
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
    ];
    for (const statement of ddl) {
      // Two workers starting together can race on CREATE TABLE IF NOT EXISTS (a unique violation in the catalog).
      await this.pool.query(statement).catch(async () => this.pool.query(statement));
    }
    const complete = !(await hasStoredEvents());
    await this.pool.query(
      `INSERT INTO ${t.coverage} (id, complete, since) VALUES (1, $1, now()) ON CONFLICT (id) DO NOTHING`,
      [complete],
    );
    const { rows } = await this.pool.query<{ complete: boolean; since: Date; note: string | null }>(
      `SELECT complete, since, note FROM ${t.coverage} WHERE id = 1`,
    );
    const row = rows[0]!;
    return { _id: 'coverage', complete: row.complete, since: row.since, ...(row.note ? { note: row.note } : {}) };
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
        const rows = minuteDeltasByHour(
          fresh.filter((e) => !erased.has(e.offset)),
          1,
        );
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
        await client.query(`UPDATE ${t.applied} SET applied = $2 WHERE partition = $1`, [partition, chunkEnd]);
      });
    } catch (err) {
      throw new StoreUnavailableError(`rollup update failed: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Replaces every count and applied offset at once (the rebuild), in one transaction, and marks the
   * rollups complete. Erased offsets go too: erased events are no longer stored, so nothing counts them.
   */
  async replaceAll(rows: ReturnType<typeof minuteDeltasByHour>, applied: ReadonlyMap<number, number>): Promise<void> {
    const t = this.tables;
    await this.inTransaction(async (client) => {
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
        `INSERT INTO ${t.coverage} (id, complete, since) VALUES (1, true, now())
           ON CONFLICT (id) DO UPDATE SET complete = true, note = NULL`,
      );
    });
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
