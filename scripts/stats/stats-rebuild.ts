import 'dotenv/config';
import { createKafka, createLogger, parseEnv } from '@uap/shared/runtime';
import mongoose from 'mongoose';
import { WorkerConfigSchema } from '../../worker-service/src/infrastructure/config/worker.config';
import { rebuildRollupsFromStore, RebuildRefusedError, type RebuildRollupsResult } from './rebuild-rollups';

/**
 * npm run stats:rebuild: counts the stored events into the stats rollups (and, on FerretDB, the active-user bitmaps)
 * from scratch, for events stored before the worker kept rollups (or after anything went wrong). Reads the worker's own configuration
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
    let result: RebuildRollupsResult;
    try {
      result = await rebuildRollupsFromStore({
        db: connection.db!,
        committed,
        ...(config.FERRETDB_POSTGRES_URL !== undefined ? { postgresUrl: config.FERRETDB_POSTGRES_URL } : {}),
        progress: (line) => console.error(`stats:rebuild: ${line}`),
      });
    } catch (err) {
      if (!(err instanceof RebuildRefusedError)) throw err;
      console.error(`stats:rebuild: ${err.message}`);
      return 2;
    }
    const users = result.activeUsers
      ? `, and ${result.activeUsers.users} users into ${result.activeUsers.blocks} active-user bitmap rows`
      : '';
    console.log(
      `stats:rebuild: counted ${result.counted} stored events into ${result.hourRows} hour rows${users} in ${result.seconds.toFixed(1)} s; ` +
        `${result.left} stored at or past the group's committed offsets are left for the workers to count when they redeliver them`,
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
