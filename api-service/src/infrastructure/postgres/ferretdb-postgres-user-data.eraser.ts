import {
  ACTIVITIES_COLLECTION,
  DEAD_LETTERS_COLLECTION,
  type ActivityType,
  type ErasureRecord,
} from '@uap/shared/contract';
import { FerretDbTables, fieldExpression, jsonbDate, jsonbString } from '@uap/shared/runtime';
import { Pool } from 'pg';
import type { UserDataEraser } from '../../application/ports/erasure.ports';
import type { RollupEraser } from '../../application/ports/rollup-eraser.port';
import { storeCall } from '../store/mongo-connection';
import { ERASE_CHUNK, removeFromRollups, type ErasedActivity } from '../mongo/mongo-erasure.store';
import { ANONYMOUS_EXPRESSION, ensureReadColumns } from './ferretdb-layout';

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
    return this.deleteActor(userActor(userId), before);
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
