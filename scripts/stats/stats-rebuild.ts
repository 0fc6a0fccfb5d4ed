import 'dotenv/config';
import { ACTIVITIES_COLLECTION, rebuildRollups, type ActivityType, type StoredForRebuild } from '@uap/shared/contract';
import { createKafka, detectStoreServer, createLogger, parseEnv } from '@uap/shared/runtime';
import mongoose from 'mongoose';
import { WorkerConfigSchema } from '../../worker-service/src/infrastructure/config/worker.config';
import { MongoActivityRollups } from '../../worker-service/src/infrastructure/mongo/mongo-activity.rollups';
import { PostgresActivityRollups } from '../../worker-service/src/infrastructure/postgres/postgres-activity.rollups';

/**
 * npm run stats:rebuild: counts the stored events into the stats rollups from scratch, for events stored
 * before the worker kept rollups (or after anything went wrong). Reads the worker's own configuration
 * (worker-service/.env or the environment). The worker group must be stopped: the rebuild counts what is
 * stored below the group's committed offsets and sets the rollups' applied offsets just below them, so the
 * workers, once restarted, count exactly what they store from there on. It refuses while the group has
 * members. Run no erasure meanwhile either.
 */
async function main(): Promise<number> {
  const config = parseEnv(WorkerConfigSchema);
  const logger = createLogger({ name: 'stats-rebuild', level: 'warn' });
  const kafka = createKafka({ clientId: 'stats-rebuild', brokers: config.KAFKA_BROKERS, logger });
  const admin = kafka.admin();
  await admin.connect();
  let committed: Map<number, number>;
  try {
    const [group] = (await admin.describeGroups([config.CONSUMER_GROUP])).groups;
    if (group && group.members.length > 0) {
      console.error(
        `stats:rebuild: the worker group ${config.CONSUMER_GROUP} has ${group.members.length} member(s) (${group.state}); ` +
          'stop every worker first, then run it again',
      );
      return 2;
    }
    const [offsets] = await admin.fetchOffsets({ groupId: config.CONSUMER_GROUP, topics: [config.ACTIVITIES_TOPIC] });
    committed = new Map(
      (offsets?.partitions ?? [])
        .filter((p) => Number(p.offset) >= 0)
        .map((p) => [p.partition, Number(p.offset)] as const),
    );
  } finally {
    await admin.disconnect();
  }

  const connection = await mongoose
    .createConnection(config.MONGO_URL, { dbName: config.MONGO_DB, serverSelectionTimeoutMS: 5_000 })
    .asPromise();
  try {
    const ferret = (await detectStoreServer(connection.db!)).kind === 'FerretDB';
    if (ferret && config.FERRETDB_POSTGRES_URL === undefined) {
      console.error('stats:rebuild: the store is FerretDB; set FERRETDB_POSTGRES_URL (the rollups live there)');
      return 2;
    }
    const started = Date.now();
    const cursor = connection
      .db!.collection(ACTIVITIES_COLLECTION)
      .find(
        {},
        { projection: { _id: 0, occurredAt: 1, type: 1, sourcePartition: 1, sourceOffset: 1 }, batchSize: 5_000 },
      );
    // One small record per event in memory (about 100 MB a million); the counts are tallied at the end.
    const all: StoredForRebuild[] = [];
    for await (const doc of cursor) {
      all.push({
        occurredAt: doc['occurredAt'] as Date,
        type: doc['type'] as ActivityType,
        ...(typeof doc['sourcePartition'] === 'number' ? { partition: doc['sourcePartition'] as number } : {}),
        ...(typeof doc['sourceOffset'] === 'number' ? { offset: doc['sourceOffset'] as number } : {}),
      });
      if (all.length % 100_000 === 0) console.error(`stats:rebuild: read ${all.length} events`);
    }
    const { rows, applied, counted, left } = rebuildRollups(all, committed);
    if (ferret) {
      const rollups = PostgresActivityRollups.connect(config.FERRETDB_POSTGRES_URL!, config.MONGO_DB);
      try {
        await rollups.prepare(async () => true);
        await rollups.replaceAll(rows, applied);
      } finally {
        await rollups.close();
      }
    } else {
      const rollups = new MongoActivityRollups(() => connection.db!);
      await rollups.prepare(async () => true);
      await rollups.replaceAll(rows, applied);
    }
    console.log(
      `stats:rebuild: counted ${counted} stored events into ${rows.length} hour rows in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
        `${left} stored at or past the group's committed offsets are left for the workers to count when they redeliver them`,
    );
    return 0;
  } finally {
    await connection.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`stats:rebuild: ${(err as Error).message}`);
    process.exit(1);
  },
);
