import 'dotenv/config';
import { randomBytes } from 'node:crypto';
import type { Server, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { actorErasureHash } from '@uap/shared/contract';
import { createKafka, createLogger, followActivityTypes, Lifecycle, type Logger } from '@uap/shared/runtime';
import type { Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import { createApp, type AppDeps } from './app';
import { ActivityStatsUseCase } from './application/activity-stats.use-case';
import { ActivityStreamHub } from './application/activity-stream.hub';
import { AuditTrailUseCase } from './application/audit-trail.use-case';
import { DeadLettersUseCase } from './application/dead-letters.use-case';
import { EraseUserUseCase } from './application/erase-user.use-case';
import { DEFAULT_EXPORT_CONFIG, ExportActivitiesUseCase } from './application/export-activities.use-case';
import { IngestActivityUseCase } from './application/ingest-activity.use-case';
import { IngestSegmentUseCase } from './application/ingest-segment.use-case';
import { InsightsUseCase } from './application/insights.use-case';
import { ListViolationsUseCase } from './application/list-violations.use-case';
import { LiveActivityStream } from './application/live-activity-stream';
import { ManageActivityTypesUseCase } from './application/manage-activity-types.use-case';
import { ManageAccessUseCase } from './application/manage-access.use-case';
import { QueryActivitiesUseCase } from './application/query-activities.use-case';
import { UserProfileUseCase } from './application/user-profile.use-case';
import { ReceiptsUseCase } from './application/receipts.use-case';
import { ReplayDeadLettersUseCase } from './application/replay-dead-letters.use-case';
import { ReplayJobRunner } from './application/replay-job.runner';
import type { KeyRing } from './domain/access/key-ring';
import type { SourceLookup } from './interfaces/http/request-source';
import { ReceiptCodec } from './domain/receipt';
import { StreamTickets } from './domain/stream-ticket';
import { TokenSigner } from './domain/token-signer';
import { authModeOf, loadApiConfig, type ApiConfig } from './infrastructure/config/api.config';
import { ensureActivitiesTopic } from './infrastructure/kafka/activities-topic';
import { followAccess } from './infrastructure/kafka/kafka-access.registry';
import { KafkaActivityStreamConsumer } from './infrastructure/kafka/kafka-activity-stream.consumer';
import { KafkaActivityPublisher } from './infrastructure/kafka/kafka-activity.publisher';
import { KafkaConsumerProgress } from './infrastructure/kafka/kafka-consumer-progress';
import { createApiMetrics, eventsBySource, timedPublisher } from './infrastructure/metrics/api.metrics';
import { MongoDeadLetterStore } from './infrastructure/mongo/mongo-dead-letter.store';
import { MongoErasureStore } from './infrastructure/mongo/mongo-erasure.store';
import { MongoReplayJobStore } from './infrastructure/mongo/mongo-replay-job.store';
import { openApiStore } from './infrastructure/store/api-store';
import { answerClientErrors } from './interfaces/http/client-error';
import { StreamConnections, toStreamJson } from './interfaces/http/stream/activity-stream.router';

/** Every replica sweeps the audit trail this often; the sweep is idempotent, so they need no coordination. */
const AUDIT_SWEEP_INTERVAL_MS = 3600_000;

/**
 * Composition root: config → Kafka (topics, activity types, access log, producer) → store → background work →
 * use cases → HTTP.
 */
async function main(): Promise<void> {
  const config = loadApiConfig();
  const logger = createLogger({ name: 'api-service', level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  // Reverse start order at shutdown: no new requests, in-flight ones finish (their publishes complete or time out
  // within PUBLISH_TIMEOUT_MS), then the background work, the producer (flushed) and the store connections.
  const lifecycle = new Lifecycle(logger, { shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS });
  lifecycle.handleProcessEvents();
  const auth = logAuthMode(config, logger);
  const { kafka, publisher, registry, access } = await connectKafka(config, logger, lifecycle);
  const store = await openApiStore(config, logger, lifecycle);
  logger.info({ topic: config.ACTIVITIES_TOPIC, db: config.MONGO_DB }, 'connected to Kafka and the store');
  const letters = new MongoDeadLetterStore(store.mongo, { maxTimeMs: config.QUERY_TIMEOUT_MS });
  const jobs = new MongoReplayJobStore(store.mongo);
  await jobs.ensureIndexes();
  const erasureStore = new MongoErasureStore(store.mongo);
  await erasureStore.ensureIndexes();
  const audit = new AuditTrailUseCase({ retentionDays: config.AUDIT_RETENTION_DAYS }, { log: store.audit, logger });
  const retention = audit.startRetention(AUDIT_SWEEP_INTERVAL_MS);
  lifecycle.onStop('audit-retention', () => retention.stop());
  const metrics = createApiMetrics(new Registry(), {
    defaultMetrics: config.METRICS_ENABLED,
    deadLetterCounts: () => letters.counts({}),
    runningReplayJobs: async () => (await jobs.running()).length,
    // Read at scrape time, after the progress monitor and the stream hub below exist.
    activityTypes: () => registry.status(),
    access: () => access.status(),
    freshness: async () => progress.current() ?? (await progress.next().catch(() => undefined)),
    stream: () => live.hub.stats(),
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
      types: registry.catalog,
      logger,
      onPublished: (count) => metrics.replayedEvents.inc(count),
    },
  );
  const signer = receiptSigner(config, logger);
  const codec = new ReceiptCodec(signer);
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
  const live = liveStream(config, kafka, logger, lifecycle);
  const streams = new StreamConnections();
  const { reader, identities } = store;
  const receipts = new ReceiptsUseCase({
    codec,
    topic: config.ACTIVITIES_TOPIC,
    progress,
    reader,
    deadLetters: letters,
  });
  if (!config.ERASURE_HASH_KEY) {
    logger.warn(
      'ERASURE_HASH_KEY is not set: erasure records use a fixed development key. Set it (shared with the worker)',
    );
  }

  const app = createApp({
    metrics: config.METRICS_ENABLED ? metrics : 'off',
    logger,
    ingest: new IngestActivityUseCase(
      {
        maxFutureSkewMs: config.MAX_FUTURE_SKEW_SECONDS * 1000,
        maxBatchEvents: config.MAX_BATCH_EVENTS,
        receipts: config.RECEIPTS_ENABLED,
      },
      {
        publisher: config.METRICS_ENABLED ? timedPublisher(publisher, metrics) : publisher,
        receipts: codec,
        types: registry.catalog,
        onVerdict: (verdict) => metrics.countVerdict(verdict),
      },
    ),
    // The Segment surface publishes through the same producer (acks=all), registry and policy as the REST dialect.
    segment: new IngestSegmentUseCase(
      { maxFutureSkewMs: config.MAX_FUTURE_SKEW_SECONDS * 1000 },
      {
        publisher: config.METRICS_ENABLED ? timedPublisher(publisher, metrics) : publisher,
        types: registry.catalog,
        onVerdict: (verdict) => metrics.countVerdict(verdict),
      },
    ),
    activityTypes: new ManageActivityTypesUseCase({ registry }),
    queries: new QueryActivitiesUseCase({ reader, identities }),
    profiles: new UserProfileUseCase({ reader, identities }),
    violations: new ListViolationsUseCase({ reader }),
    exports: { exporter: new ExportActivitiesUseCase(DEFAULT_EXPORT_CONFIG, { reader }) },
    stats: new ActivityStatsUseCase(
      { retentionDays: config.RETENTION_DAYS },
      { reader, ...(store.rollups ? { rollups: store.rollups } : {}) },
    ),
    insights: new InsightsUseCase(
      { retentionDays: config.RETENTION_DAYS },
      { types: registry.catalog, ...(store.insights ? { reader: store.insights } : {}) },
    ),
    receipts: { receipts, progress, refreshMs: config.FRESHNESS_REFRESH_MS },
    erasures: new EraseUserUseCase({
      erasures: erasureStore,
      eraser: store.eraser,
      identities,
      progress,
      awaitProcessed: (token, waitMs) => receipts.awaitProcessed(token, waitMs),
      hash: (actor) => actorErasureHash(config.ERASURE_HASH_KEY, actor),
      topic: config.ACTIVITIES_TOPIC,
      logger,
    }),
    stream: {
      live: live.stream,
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
    audit,
    access: new ManageAccessUseCase(
      { rotationGraceSeconds: config.KEY_ROTATION_GRACE_SECONDS },
      {
        registry: access,
        // The source counts are this process's metrics counters: they count from its start, and only when on.
        ...(config.METRICS_ENABLED
          ? { sourceEvents: { since: new Date(performance.timeOrigin), bySource: () => eventsBySource(metrics) } }
          : {}),
        deadLetters: letters,
      },
    ),
    deadLetters: {
      deadLetters: new DeadLettersUseCase({ store: letters }),
      replays: new ReplayDeadLettersUseCase({ jobs, kick: () => runner.kick() }),
    },
    readiness: [
      { name: 'kafka', check: () => publisher.isReady(config.READINESS_TIMEOUT_MS) },
      { name: 'activity-types', check: async () => registry.status().current },
      { name: 'access-keys', check: async () => access.status().current },
      ...store.pings.map(({ name, check }) => ({ name, check: () => check(config.READINESS_TIMEOUT_MS) })),
    ],
    config: appConfig(config, auth, access.catalog, (id) => access.catalog.source(id)),
  });
  // After the page in hand, the replay's lease is handed back so another instance resumes at once.
  lifecycle.onStop('replay-runner', () => runner.stop());
  serve(app, config, logger, lifecycle);
  // Live streams never finish on their own: they end first, so the server can close.
  lifecycle.onStop('live-streams', () => streams.endAll('the server is shutting down; reconnect with Last-Event-ID'));
  // Resumes replay jobs an earlier process left running, once their lease has run out.
  runner.start();
}

/** Says loudly when authentication is off; never logs a key, only ids and scopes. */
function logAuthMode(config: ApiConfig, logger: Logger): ReturnType<typeof authModeOf> {
  const auth = authModeOf(config);
  if (auth.mode === 'off') {
    logger.warn(
      { reason: auth.reason, nodeEnv: config.NODE_ENV },
      'AUTHENTICATION IS OFF: every client can ingest and read. Set API_KEYS (see .env.example) to require API keys',
    );
  } else {
    logger.info({ keys: config.API_KEYS.map((k) => ({ id: k.id, scopes: [...k.scopes] })) }, 'API keys required');
  }
  return auth;
}

/**
 * The topics (created with the configured replication if missing), the activity type registry, the access log
 * and the producer.
 */
async function connectKafka(config: ApiConfig, logger: Logger, lifecycle: Lifecycle) {
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
      registryTopic: config.ACTIVITY_TYPES_TOPIC,
      accessTopic: config.ACCESS_TOPIC,
    },
    logger,
  );
  const registry = await followActivityTypes(kafka, config, logger);
  lifecycle.onStop('activity-types', () => registry.stop());
  // Keys and sources: the API_KEYS entries, then the access log's runtime keys; auth checks them per request.
  const access = await followAccess(kafka, config, config.API_KEYS, logger);
  lifecycle.onStop('access-keys', () => access.stop());
  const publisher = new KafkaActivityPublisher(
    { topic: config.ACTIVITIES_TOPIC, publishTimeoutMs: config.PUBLISH_TIMEOUT_MS },
    { kafka, logger },
  );
  await publisher.connect();
  lifecycle.onStop('producer', () => publisher.disconnect());
  return { kafka, publisher, registry, access };
}

/** Signs receipts and stream tickets; every replica must share RECEIPT_SECRET to accept another's. */
function receiptSigner(config: ApiConfig, logger: Logger): TokenSigner {
  if (config.RECEIPT_SECRET !== undefined) return new TokenSigner(Buffer.from(config.RECEIPT_SECRET, 'utf8'));
  logger.warn(
    'RECEIPT_SECRET is not set: receipts are signed with a random per-process secret, so another replica or this ' +
      'one after a restart refuses them (400). Set RECEIPT_SECRET, shared by every replica (see .env.example)',
  );
  return new TokenSigner(randomBytes(32));
}

/** The live stream's hub and its feed, which reads the topic back only while someone subscribes. */
function liveStream(config: ApiConfig, kafka: Kafka, logger: Logger, lifecycle: Lifecycle) {
  const hub = new ActivityStreamHub(
    {
      windowEvents: config.STREAM_WINDOW_EVENTS,
      windowMs: config.STREAM_WINDOW_MS,
      maxBufferedEvents: config.STREAM_MAX_BUFFERED_EVENTS,
      queueSize: config.STREAM_QUEUE_SIZE,
    },
    { serialize: toStreamJson },
  );
  const stream = new LiveActivityStream(
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
  lifecycle.onStop('live-stream', () => stream.close());
  return { hub, stream };
}

function appConfig(
  config: ApiConfig,
  auth: ReturnType<typeof authModeOf>,
  keys: KeyRing,
  sourceOf: SourceLookup,
): AppDeps['config'] {
  return {
    trustProxy: config.TRUST_PROXY,
    bodyLimits: { singleBytes: config.SINGLE_BODY_LIMIT_BYTES, batchBytes: config.BATCH_BODY_LIMIT_BYTES },
    retryAfterSeconds: config.RETRY_AFTER_SECONDS,
    security: {
      apiKeys: auth.mode === 'off' ? 'disabled' : keys,
      publicPaths: config.PUBLIC_PATHS,
      rateLimit: { windowMs: config.RATE_LIMIT_WINDOW_MS, max: config.RATE_LIMIT_MAX },
      authFailureLimit: { limit: config.AUTH_FAILURE_LIMIT, windowMs: config.AUTH_FAILURE_WINDOW_MS },
      sourceOf,
      corsOrigins: config.CORS_ORIGINS,
    },
  };
}

/** Listens; at shutdown the server stops taking requests and closes once those in flight are answered. */
function serve(app: ReturnType<typeof createApp>, config: ApiConfig, logger: Logger, lifecycle: Lifecycle): void {
  const server = app.listen(config.PORT, () => logger.info({ port: config.PORT }, 'api-service listening'));
  answerClientErrors(server);
  server.on('error', (err) => {
    logger.fatal({ err }, 'HTTP server failed');
    process.exit(1);
  });
  lifecycle.onStop('http', closeWhenAnswered(server, logger));
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

main().catch((err: unknown) => {
  // The logger may not exist yet (bad config), so start-up failures go to stderr as well.
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
