import { ACTIVITIES_COLLECTION, ERASURES_COLLECTION } from '@uap/shared/contract';
import { FerretDbTables, fieldExpression, jsonbDate, jsonbString } from '@uap/shared/runtime';
import { Pool } from 'pg';
import type { StoredPosition } from '../../application/ports/activity.repository.port';
import type { ErasureLookup } from '../../application/ports/erasure.lookup.port';
import type { RetentionStore } from '../../application/ports/retention.port';
import { StoreUnavailableError } from '../../application/retriable.errors';

const EVENT_ID = fieldExpression('eventId');
const OCCURRED_AT = fieldExpression('occurredAt');
const USER_HASH = fieldExpression('userHash');

/**
 * The worker's per-chunk store reads and retention's deletes, as SQL on FerretDB's own PostgreSQL tables.
 * Through the Mongo wire FerretDB v1 answers each of them with a sequential scan of the whole collection
 * (an equality becomes `@>`, and `$in` and ranges run in its memory), so at a million events one resent
 * chunk held its partition for minutes (issue 24). Here every statement compares a field's index expression
 * with `=`, `= ANY` or a range, which the btree FerretDB built for a declared index serves:
 * - eventId: `eventId_unique` (ACTIVITY_INDEXES);
 * - occurredAt: `occurredAt_eventId`, read backwards for oldest first;
 * - userHash: the erasures collection's `userHash` index (the api creates it). It holds the hash of every actor an
 *   erasure covers, the user's and its linked anonymous ids' (LinkedErasureRecord), so one lookup serves both.
 * ferretdb-sql.store.int.test.ts proves each plan with EXPLAIN.
 *
 * Exact because the worker writes these fields itself with one type each (eventId and userHash strings,
 * occurredAt a Date, i.e. epoch milliseconds), so jsonb `=` and `<` are MongoDB's equality and order.
 * Reads only FerretDB's documents; the one write is retention's DELETE of rows FerretDB never updates.
 */
export class FerretDbSqlStore implements RetentionStore, ErasureLookup {
  private readonly tables: FerretDbTables;

  constructor(
    private readonly pool: Pool,
    private readonly database: string,
  ) {
    this.tables = new FerretDbTables(pool);
  }

  static connect(url: string, database: string): FerretDbSqlStore {
    const pool = new Pool({ connectionString: url, max: 6, application_name: 'worker-service store' });
    // An idle client that loses its server emits 'error' on the pool; the next query reconnects.
    pool.on('error', () => undefined);
    return new FerretDbSqlStore(pool, database);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async storedPositions(eventIds: readonly string[]): Promise<Map<string, StoredPosition>> {
    const positions = new Map<string, StoredPosition>();
    if (eventIds.length === 0) return positions;
    const rows = await this.run<{ e: string; p: unknown; o: unknown }>('stored positions', ACTIVITIES_COLLECTION, (t) =>
      storedPositionsSql(t, eventIds),
    );
    for (const { e, p, o } of rows) {
      if (typeof p === 'number' && typeof o === 'number') positions.set(e, { partition: p, offset: o });
    }
    return positions;
  }

  async deleteOlderThan(cutoff: Date, limit: number): Promise<number> {
    const rows = await this.run<{ n: number }>('retention delete', ACTIVITIES_COLLECTION, (t) =>
      retentionDeleteSql(t, cutoff, limit),
    );
    return rows[0]?.n ?? 0;
  }

  async erasedAt(actorHashes: readonly string[]): Promise<Map<string, Date>> {
    const latest = new Map<string, Date>();
    if (actorHashes.length === 0) return latest;
    const rows = await this.run<{ h: string; at: number | string }>('erasure lookup', ERASURES_COLLECTION, (t) =>
      erasedAtSql(t, actorHashes),
    );
    for (const { h, at } of rows) {
      const when = new Date(at);
      if (!(latest.get(h)! >= when)) latest.set(h, when);
    }
    return latest;
  }

  private async run<R>(
    what: string,
    collection: string,
    build: (table: string) => { text: string; values: unknown[] },
  ): Promise<R[]> {
    try {
      return await this.tables.query<R>(this.database, collection, build);
    } catch (err) {
      throw new StoreUnavailableError(`${what} failed: ${(err as Error).message}`, { cause: err });
    }
  }
}

/** The topic position of each stored eventId: one probe of the unique index per id. */
export function storedPositionsSql(table: string, eventIds: readonly string[]) {
  return {
    text: `SELECT ${EVENT_ID} AS e, _jsonb -> 'sourcePartition' AS p, _jsonb -> 'sourceOffset' AS o
             FROM ${table} WHERE ${EVENT_ID} = ANY($1::jsonb[])`,
    values: [eventIds.map(jsonbString)],
  };
}

/**
 * At most `limit` expired rows, oldest first, found in the occurredAt index and deleted by their row address
 * (a TID scan: no second index probe). A row FerretDB moved meanwhile is left for the next chunk.
 */
export function retentionDeleteSql(table: string, cutoff: Date, limit: number) {
  return {
    text: `WITH gone AS (
             DELETE FROM ${table} WHERE ctid = ANY(ARRAY(
               SELECT ctid FROM ${table} WHERE ${OCCURRED_AT} < $1::jsonb
                ORDER BY ${OCCURRED_AT} ASC, ${EVENT_ID} ASC LIMIT $2::int))
             RETURNING 1)
           SELECT count(*)::int AS n FROM gone`,
    values: [jsonbDate(cutoff), limit],
  };
}

export function erasedAtSql(table: string, actorHashes: readonly string[]) {
  return {
    text: `SELECT ${USER_HASH} AS h, _jsonb -> 'erasedAt' AS at FROM ${table} WHERE ${USER_HASH} = ANY($1::jsonb[])`,
    values: [actorHashes.map(jsonbString)],
  };
}
