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

const USER_ID = fieldExpression('userId');
const EVENT_ID = fieldExpression('eventId');

/**
 * MongoUserDataEraser's erasure, as SQL on FerretDB's PostgreSQL tables. Through FerretDB's wire the
 * user's find and every chunk's deleteMany were each a scan of the whole collection (issue 24); here every
 * statement starts with equality on the userId index expression, which FerretDB's btrees for
 * `userId_occurredAt_eventId` (activities) and `userId_failedAt_letterId` (dead letters) serve
 * (ferretdb-postgres-user-data.eraser.int.test.ts proves each plan with EXPLAIN). The order of the steps,
 * and why, is MongoUserDataEraser's.
 */
export class FerretDbPostgresUserDataEraser implements UserDataEraser {
  private readonly tables: FerretDbTables;

  constructor(
    private readonly pool: Pool,
    private readonly database: string,
    private readonly rollups?: RollupEraser,
  ) {
    this.tables = new FerretDbTables(pool);
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
    const found = await storeCall('erase user', () =>
      this.tables.query<ErasedRow>(this.database, ACTIVITIES_COLLECTION, (t) => userActivitiesSql(t, userId, before)),
    );
    await removeFromRollups(this.rollups, found.map(toErased));
    let deletedActivities = 0;
    for (let start = 0; start < found.length; start += ERASE_CHUNK) {
      const eventIds = found.slice(start, start + ERASE_CHUNK).map((row) => row.e);
      const [row] = await storeCall('erase user', () =>
        this.tables.query<{ n: number }>(this.database, ACTIVITIES_COLLECTION, (t) =>
          deleteUserActivitiesSql(t, userId, eventIds),
        ),
      );
      deletedActivities += row?.n ?? 0;
    }
    const [letters] = await storeCall('erase user', () =>
      this.tables.query<{ n: number }>(this.database, DEAD_LETTERS_COLLECTION, (t) =>
        deleteUserLettersSql(t, userId, before),
      ),
    );
    return { activities: deletedActivities, deadLetters: letters?.n ?? 0 };
  }
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

export function userActivitiesSql(table: string, userId: string, before: Date) {
  return {
    text: `SELECT ${EVENT_ID} AS e, _jsonb -> 'type' AS t, _jsonb -> 'occurredAt' AS o,
                  _jsonb -> 'sourcePartition' AS p, _jsonb -> 'sourceOffset' AS so
             FROM ${table} WHERE ${USER_ID} = $1::jsonb AND (_jsonb -> 'receivedAt') < $2::jsonb`,
    values: [jsonbString(userId), jsonbDate(before)],
  };
}

export function deleteUserActivitiesSql(table: string, userId: string, eventIds: readonly string[]) {
  return {
    text: counted(`DELETE FROM ${table} WHERE ${USER_ID} = $1::jsonb AND ${EVENT_ID} = ANY($2::jsonb[])`),
    values: [jsonbString(userId), eventIds.map(jsonbString)],
  };
}

export function deleteUserLettersSql(table: string, userId: string, before: Date) {
  return {
    text: counted(`DELETE FROM ${table} WHERE ${USER_ID} = $1::jsonb AND (_jsonb -> 'failedAt') < $2::jsonb`),
    values: [jsonbString(userId), jsonbDate(before)],
  };
}
