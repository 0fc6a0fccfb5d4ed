import 'dotenv/config';
import { randomBytes } from 'node:crypto';
import type { Server, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { createKafka, createLogger, type Logger } from '@uap/shared/runtime';
import type { Connection } from 'mongoose';
import { Registry } from 'prom-client';
import { createApp } from './app';
import { IngestActivityUseCase } from './application/ingest-activity.use-case';
import { QueryActivitiesUseCase } from './application/query-activities.use-case';
import { DeadLettersUseCase } from './application/dead-letters.use-case';
import { ReplayDeadLettersUseCase } from './application/replay-dead-letters.use-case';
import { ReplayJobRunner } from './application/replay-job.runner';
import { MongoDeadLetterStore } from './infrastructure/mongo/mongo-dead-letter.store';
import { MongoReplayJobStore } from './infrastructure/mongo/mongo-replay-job.store';
import { ReceiptsUseCase } from './application/receipts.use-case';
import { ReceiptCodec } from './domain/receipt';
import { TokenSigner } from './domain/token-signer';
import { KafkaConsumerProgress } from './infrastructure/kafka/kafka-consumer-progress';
import { ActivityStreamHub } from './application/activity-stream.hub';
import { LiveActivityStream } from './application/live-activity-stream';
import { StreamTickets } from './domain/stream-ticket';
import { KafkaActivityStreamConsumer } from './infrastructure/kafka/kafka-activity-stream.consumer';
import { StreamConnections, toStreamJson } from './interfaces/http/stream/activity-stream.router';
import { EraseUserUseCase } from './application/erase-user.use-case';
import { DEFAULT_EXPORT_CONFIG, ExportActivitiesUseCase } from './application/export-activities.use-case';
import { MongoErasureStore, MongoRollupEraser, MongoUserDataEraser } from './infrastructure/mongo/mongo-erasure.store';
import { ActivityStatsUseCase } from './application/activity-stats.use-case';
import { MongoActivityRollupReader } from './infrastructure/mongo/mongo-activity-rollup.reader';
import { PostgresStatsRollups } from './infrastructure/postgres/postgres-stats.rollups';
import { FerretDbPostgresUserDataEraser } from './infrastructure/postgres/ferretdb-postgres-user-data.eraser';
import type { RollupReader } from './application/ports/activity-rollup-reader.port';
import type { RollupEraser } from './application/ports/rollup-eraser.port';
import { erasureHash } from '@uap/shared/contract';
import {
  assertSupportedFerretDb,
  detectStoreServer,
  Lifecycle,
  redactedUrl,
  storeLabel,
  type StoreServer,
} from '@uap/shared/runtime';
import { authModeOf, loadApiConfig } from './infrastructure/config/api.config';
import { answerClientErrors } from './interfaces/http/client-error';
import { ensureActivitiesTopic } from './infrastructure/kafka/activities-topic';
import { KafkaActivityPublisher } from './infrastructure/kafka/kafka-activity.publisher';
import { createApiMetrics, timedPublisher } from './infrastructure/metrics/api.metrics';
import { MongoActivityReader } from './infrastructure/mongo/mongo-activity.reader';
import { FerretDbPostgresActivityReader } from './infrastructure/postgres/ferretdb-postgres-activity.reader';
import { connectMongo, pingMongo } from './infrastructure/store/mongo-connection';
import type { ActivityReader } from './application/ports/activity-reader.port';
import type { ApiConfig } from './infrastructure/config/api.config';

/** Composition root: config → logger → Kafka (topic, producer) → store → use cases → HTTP → replay runner. */
async function main(): Promise<void> {
  const config = loadApiConfig();
  const logger = createLogger({ name: 'api-service', level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  // Reverse start order at shutdown: no new requests, in-flight ones finish (their publishes complete or time out
  // within PUBLISH_TIMEOUT_MS), then the background work, the producer (flushed) and the store connections.
  const lifecycle = new Lifecycle(logger, { shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS });
  lifecycle.handleProcessEvents();
  const auth = authModeOf(config);
  if (auth.mode === 'off') {
    logger.warn(
      { reason: auth.reason, nodeEnv: config.NODE_ENV },
      'AUTHENTICATION IS OFF: every client can ingest and read. Set API_KEYS (see .env.example) to require API keys',
    );
  } else {
    logger.info({ keys: config.API_KEYS.map((k) => ({ id: k.id, scopes: [...k.scopes] })) }, 'API keys required');
  }

  const kafka = createKafka({ clientId: config.KAFKA_CLIENT_ID, brokers: config.KAFKA_BROKERS, logger });
  await ensureActivitiesTopic(
    kafka,
    {
      topic: config.ACTIVITIES_TOPIC,
      partitions: config.ACTIVITIES_TOPIC_PARTITIONS,
      replication: {
        replicationFactor: config.ACTIVITIES_TOPIC_REPLICATION_FACTOR,
        minInsyncReplicas: config.ACTIVITIES_TOPIC_MIN_ISR,
      },
      retentionHours: config.TOPIC_RETENTION_HOURS,
    },
    logger,
  );
  const publisher = new KafkaActivityPublisher(
    { topic: config.ACTIVITIES_TOPIC, publishTimeoutMs: config.PUBLISH_TIMEOUT_MS },
    { kafka, logger },
  );
  await publisher.connect();
  lifecycle.onStop('producer', () => publisher.disconnect());
  const mongo = await connectMongo({ url: config.MONGO_URL, dbName: config.MONGO_DB });
  lifecycle.onStop('store', () => mongo.close());
  logger.info({ topic: config.ACTIVITIES_TOPIC, db: config.MONGO_DB }, 'connected to Kafka and the store');
  const store = await detectStoreServer(mongo.db!);
  const statsRollups = selectStatsRollups(config, store, mongo, logger);
  const rollupsSql = statsRollups?.reader instanceof PostgresStatsRollups ? statsRollups.reader : undefined;
  if (rollupsSql) lifecycle.onStop('stats-rollups-sql', () => rollupsSql.close());

  const letters = new MongoDeadLetterStore(mongo, { maxTimeMs: config.QUERY_TIMEOUT_MS });
  const jobs = new MongoReplayJobStore(mongo);
  await jobs.ensureIndexes();
  const metrics = createApiMetrics(new Registry(), {
    defaultMetrics: config.METRICS_ENABLED,
    deadLetterCounts: () => letters.counts({}),
    runningReplayJobs: async () => (await jobs.running()).length,
    // Read at scrape time, after the progress monitor and the stream hub below exist.
    freshness: async () => progress.current() ?? (await progress.next().catch(() => undefined)),
    stream: () => hub.stats(),
  });
  const runner = new ReplayJobRunner(
    {
      owner: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
      leaseMs: config.REPLAY_LEASE_MS,
      pollMs: config.REPLAY_POLL_MS,
    },
    {
      letters,
      jobs,
      publisher,
      logger,
      onPublished: (count) => metrics.replayedEvents.inc(count),
    },
  );
  if (config.RECEIPT_SECRET === undefined) {
    logger.warn(
      'RECEIPT_SECRET is not set: receipts are signed with a random per-process secret, so another replica or this ' +
        'one after a restart refuses them (400). Set RECEIPT_SECRET, shared by every replica (see .env.example)',
    );
  }
  const signer = new TokenSigner(
    config.RECEIPT_SECRET === undefined ? randomBytes(32) : Buffer.from(config.RECEIPT_SECRET, 'utf8'),
  );
  const codec = new ReceiptCodec(signer);
  const ingest = new IngestActivityUseCase(
    {
      maxFutureSkewMs: config.MAX_FUTURE_SKEW_SECONDS * 1000,
      maxBatchEvents: config.MAX_BATCH_EVENTS,
      receipts: config.RECEIPTS_ENABLED,
    },
    { publisher: config.METRICS_ENABLED ? timedPublisher(publisher, metrics) : publisher, receipts: codec },
  );
  const progress = new KafkaConsumerProgress(
    {
      topic: config.ACTIVITIES_TOPIC,
      group: config.WORKER_CONSUMER_GROUP,
      refreshMs: config.FRESHNESS_REFRESH_MS,
      idleStopMs: config.FRESHNESS_IDLE_STOP_MS,
      stallAfterMs: config.STALL_AFTER_MS,
    },
    { admin: kafka.admin(), logger },
  );
  await progress.start();
  lifecycle.onStop('consumer-progress', () => progress.stop());
  const hub = new ActivityStreamHub(
    {
      windowEvents: config.STREAM_WINDOW_EVENTS,
      windowMs: config.STREAM_WINDOW_MS,
      maxBufferedEvents: config.STREAM_MAX_BUFFERED_EVENTS,
      queueSize: config.STREAM_QUEUE_SIZE,
    },
    { serialize: toStreamJson },
  );
  // Reads the topic back only while someone subscribes to the live stream.
  const live = new LiveActivityStream(
    { idleStopMs: config.STREAM_IDLE_STOP_MS },
    {
      hub,
      feed: new KafkaActivityStreamConsumer(
        { topic: config.ACTIVITIES_TOPIC, groupPrefix: `${config.KAFKA_CLIENT_ID}-live` },
        { kafka, hub, logger },
      ),
      logger,
    },
  );
  lifecycle.onStop('live-stream', () => live.close());
  const streams = new StreamConnections();
  const { reader, sqlReader } = await selectReader(config, store, mongo, logger);
  if (sqlReader) lifecycle.onStop('store-sql', () => sqlReader.close());
  const queries = new QueryActivitiesUseCase({ reader });
  if (!config.ERASURE_HASH_KEY) {
    logger.warn(
      'ERASURE_HASH_KEY is not set: erasure records use a fixed development key. Set it (shared with the worker)',
    );
  }
  const erasureStore = new MongoErasureStore(mongo);
  await erasureStore.ensureIndexes();
  const receipts = new ReceiptsUseCase({
    codec,
    topic: config.ACTIVITIES_TOPIC,
    progress,
    reader,
    deadLetters: letters,
  });
  // Erasure through SQL wherever reads are: through FerretDB's wire each of its statements scans the collection.
  const sqlEraser =
    sqlReader && config.FERRETDB_POSTGRES_URL !== undefined
      ? FerretDbPostgresUserDataEraser.connect({
          url: config.FERRETDB_POSTGRES_URL,
          database: config.MONGO_DB,
          ...(statsRollups ? { rollups: statsRollups.eraser } : {}),
        })
      : undefined;
  if (sqlEraser) lifecycle.onStop('eraser-sql', () => sqlEraser.close());
  const app = createApp({
    metrics: config.METRICS_ENABLED ? metrics : 'off',
    logger,
    ingest,
    queries,
    exports: { exporter: new ExportActivitiesUseCase(DEFAULT_EXPORT_CONFIG, { reader }) },
    stats: new ActivityStatsUseCase(
      { retentionDays: config.RETENTION_DAYS },
      { reader, ...(statsRollups ? { rollups: statsRollups.reader } : {}) },
    ),
    receipts: { receipts, progress, refreshMs: config.FRESHNESS_REFRESH_MS },
    erasures: new EraseUserUseCase({
      erasures: erasureStore,
      eraser: sqlEraser ?? new MongoUserDataEraser(mongo, statsRollups?.eraser),
      progress,
      awaitProcessed: (token, waitMs) => receipts.awaitProcessed(token, waitMs),
      hash: (userId) => erasureHash(config.ERASURE_HASH_KEY, userId),
      topic: config.ACTIVITIES_TOPIC,
      logger,
    }),
    stream: {
      live,
      tickets: new StreamTickets(signer, config.STREAM_TICKET_TTL_MS),
      connections: streams,
      limits: {
        maxConnections: config.STREAM_MAX_CONNECTIONS,
        maxConnectionsPerKey: config.STREAM_MAX_CONNECTIONS_PER_KEY,
        heartbeatMs: config.STREAM_HEARTBEAT_MS,
        maxLifetimeMs: config.STREAM_MAX_LIFETIME_MS,
        retryMs: 3_000,
        retryAfterSeconds: config.RETRY_AFTER_SECONDS,
      },
    },
    deadLetters: {
      deadLetters: new DeadLettersUseCase({ store: letters }),
      replays: new ReplayDeadLettersUseCase({ jobs, kick: () => runner.kick() }),
    },
    readiness: [
      { name: 'kafka', check: () => publisher.isReady(config.READINESS_TIMEOUT_MS) },
      { name: 'store', check: () => pingMongo(mongo, config.READINESS_TIMEOUT_MS) },
      ...(sqlReader ? [{ name: 'store-sql', check: () => sqlReader.ping(config.READINESS_TIMEOUT_MS) }] : []),
    ],
    config: {
      trustProxy: config.TRUST_PROXY,
      bodyLimits: { singleBytes: config.SINGLE_BODY_LIMIT_BYTES, batchBytes: config.BATCH_BODY_LIMIT_BYTES },
      retryAfterSeconds: config.RETRY_AFTER_SECONDS,
      security: {
        apiKeys: auth.mode === 'off' ? 'disabled' : config.API_KEYS,
        publicPaths: config.PUBLIC_PATHS,
        rateLimit: { windowMs: config.RATE_LIMIT_WINDOW_MS, max: config.RATE_LIMIT_MAX },
        corsOrigins: config.CORS_ORIGINS,
      },
    },
  });
  // After the page in hand, the replay's lease is handed back so another instance resumes at once.
  lifecycle.onStop('replay-runner', () => runner.stop());
  const server = app.listen(config.PORT, () => logger.info({ port: config.PORT }, 'api-service listening'));
  answerClientErrors(server);
  server.on('error', (err) => {
    logger.fatal({ err }, 'HTTP server failed');
    process.exit(1);
  });
  lifecycle.onStop('http', closeWhenAnswered(server, logger));
  // Live streams never finish on their own: they end first, so the server can close.
  lifecycle.onStop('live-streams', () => streams.endAll('the server is shutting down; reconnect with Last-Event-ID'));
  // Resumes replay jobs an earlier process left running, once their lease has run out.
  runner.start();
}

/**
 * Closes the server once the requests in flight are answered. Keep-alive sockets would hold close() open until
 * their idle timeout: answers still to come say `Connection: close`, and sockets with nothing in flight close now.
 */
function closeWhenAnswered(server: Server, logger: Logger): () => Promise<void> {
  const inFlight = new Set<ServerResponse>();
  server.on('request', (_req, res: ServerResponse) => {
    inFlight.add(res);
    res.on('close', () => inFlight.delete(res));
  });
  return async () => {
    for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
    server.on('request', (_req, res: ServerResponse) => res.setHeader('Connection', 'close'));
    await new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeIdleConnections();
    });
    logger.info('HTTP server closed');
  };
}

/**
 * Where the worker keeps the stats rollups: documents on MongoDB, PostgreSQL tables on FerretDB with
 * FERRETDB_POSTGRES_URL, none on FerretDB without it (the stats are then counted from the events).
 */
function selectStatsRollups(
  config: ApiConfig,
  server: StoreServer,
  mongo: Connection,
  logger: Logger,
): { reader: RollupReader; eraser: RollupEraser } | undefined {
  if (server.kind === 'MongoDB') {
    return {
      reader: new MongoActivityRollupReader(mongo, { maxTimeMs: config.QUERY_TIMEOUT_MS }),
      eraser: new MongoRollupEraser(mongo),
    };
  }
  if (config.FERRETDB_POSTGRES_URL === undefined) {
    logger.warn(
      'stats: no rollups on FerretDB without FERRETDB_POSTGRES_URL; /api/v1/activities/stats counts from the events, ' +
        'up to a bound',
    );
    return undefined;
  }
  const sql = PostgresStatsRollups.connect({
    url: config.FERRETDB_POSTGRES_URL,
    database: config.MONGO_DB,
    queryTimeoutMs: config.QUERY_TIMEOUT_MS,
  });
  return { reader: sql, eraser: sql };
}

/**
 * Which reader serves queries. FerretDB v1 sorts, ranges and pages in its own memory (issue 12), so on
 * FerretDB with FERRETDB_POSTGRES_URL the reads go to its PostgreSQL tables instead; everything else reads
 * through the Mongo wire, where MongoDB serves every shape from the compound indexes.
 */
async function selectReader(
  config: ApiConfig,
  server: StoreServer,
  mongo: Connection,
  logger: Logger,
): Promise<{ reader: ActivityReader; sqlReader?: FerretDbPostgresActivityReader }> {
  const mongoReader = new MongoActivityReader(mongo, { maxTimeMs: config.QUERY_TIMEOUT_MS });
  const url = config.FERRETDB_POSTGRES_URL;
  if (server.kind === 'FerretDB' && url !== undefined) {
    assertSupportedFerretDb(server.version);
    const sqlReader = await FerretDbPostgresActivityReader.connect({
      url,
      database: config.MONGO_DB,
      queryTimeoutMs: config.QUERY_TIMEOUT_MS,
    });
    logger.info(
      { store: storeLabel(server), reader: 'ferretdb-postgres-sql', postgres: redactedUrl(url) },
      "reads: SQL on FerretDB's PostgreSQL tables, over the indexes FerretDB created",
    );
    return { reader: sqlReader, sqlReader };
  }
  if (server.kind === 'FerretDB') {
    logger.warn(
      { store: storeLabel(server), reader: 'mongo-wire' },
      'reads and erasures go through FerretDB, which uses no index through its wire (an equality too is a scan of ' +
        'the collection) and sorts in memory: every query and erasure slows down as the store grows (seconds at ' +
        "100k events). Set FERRETDB_POSTGRES_URL to FerretDB's PostgreSQL database (npm run services:up prints it) " +
        'to read and erase with SQL over its indexes',
    );
  } else {
    if (url !== undefined)
      logger.info({ store: storeLabel(server) }, 'FERRETDB_POSTGRES_URL ignored: the store is MongoDB');
    logger.info({ store: storeLabel(server), reader: 'mongo-wire' }, 'reads: Mongo queries over the compound indexes');
  }
  return { reader: mongoReader };
}

main().catch((err: unknown) => {
  // The logger may not exist yet (bad config), so start-up failures go to stderr as well.
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
