import 'dotenv/config';
import type { Server } from 'node:http';
import { erasureHash } from '@uap/shared/contract';
import {
  ConfigError,
  createKafka,
  createLogger,
  ensureReplicatedTopics,
  assertSupportedFerretDb,
  parseEnv,
  redactedUrl,
  detectStoreServer,
  Lifecycle,
  storeLabel,
  type StoreServer,
  type Logger,
} from '@uap/shared/runtime';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Partitioners } from 'kafkajs';
import mongoose from 'mongoose';
import { Registry } from 'prom-client';
import { createApp } from './app';
import { RecordActivitiesUseCase } from './application/record-activities.use-case';
import { WorkerConfigSchema, type WorkerConfig } from './infrastructure/config/worker.config';
import { consumerLagReader } from './infrastructure/kafka/consumer-lag';
import { KafkaDeadLetterPublisher } from './infrastructure/kafka/kafka-dead-letter.publisher';
import { createWorkerMetrics } from './infrastructure/metrics/worker.metrics';
import { IndexDeadLettersUseCase } from './application/index-dead-letters.use-case';
import { activityModel } from './infrastructure/mongo/activity.model';
import { deadLetterModel } from './infrastructure/mongo/dead-letter.model';
import { ensureCollection } from './infrastructure/mongo/ensure-collection';
import { describeStoreTopology, writeConcernFor } from './infrastructure/mongo/store-topology';
import { MongoDeadLetterIndex } from './infrastructure/mongo/mongo-dead-letter.index';
import { MongoErasureLookup } from './infrastructure/mongo/mongo-erasure.lookup';
import { MongoLease, MongoRetentionStore, ensureRetentionTtl } from './infrastructure/mongo/mongo-retention';
import { RetentionSweeper } from './application/retention-sweeper';
import { DeadLetterIndexer } from './interfaces/kafka/dead-letter-indexer.consumer';
import { MongoActivityRepository } from './infrastructure/mongo/mongo-activity.repository';
import { MongoActivityRollups } from './infrastructure/mongo/mongo-activity.rollups';
import { PostgresActivityRollups } from './infrastructure/postgres/postgres-activity.rollups';
import { ActivityConsumer } from './interfaces/kafka/activity.consumer';
import { PartitionStallMonitor } from './application/partition-stall.monitor';
import { FerretDbSqlStore } from './infrastructure/postgres/ferretdb-sql.store';

const SHUTDOWN_TIMEOUT_MS = 15_000;
// The dead-letter topic is low-volume and read by humans and replay tools; one partition keeps it in order.
const DLQ_PARTITIONS = 1;
// A scrape must not hang on a slow broker; past this the lag gauge is left out of that scrape.
const LAG_TIMEOUT_MS = 2_000;

function loadConfig(): WorkerConfig {
  try {
    return parseEnv(WorkerConfigSchema);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

async function main(config: WorkerConfig, logger: Logger): Promise<void> {
  // Reverse start order at shutdown. Uncommitted work is abandoned: the group replays it, deduplicated by eventId.
  const lifecycle = new Lifecycle(logger, { shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS });
  lifecycle.handleProcessEvents();

  // Commands fail (and are retried by the consumer) instead of queueing in memory while the store is away.
  const connection = await mongoose
    .createConnection(config.MONGO_URL, {
      dbName: config.MONGO_DB,
      serverSelectionTimeoutMS: config.MONGO_SERVER_SELECTION_TIMEOUT_MS,
      bufferCommands: false,
      autoIndex: false,
    })
    .asPromise();
  lifecycle.onStop('mongo', () => connection.close());
  const model = activityModel(connection);
  const letters = deadLetterModel(connection);
  await ensureCollection(model);
  await ensureCollection(letters);
  logger.info({ db: config.MONGO_DB, collections: ['activities', 'dead_letters'] }, 'store connected, indexes ensured');
  const topology = await describeStoreTopology(connection);
  const writeConcern = writeConcernFor(topology);
  if (writeConcern) {
    logger.info(
      { store: topology, writeConcern },
      'writes: w:"majority": an offset is committed only once a majority of the replica set has the documents, ' +
        "so a stored event survives a primary's failover",
    );
  } else {
    logger.info(
      { store: topology, writeConcern: 'server default' },
      'writes: the server default write concern (a standalone store: no replicas to wait for)',
    );
  }

  const kafka = createKafka({ clientId: config.KAFKA_CLIENT_ID, brokers: config.KAFKA_BROKERS, logger });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const configEntries = [{ name: 'retention.ms', value: String(config.TOPIC_RETENTION_HOURS * 3_600_000) }];
    // The dead-letter topic gets the same replication: a letter is the only copy of an event the store refused.
    const { created } = await ensureReplicatedTopics(
      admin,
      [
        { topic: config.ACTIVITIES_TOPIC, numPartitions: config.ACTIVITIES_TOPIC_PARTITIONS, configEntries },
        { topic: config.DLQ_TOPIC, numPartitions: DLQ_PARTITIONS, configEntries },
      ],
      {
        replicationFactor: config.ACTIVITIES_TOPIC_REPLICATION_FACTOR,
        minInsyncReplicas: config.ACTIVITIES_TOPIC_MIN_ISR,
      },
      logger,
    );
    if (created.length > 0) logger.info({ topics: created }, 'created missing topics');
  } finally {
    await admin.disconnect();
  }

  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  lifecycle.onStop('dlq-producer', () => producer.disconnect());

  // Its own admin client: group offsets are read from the broker on every scrape and by the stall monitor.
  const lagAdmin = kafka.admin();
  await lagAdmin.connect();
  lifecycle.onStop('lag-admin', () => lagAdmin.disconnect());
  const readGroupOffsets = consumerLagReader(lagAdmin, {
    groupId: config.CONSUMER_GROUP,
    topic: config.ACTIVITIES_TOPIC,
    timeoutMs: LAG_TIMEOUT_MS,
  });
  // The group's committed offsets, not this process's consumer: a stall shows whoever owns the partition.
  const stallMonitor = new PartitionStallMonitor(
    { topic: config.ACTIVITIES_TOPIC, stallAfterMs: config.STALL_AFTER_MS },
    { readOffsets: readGroupOffsets, logger },
  );
  stallMonitor.start();
  lifecycle.onStop('stall-monitor', () => stallMonitor.stop());
  const metrics = createWorkerMetrics(new Registry(), {
    defaultMetrics: true,
    consumerLag: readGroupOffsets,
    stalledPartitions: () => stallMonitor.stalled(),
    // Read at scrape time, after the consumer below exists.
    chunksInHand: () => activityConsumer.chunksInHand(),
  });

  if (!config.ERASURE_HASH_KEY) {
    logger.warn(
      'ERASURE_HASH_KEY is not set: erasure records use a fixed development key. Set it (shared with the api)',
    );
  }
  const storeServer = await detectStoreServer(connection.db!);
  const sqlStore = openSqlStore(config, storeServer, logger);
  if (sqlStore) lifecycle.onStop('store-sql', () => sqlStore.close());
  const erasures = {
    lookup: sqlStore ?? new MongoErasureLookup(connection),
    hash: (userId: string) => erasureHash(config.ERASURE_HASH_KEY, userId),
  };
  const rollups = await startRollups(config, storeServer, model, connection, logger);
  if (rollups instanceof PostgresActivityRollups) lifecycle.onStop('stats-rollups', () => rollups.close());
  const sweeper = await startRetention(config, storeServer, { model, connection, sqlStore }, logger, metrics);
  if (sweeper) lifecycle.onStop('retention-sweeper', () => sweeper.stop());

  const repository = new MongoActivityRepository(model, { writeConcern, ...(sqlStore ? { positions: sqlStore } : {}) });
  const recordActivities = new RecordActivitiesUseCase({
    repository,
    deadLetters: new KafkaDeadLetterPublisher(producer, config.DLQ_TOPIC),
    logger: logger.child({ component: 'record-activities' }),
    erasures,
    ...(rollups ? { rollups } : {}),
  });
  const activityConsumer = new ActivityConsumer(
    {
      topic: config.ACTIVITIES_TOPIC,
      writeChunkSize: config.WRITE_CHUNK_SIZE,
      partitionsConcurrency: config.PARTITIONS_CONCURRENCY,
      retryInitialMs: config.STORE_RETRY_INITIAL_MS,
      retryMaxMs: config.STORE_RETRY_MAX_MS,
      stallAfterMs: config.STALL_AFTER_MS,
    },
    {
      consumer: kafka.consumer({
        groupId: config.CONSUMER_GROUP,
        sessionTimeout: config.CONSUMER_SESSION_TIMEOUT_MS,
        heartbeatInterval: config.CONSUMER_HEARTBEAT_INTERVAL_MS,
        allowAutoTopicCreation: false,
      }),
      recordActivities,
      logger,
      metrics,
      // A consumer that kafkajs will not restart must take the process down, so it gets restarted.
      onFatal: () => void lifecycle.stop('consumer crashed without restart', 1),
    },
  );

  const app = createApp({
    hasJoinedGroup: () => activityConsumer.hasJoinedGroup(),
    stalledPartitions: () => stallMonitor.stalled(),
    chunksInHand: () => activityConsumer.chunksInHand(),
    pingStore: () => repository.ping(),
    stats: () => ({ ...activityConsumer.stats }),
    metrics,
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.WORKER_PORT, () => resolve(s)).once('error', reject);
  });
  lifecycle.onStop('http', () => new Promise((resolve) => server.close(resolve)));
  const address = server.address();
  logger.info(
    { port: typeof address === 'object' && address ? address.port : config.WORKER_PORT },
    'health server listening',
  );

  lifecycle.onStop('consumer', () => activityConsumer.stop());
  await activityConsumer.start();

  const deadLetterIndexer = new DeadLetterIndexer(
    {
      topic: config.DLQ_TOPIC,
      chunkSize: config.WRITE_CHUNK_SIZE,
      retryInitialMs: config.STORE_RETRY_INITIAL_MS,
      retryMaxMs: config.STORE_RETRY_MAX_MS,
    },
    {
      consumer: kafka.consumer({
        groupId: config.DEAD_LETTER_INDEXER_GROUP,
        sessionTimeout: config.CONSUMER_SESSION_TIMEOUT_MS,
        heartbeatInterval: config.CONSUMER_HEARTBEAT_INTERVAL_MS,
        allowAutoTopicCreation: false,
      }),
      indexDeadLetters: new IndexDeadLettersUseCase({
        index: new MongoDeadLetterIndex(letters, { writeConcern }),
        logger: logger.child({ component: 'index-dead-letters' }),
        maxReplays: config.MAX_REPLAYS,
        erasures,
      }),
      logger,
      metrics,
      onFatal: () => void lifecycle.stop('dead-letter indexer crashed without restart', 1),
    },
  );
  lifecycle.onStop('dead-letter-indexer', () => deadLetterIndexer.stop());
  await deadLetterIndexer.start();
  logger.info(
    {
      topic: config.ACTIVITIES_TOPIC,
      group: config.CONSUMER_GROUP,
      deadLetters: { topic: config.DLQ_TOPIC, group: config.DEAD_LETTER_INDEXER_GROUP },
    },
    'worker started',
  );
}

/**
 * FerretDB's PostgreSQL, for the store calls that run per chunk and for retention: through FerretDB's wire each
 * is a scan of the whole collection (issue 24). On FerretDB without FERRETDB_POSTGRES_URL, says what will be slow.
 */
function openSqlStore(config: WorkerConfig, server: StoreServer, logger: Logger): FerretDbSqlStore | undefined {
  const url = config.FERRETDB_POSTGRES_URL;
  const store = storeLabel(server);
  if (server.kind === 'MongoDB') {
    if (url !== undefined) logger.info({ store }, 'FERRETDB_POSTGRES_URL ignored: the store is MongoDB');
    return undefined;
  }
  if (url === undefined) {
    logger.warn(
      { store },
      "FERRETDB_POSTGRES_URL is not set: FerretDB answers the worker's lookups by scanning the whole activities " +
        'collection, so every resent or redelivered chunk (its duplicate check), every erasure check and every ' +
        'retention chunk slows down as the store grows (minutes per chunk at a million events). ' +
        "Set FERRETDB_POSTGRES_URL to FerretDB's PostgreSQL database",
    );
    return undefined;
  }
  assertSupportedFerretDb(server.version);
  logger.info(
    { store, postgres: redactedUrl(url) },
    "per-chunk lookups and retention: SQL on FerretDB's PostgreSQL tables, over FerretDB's indexes",
  );
  return FerretDbSqlStore.connect(url, config.MONGO_DB);
}

/**
 * The stats rollups: documents on MongoDB, PostgreSQL tables on FerretDB (whose conditional updates are
 * not atomic), none on FerretDB without FERRETDB_POSTGRES_URL (the api then counts from the events).
 */
async function startRollups(
  config: WorkerConfig,
  server: StoreServer,
  model: ReturnType<typeof activityModel>,
  connection: mongoose.Connection,
  logger: Logger,
): Promise<MongoActivityRollups | PostgresActivityRollups | undefined> {
  const hasStoredEvents = async () => (await model.findOne({}, { _id: 1 }).lean()) !== null;
  let rollups: MongoActivityRollups | PostgresActivityRollups;
  if (server.kind === 'MongoDB') {
    rollups = new MongoActivityRollups(() => connection.db!);
  } else if (config.FERRETDB_POSTGRES_URL !== undefined) {
    rollups = PostgresActivityRollups.connect(config.FERRETDB_POSTGRES_URL, config.MONGO_DB);
  } else {
    logger.warn(
      'stats rollups are off: the store is FerretDB and FERRETDB_POSTGRES_URL is not set (FerretDB cannot update ' +
        'them atomically). /api/v1/activities/stats counts from the events, up to a bound. Set FERRETDB_POSTGRES_URL',
    );
    return undefined;
  }
  const coverage = await rollups.prepare(hasStoredEvents);
  logger.info(
    { rollups: rollups instanceof MongoActivityRollups ? 'mongo documents' : 'postgresql tables', coverage },
    'stats rollups ready',
  );
  if (!coverage.complete) {
    logger.warn(
      { since: coverage.since },
      'stats rollups do not count events stored before they existed: /api/v1/activities/stats answers exact: false ' +
        'until `npm run stats:rebuild` has run with the workers stopped (see README, Stats)',
    );
  }
  return rollups;
}

/**
 * Retention by the store's own means: a TTL index on MongoDB, a lease-holding sweeper on FerretDB (which has
 * no TTL indexes), deleting through SQL when it can. Logged either way, so an operator knows which is in force.
 */
async function startRetention(
  config: WorkerConfig,
  server: StoreServer,
  store: { model: ReturnType<typeof activityModel>; connection: mongoose.Connection; sqlStore?: FerretDbSqlStore },
  logger: Logger,
  metrics: ReturnType<typeof createWorkerMetrics>,
): Promise<RetentionSweeper | undefined> {
  const { model, connection, sqlStore } = store;
  if (config.RETENTION_DAYS === 0) {
    logger.info('retention: activities are kept forever (RETENTION_DAYS=0)');
    return undefined;
  }
  if (server.kind === 'MongoDB') {
    await ensureRetentionTtl(model, config.RETENTION_DAYS);
    logger.info({ retentionDays: config.RETENTION_DAYS }, 'retention: MongoDB TTL index on occurredAt');
    return undefined;
  }
  const sweeper = new RetentionSweeper(
    {
      retentionDays: config.RETENTION_DAYS,
      intervalMs: config.RETENTION_SWEEP_INTERVAL_MS,
      chunkSize: config.RETENTION_SWEEP_CHUNK,
      passBudgetMs: 10_000,
      owner: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
    },
    {
      store: sqlStore ?? new MongoRetentionStore(model),
      lease: new MongoLease(connection, 'retention-sweeper'),
      logger,
      onDeleted: (count) => metrics.retentionDeleted.inc(count),
    },
  );
  sweeper.start();
  logger.info(
    {
      retentionDays: config.RETENTION_DAYS,
      intervalMs: config.RETENTION_SWEEP_INTERVAL_MS,
      store: 'FerretDB (no TTL)',
      deletes: sqlStore ? 'SQL over the occurredAt index' : 'through the Mongo wire (scans the collection)',
    },
    'retention: sweeper, one worker at a time (lease in the store)',
  );
  return sweeper;
}

const config = loadConfig();
const logger = createLogger({ name: 'worker-service', level: config.LOG_LEVEL, format: config.LOG_FORMAT });
main(config, logger).catch((err: unknown) => {
  logger.fatal({ err }, 'worker failed to start');
  process.exit(1);
});
