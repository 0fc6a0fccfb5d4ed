import {
  ACTIVITIES_COLLECTION,
  DEAD_LETTERS_COLLECTION,
  INSIGHTS_BLOCK_BITS,
  INSIGHTS_SQL_TABLES,
  type ActivityType,
  type ErasureRecord,
} from '@uap/shared/contract';
import {
  FerretDbTables,
  fieldExpression,
  isMissingTable,
  jsonbDate,
  jsonbString,
  quoteIdentifier,
} from '@uap/shared/runtime';
import { Pool, type PoolClient } from 'pg';
import type { UserDataEraser } from '../../application/ports/erasure.ports';
import type { RollupEraser } from '../../application/ports/rollup-eraser.port';
import { storeCall } from '../store/mongo-connection';
import { ERASE_CHUNK, removeFromRollups, type ErasedActivity } from '../mongo/mongo-erasure.store';
import { ANONYMOUS_EXPRESSION, ensureReadColumns, READ_COLUMNS } from './ferretdb-layout';
import { DomainError } from '../../domain/domain-error';

const USER_ID = fieldExpression('userId');
const ANONYMOUS_ID = fieldExpression('anonymousId');
const EVENT_ID = fieldExpression('eventId');
const RECEIVED_AT = `(_jsonb -> 'receivedAt')`;
const FAILED_AT = `(_jsonb -> 'failedAt')`;
const NO_USER_ID = `NOT (_jsonb ? 'userId')`;

/**
 * MongoUserDataEraser's erasure, as SQL on FerretDB's PostgreSQL tables. Through FerretDB's wire the
 * user's find and every chunk's deleteMany were each a scan of the whole collection (issue 24); here every
 * statement starts with equality on an indexed expression: the userId's, which FerretDB's btrees for
 * `userId_occurredAt_eventId` (activities) and `userId_failedAt_letterId` (dead letters) serve; for anonymous ids,
 * the api's partial index `uap_anonymous_idx` over the field (ferretdb-layout.ts; FerretDB refuses partial indexes
 * of its own) and FerretDB's btree for `anonymousId_failedAt_letterId`
 * (ferretdb-postgres-user-data.eraser.int.test.ts proves each plan with EXPLAIN). The order of the steps, and why,
 * is MongoUserDataEraser's.
 */
export class FerretDbPostgresUserDataEraser implements UserDataEraser {
  /** The activities table, with the read layout added if it lacks it (the reader may not have met it yet). */
  private readonly activityTables: FerretDbTables;
  private readonly letterTables: FerretDbTables;

  constructor(
    private readonly pool: Pool,
    private readonly database: string,
    private readonly rollups?: RollupEraser,
  ) {
    this.activityTables = new FerretDbTables(pool, (table) => ensureReadColumns(pool, table));
    this.letterTables = new FerretDbTables(pool);
  }

  static connect(options: { url: string; database: string; rollups?: RollupEraser }): FerretDbPostgresUserDataEraser {
    const pool = new Pool({ connectionString: options.url, max: 2, application_name: 'api-service erasure' });
    pool.on('error', () => undefined);
    return new FerretDbPostgresUserDataEraser(pool, options.database, options.rollups);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async deleteUser(userId: string, before: Date): Promise<ErasureRecord['deleted']> {
    const deleted = await this.deleteActor(userActor(userId), before);
    await this.resetActiveUser(userId);
    return deleted;
  }

  async deleteAnonymous(anonymousIds: readonly string[], before: Date): Promise<ErasureRecord['deleted']> {
    return this.deleteActor(anonymousActor(anonymousIds), before);
  }

  private async deleteActor(actor: ActorCondition, before: Date): Promise<ErasureRecord['deleted']> {
    const found = await storeCall('erase user', () =>
      this.activityTables.query<ErasedRow>(this.database, ACTIVITIES_COLLECTION, (t) =>
        actorActivitiesSql(t, actor, before),
      ),
    );
    await removeFromRollups(this.rollups, found.map(toErased));
    let deletedActivities = 0;
    for (let start = 0; start < found.length; start += ERASE_CHUNK) {
      const eventIds = found.slice(start, start + ERASE_CHUNK).map((row) => row.e);
      const [row] = await storeCall('erase user', () =>
        this.activityTables.query<{ n: number }>(this.database, ACTIVITIES_COLLECTION, (t) =>
          deleteActorActivitiesSql(t, actor, eventIds),
        ),
      );
      deletedActivities += row?.n ?? 0;
    }
    const [letters] = await storeCall('erase user', () =>
      this.letterTables.query<{ n: number }>(this.database, DEAD_LETTERS_COLLECTION, (t) =>
        deleteActorLettersSql(t, actor, before),
      ),
    );
    return { activities: deletedActivities, deadLetters: letters?.n ?? 0 };
  }

  /**
   * Takes the user out of the active-user bitmaps, once their events are deleted: their bit cleared in every row of
   * their block, then set again for each (day, type) of the events they still have (received after the erasure was
   * asked for), or, with none, their number forgotten. One transaction, which first locks the user's number (FOR
   * UPDATE): a worker's chunk naming the user takes that row FOR KEY SHARE before it sets any bit, so the chunks
   * already under way finish first (their events are read back below), and the later ones wait, then either find the
   * number, or number the user afresh. The block's rows are then locked in (day, type) order, the order the worker's
   * upserts take them in. Anonymous events are in no bitmap: erasing anonymous ids leaves them as they are.
   */
  private async resetActiveUser(userId: string): Promise<void> {
    const table = await storeCall('erase user', () =>
      this.activityTables.tableOf(this.database, ACTIVITIES_COLLECTION),
    );
    if (table === undefined) return;
    const sql = activeUserErasureSql(this.database, table);
    let client: PoolClient | undefined;
    try {
      client = await this.pool.connect();
      await client.query('BEGIN');
      const numbered = await client.query<{ n: number }>(sql.lockUser.text, [userId]);
      const n = numbered.rows[0]?.n;
      if (n !== undefined) await this.resetBits(client, sql, userId, n);
      await client.query('COMMIT');
    } catch (err) {
      await client?.query('ROLLBACK').catch(() => undefined);
      // No worker has kept the bitmaps on this store yet: nothing to take out.
      if (isMissingTable(err)) return;
      throw new DomainError('SERVICE_UNAVAILABLE', 'the activity store did not answer', {
        retriable: true,
        cause: err,
      });
    } finally {
      client?.release();
    }
  }

  private async resetBits(
    client: PoolClient,
    sql: ReturnType<typeof activeUserErasureSql>,
    userId: string,
    n: number,
  ): Promise<void> {
    const block = Math.floor(n / INSIGHTS_BLOCK_BITS);
    const bit = n % INSIGHTS_BLOCK_BITS;
    await client.query(sql.lockBlock.text, [block, bit]);
    await client.query(sql.clearBit.text, [block, bit]);
    const left = await client.query<{ d: number; t: string }>(sql.remaining.text, [jsonbString(userId)]);
    if (left.rows.length === 0) {
      await client.query(sql.forgetUser.text, [userId]);
      return;
    }
    const cells = left.rows
      .map((row) => ({ day: new Date(row.d * DAY_MS).toISOString().slice(0, 10), type: row.t }))
      .sort((a, b) => (a.day === b.day ? (a.type < b.type ? -1 : 1) : a.day < b.day ? -1 : 1));
    await client.query(sql.setBits.text, [cells.map((c) => c.day), cells.map((c) => c.type), block, bit]);
  }
}

const DAY_MS = 86_400_000;

/**
 * The statements of an active user's erasure (resetActiveUser), by the parameters they take: each starts from an
 * index, checked by EXPLAIN in ferretdb-postgres-insights.reader.int.test.ts: the users' primary key, the bitmaps'
 * block index and primary key (the upsert's arbiter), and uap_user_idx for the user's remaining events.
 */
export function activeUserErasureSql(database: string, activities: string) {
  const users = `${quoteIdentifier(database)}.${quoteIdentifier(INSIGHTS_SQL_TABLES.users)}`;
  const days = `${quoteIdentifier(database)}.${quoteIdentifier(INSIGHTS_SQL_TABLES.days)}`;
  const bits = INSIGHTS_BLOCK_BITS;
  return {
    /** $1 userId. */
    lockUser: { text: `SELECT n FROM ${users} WHERE user_id = $1 FOR UPDATE` },
    /** $1 block, $2 bit: the rows holding the user's bit, locked in the worker's order. */
    lockBlock: {
      text: `SELECT 1 FROM ${days} WHERE block = $1 AND get_bit(bits, $2) = 1 ORDER BY day, type FOR UPDATE`,
    },
    clearBit: { text: `UPDATE ${days} SET bits = set_bit(bits, $2, 0) WHERE block = $1 AND get_bit(bits, $2) = 1` },
    /** $1 the userId as jsonb: the (epoch day, type) of each event left. */
    remaining: {
      text: `SELECT DISTINCT floor((${READ_COLUMNS.occurredAt})::numeric / ${DAY_MS})::int AS d, ${READ_COLUMNS.type} #>> '{}' AS t
               FROM ${activities} WHERE ${READ_COLUMNS.userId} = $1::jsonb`,
    },
    forgetUser: { text: `DELETE FROM ${users} WHERE user_id = $1` },
    /** $1 days, $2 types (in that order), $3 block, $4 bit. */
    setBits: {
      text: `INSERT INTO ${days} AS d (day, type, block, bits)
               SELECT u.day::date, u.type, $3::int, set_bit(repeat('0', ${bits})::bit(${bits}), $4::int, 1)
                 FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(day, type, i) ORDER BY u.i
             ON CONFLICT (day, type, block) DO UPDATE SET bits = d.bits | EXCLUDED.bits`,
    },
  };
}

/**
 * Which rows are one actor's, in each table, as SQL with its parameter ($1): the condition on activities, and on
 * dead letters (which have no read columns).
 */
export interface ActorCondition {
  activities: string;
  letters: string;
  value: string | string[];
}

export function userActor(userId: string): ActorCondition {
  return { activities: `${USER_ID} = $1::jsonb`, letters: `${USER_ID} = $1::jsonb`, value: jsonbString(userId) };
}

/**
 * Events and letters with one of these anonymous ids and no userId (those with another user's are that user's).
 * "No userId" is `$exists: false`, as MongoUserDataEraser says it, and no index can serve it: the plan starts from
 * the anonymous ids (whose `= ANY` implies the partial index's predicate: `=` is strict).
 */
export function anonymousActor(anonymousIds: readonly string[]): ActorCondition {
  return {
    activities: `${ANONYMOUS_EXPRESSION} = ANY($1::jsonb[]) AND ${NO_USER_ID}`,
    letters: `${ANONYMOUS_ID} = ANY($1::jsonb[]) AND ${NO_USER_ID}`,
    value: anonymousIds.map(jsonbString),
  };
}

interface ErasedRow {
  e: string;
  t: ActivityType;
  o: number;
  p: number | null;
  so: number | null;
}

function toErased(row: ErasedRow): ErasedActivity {
  return {
    eventId: row.e,
    type: row.t,
    occurredAt: new Date(row.o),
    ...(typeof row.p === 'number' ? { sourcePartition: row.p } : {}),
    ...(typeof row.so === 'number' ? { sourceOffset: row.so } : {}),
  };
}

const counted = (statement: string) => `WITH gone AS (${statement} RETURNING 1) SELECT count(*)::int AS n FROM gone`;

export function actorActivitiesSql(table: string, actor: ActorCondition, before: Date) {
  return {
    text: `SELECT ${EVENT_ID} AS e, _jsonb -> 'type' AS t, _jsonb -> 'occurredAt' AS o,
                  _jsonb -> 'sourcePartition' AS p, _jsonb -> 'sourceOffset' AS so
             FROM ${table} WHERE ${actor.activities} AND ${RECEIVED_AT} < $2::jsonb`,
    values: [actor.value, jsonbDate(before)],
  };
}

export function deleteActorActivitiesSql(table: string, actor: ActorCondition, eventIds: readonly string[]) {
  return {
    text: counted(`DELETE FROM ${table} WHERE ${actor.activities} AND ${EVENT_ID} = ANY($2::jsonb[])`),
    values: [actor.value, eventIds.map(jsonbString)],
  };
}

export function deleteActorLettersSql(table: string, actor: ActorCondition, before: Date) {
  return {
    text: counted(`DELETE FROM ${table} WHERE ${actor.letters} AND ${FAILED_AT} < $2::jsonb`),
    values: [actor.value, jsonbDate(before)],
  };
}
