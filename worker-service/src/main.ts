import 'dotenv/config';
import type { Server } from 'node:http';
import {
  ConfigError,
  createKafka,
  activityTypesTopic,
  createLogger,
  ensureReplicatedTopics,
  followActivityTypes,
  parseEnv,
  Lifecycle,
  type Logger,
} from '@uap/shared/runtime';
import type { Express } from 'express';
import { Partitioners, type Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import { createApp } from './app';
import { IndexDeadLettersUseCase } from './application/index-dead-letters.use-case';
import { PartitionStallMonitor } from './application/partition-stall.monitor';
import { RecordActivitiesUseCase } from './application/record-activities.use-case';
import { WorkerConfigSchema, type WorkerConfig } from './infrastructure/config/worker.config';
import { consumerLagReader } from './infrastructure/kafka/consumer-lag';
import { KafkaDeadLetterPublisher } from './infrastructure/kafka/kafka-dead-letter.publisher';
import { createWorkerMetrics } from './infrastructure/metrics/worker.metrics';
import { MongoActivityRepository } from './infrastructure/mongo/mongo-activity.repository';
import type { MongoActivityRollups } from './infrastructure/mongo/mongo-activity.rollups';
import { MongoDeadLetterIndex } from './infrastructure/mongo/mongo-dead-letter.index';
import { PostgresActivityRollups } from './infrastructure/postgres/postgres-activity.rollups';
import { connectStore, startRetention, startRollups, type WorkerStore } from './infrastructure/store/worker-store';
import { DeadLetterIndexer } from './interfaces/kafka/dead-letter-indexer.consumer';
import { ActivityConsumer } from './interfaces/kafka/activity.consumer';

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

/** Composition root: store → Kafka (topics, dead-letter producer, activity types) → monitoring → rollups, retention → consumers. */
async function main(config: WorkerConfig, logger: Logger): Promise<void> {
  // Reverse start order at shutdown. Uncommitted work is abandoned: the group replays it, deduplicated by eventId.
  const lifecycle = new Lifecycle(logger, { shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS });
  lifecycle.handleProcessEvents();
  if (!config.ERASURE_HASH_KEY) {
    logger.warn(
      'ERASURE_HASH_KEY is not set: erasure records use a fixed development key. Set it (shared with the api)',
    );
  }
  const store = await connectStore(config, logger, lifecycle);
  const kafka = await connectKafka(config, logger, lifecycle);
  const monitor = await startStallMonitor(config, kafka.client, logger, lifecycle);
  const metrics = createWorkerMetrics(new Registry(), {
    defaultMetrics: true,
    consumerLag: monitor.readGroupOffsets,
    stalledPartitions: () => monitor.stalls.stalled(),
    // Read at scrape time, after the consumer below exists.
    chunksInHand: () => activityConsumer.chunksInHand(),
    activityTypes: () => kafka.registry.status(),
  });
  const rollups = await startRollups(config, store, logger);
  if (rollups instanceof PostgresActivityRollups) lifecycle.onStop('stats-rollups', () => rollups.close());
  const sweeper = await startRetention(config, store, logger, (count) => metrics.retentionDeleted.inc(count));
  if (sweeper) lifecycle.onStop('retention-sweeper', () => sweeper.stop());

  const { repository, activityConsumer, deadLetterIndexer } = createConsumers(config, {
    store,
    kafka,
    rollups,
    metrics,
    logger,
    lifecycle,
  });

  await serveHealth(
    config,
    createApp({
      hasJoinedGroup: () => activityConsumer.hasJoinedGroup(),
      stalledPartitions: () => monitor.stalls.stalled(),
      chunksInHand: () => activityConsumer.chunksInHand(),
      pingStore: () => repository.ping(),
      activityTypes: () => kafka.registry.status(),
      stats: () => ({ ...activityConsumer.stats }),
      metrics,
    }),
    logger,
    lifecycle,
  );
  lifecycle.onStop('consumer', () => activityConsumer.stop());
  await activityConsumer.start();
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

/** The activity consumer (events → store, poison → dead-letter topic) and the dead-letter indexer; not yet started. */
function createConsumers(
  config: WorkerConfig,
  deps: {
    store: WorkerStore;
    kafka: Awaited<ReturnType<typeof connectKafka>>;
    rollups: MongoActivityRollups | PostgresActivityRollups | undefined;
    metrics: ReturnType<typeof createWorkerMetrics>;
    logger: Logger;
    lifecycle: Lifecycle;
  },
) {
  const { store, kafka, rollups, metrics, logger, lifecycle } = deps;
  const groupConsumer = (groupId: string) =>
    kafka.client.consumer({
      groupId,
      sessionTimeout: config.CONSUMER_SESSION_TIMEOUT_MS,
      heartbeatInterval: config.CONSUMER_HEARTBEAT_INTERVAL_MS,
      allowAutoTopicCreation: false,
    });
  const repository = new MongoActivityRepository(store.model, {
    writeConcern: store.writeConcern,
    ...(store.sql ? { positions: store.sql } : {}),
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
      consumer: groupConsumer(config.CONSUMER_GROUP),
      recordActivities: new RecordActivitiesUseCase({
        repository,
        deadLetters: new KafkaDeadLetterPublisher(kafka.producer, config.DLQ_TOPIC),
        logger: logger.child({ component: 'record-activities' }),
        erasures: store.erasures,
        ...(rollups ? { rollups } : {}),
      }),
      types: kafka.registry.catalog,
      logger,
      metrics,
      // A consumer that kafkajs will not restart must take the process down, so it gets restarted.
      onFatal: () => void lifecycle.stop('consumer crashed without restart', 1),
    },
  );
  const deadLetterIndexer = new DeadLetterIndexer(
    {
      topic: config.DLQ_TOPIC,
      chunkSize: config.WRITE_CHUNK_SIZE,
      retryInitialMs: config.STORE_RETRY_INITIAL_MS,
      retryMaxMs: config.STORE_RETRY_MAX_MS,
    },
    {
      consumer: groupConsumer(config.DEAD_LETTER_INDEXER_GROUP),
      indexDeadLetters: new IndexDeadLettersUseCase({
        index: new MongoDeadLetterIndex(store.letters, { writeConcern: store.writeConcern }),
        logger: logger.child({ component: 'index-dead-letters' }),
        maxReplays: config.MAX_REPLAYS,
        erasures: store.erasures,
      }),
      logger,
      metrics,
      onFatal: () => void lifecycle.stop('dead-letter indexer crashed without restart', 1),
    },
  );

  return { repository, activityConsumer, deadLetterIndexer };
}

/** Kafka: the topics ensured (created with the configured replication if missing), the dead-letter producer, the activity types. */
async function connectKafka(config: WorkerConfig, logger: Logger, lifecycle: Lifecycle) {
  const client = createKafka({ clientId: config.KAFKA_CLIENT_ID, brokers: config.KAFKA_BROKERS, logger });
  const admin = client.admin();
  await admin.connect();
  try {
    const configEntries = [{ name: 'retention.ms', value: String(config.TOPIC_RETENTION_HOURS * 3_600_000) }];
    // The dead-letter topic gets the same replication: a letter is the only copy of an event the store refused.
    const { created } = await ensureReplicatedTopics(
      admin,
      [
        { topic: config.ACTIVITIES_TOPIC, numPartitions: config.ACTIVITIES_TOPIC_PARTITIONS, configEntries },
        { topic: config.DLQ_TOPIC, numPartitions: DLQ_PARTITIONS, configEntries },
        activityTypesTopic(config.ACTIVITY_TYPES_TOPIC),
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
  const producer = client.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  lifecycle.onStop('dlq-producer', () => producer.disconnect());
  const registry = await followActivityTypes(client, config, logger);
  lifecycle.onStop('activity-types', () => registry.stop());
  return { client, producer, registry };
}

/**
 * The group's committed offsets, read from the broker by its own admin client on every scrape and by the
 * stall monitor: a stall shows whoever owns the partition, not only this process's consumer.
 */
async function startStallMonitor(config: WorkerConfig, kafka: Kafka, logger: Logger, lifecycle: Lifecycle) {
  const lagAdmin = kafka.admin();
  await lagAdmin.connect();
  lifecycle.onStop('lag-admin', () => lagAdmin.disconnect());
  const readGroupOffsets = consumerLagReader(lagAdmin, {
    groupId: config.CONSUMER_GROUP,
    topic: config.ACTIVITIES_TOPIC,
    timeoutMs: LAG_TIMEOUT_MS,
  });
  const stalls = new PartitionStallMonitor(
    { topic: config.ACTIVITIES_TOPIC, stallAfterMs: config.STALL_AFTER_MS },
    { readOffsets: readGroupOffsets, logger },
  );
  stalls.start();
  lifecycle.onStop('stall-monitor', () => stalls.stop());
  return { readGroupOffsets, stalls };
}

/** The health and metrics server; it closes after the consumers have stopped (reverse start order). */
async function serveHealth(config: WorkerConfig, app: Express, logger: Logger, lifecycle: Lifecycle): Promise<void> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.WORKER_PORT, () => resolve(s)).once('error', reject);
  });
  lifecycle.onStop('http', () => new Promise((resolve) => server.close(resolve)));
  const address = server.address();
  logger.info(
    { port: typeof address === 'object' && address ? address.port : config.WORKER_PORT },
    'health server listening',
  );
}

const config = loadConfig();
const logger = createLogger({ name: 'worker-service', level: config.LOG_LEVEL, format: config.LOG_FORMAT });
main(config, logger).catch((err: unknown) => {
  logger.fatal({ err }, 'worker failed to start');
  process.exit(1);
});
