import {
  ACTIVITIES_COLLECTION,
  activeUserBlocks,
  rebuildRollups,
  type ActivityType,
  type StoredForRebuild,
} from '@uap/shared/contract';
import { detectStoreServer } from '@uap/shared/runtime';
import type { Db as DriverDb } from 'mongodb';
import type { mongo } from 'mongoose';
import { MongoActivityRollups } from '../../worker-service/src/infrastructure/mongo/mongo-activity.rollups';
import { PostgresActivityRollups } from '../../worker-service/src/infrastructure/postgres/postgres-activity.rollups';

/** The rebuild cannot run on this store as configured (nothing was changed). */
export class RebuildRefusedError extends Error {}

export interface RebuildRollupsOptions {
  /** The store's database: mongoose's `connection.db`, or a MongoClient's `db(name)` (the bench's). */
  db: mongo.Db | DriverDb;
  /** The worker group's committed offsets (the next offset it reads), per partition of the activities topic. */
  committed: ReadonlyMap<number, number>;
  /** FerretDB's PostgreSQL, where the rollups live on FerretDB: required there. */
  postgresUrl?: string;
  /** Progress lines (every 100,000 events read); none when absent. */
  progress?: (line: string) => void;
}

export interface RebuildRollupsResult {
  /** Events counted into the stats; `left` were at or past the committed offsets, for the workers to count. */
  counted: number;
  left: number;
  hourRows: number;
  /** The active-user rollup (FerretDB with PostgreSQL only): users numbered and (day, type, block) rows. */
  activeUsers?: { users: number; blocks: number };
  seconds: number;
}

/**
 * The rebuild of every rollup from the stored events: the stats counts (rebuildRollups: below the committed offsets),
 * and on FerretDB the active-user bitmaps too, which take every stored event with a userId (setting a bit is
 * idempotent, so an event the workers redeliver later sets nothing new). The worker group must be stopped, and no
 * erasure run meanwhile: npm run stats:rebuild checks the first. Reads one small record per event (about 100 MB a
 * million). Also the bench's way to build the rollups of the events it seeds into the store directly.
 */
export async function rebuildRollupsFromStore(options: RebuildRollupsOptions): Promise<RebuildRollupsResult> {
  const { committed, postgresUrl, progress } = options;
  // Mongoose bundles its own copy of the driver: the same Db, typed twice.
  const db = options.db as mongo.Db;
  const ferret = (await detectStoreServer(db)).kind === 'FerretDB';
  if (ferret && postgresUrl === undefined) {
    throw new RebuildRefusedError('the store is FerretDB; set FERRETDB_POSTGRES_URL (the rollups live there)');
  }
  const started = Date.now();
  const cursor = db.collection(ACTIVITIES_COLLECTION).find(
    {},
    {
      projection: { _id: 0, occurredAt: 1, type: 1, userId: 1, sourcePartition: 1, sourceOffset: 1 },
      batchSize: 5_000,
    },
  );
  const all: StoredForRebuild[] = [];
  for await (const doc of cursor) {
    all.push({
      occurredAt: doc['occurredAt'] as Date,
      type: doc['type'] as ActivityType,
      ...(typeof doc['userId'] === 'string' ? { userId: doc['userId'] } : {}),
      ...(typeof doc['sourcePartition'] === 'number' ? { partition: doc['sourcePartition'] } : {}),
      ...(typeof doc['sourceOffset'] === 'number' ? { offset: doc['sourceOffset'] } : {}),
    });
    if (all.length % 100_000 === 0) progress?.(`read ${all.length} events`);
  }
  const { rows, applied, counted, left } = rebuildRollups(all, committed);
  let activeUsers: RebuildRollupsResult['activeUsers'];
  if (ferret) {
    const bitmaps = activeUserBlocks(all);
    const rollups = PostgresActivityRollups.connect(postgresUrl!, db.databaseName);
    try {
      await rollups.prepare(async () => true);
      await rollups.replaceAll(rows, applied, bitmaps);
    } finally {
      await rollups.close();
    }
    activeUsers = { users: bitmaps.users.length, blocks: bitmaps.blocks.length };
  } else {
    const rollups = new MongoActivityRollups(() => db);
    await rollups.prepare(async () => true);
    await rollups.replaceAll(rows, applied);
  }
  return {
    counted,
    left,
    hourRows: rows.length,
    ...(activeUsers ? { activeUsers } : {}),
    seconds: (Date.now() - started) / 1000,
  };
}
