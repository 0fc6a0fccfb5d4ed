import { ACTIVITY_LIMITS, DEFAULT_TOPICS } from '@uap/shared/contract';
import {
  ACTIVITY_TYPES_ENV,
  ErasureHashKeySchema,
  TopicRetentionHoursSchema,
  ActivitiesTopicSchema,
  commaList,
  KafkaBrokersSchema,
  LogFormatSchema,
  LogLevelSchema,
  MongoDbSchema,
  MinIsrSchema,
  MongoUrlSchema,
  parseEnv,
  ReplicationFactorSchema,
  StallAfterMsSchema,
  topicNameSchema,
} from '@uap/shared/runtime';
import { z } from 'zod';
import { parseApiKeys } from '../../domain/api-key';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * Express's `trust proxy`: `false` (default, use the socket address), `true` (trust every hop),
 * a hop count, or a comma list of addresses/subnets/names such as `loopback, 10.0.0.0/8`.
 */
const TrustProxySchema = z
  .string()
  .trim()
  .min(1)
  .transform((value): boolean | number | string[] => {
    if (value === 'true') return true;
    if (value === 'false') return false;
    if (/^\d+$/.test(value)) return Number(value);
    return commaList(value);
  });

const BooleanSchema = z.enum(['true', 'false']).transform((value) => value === 'true');

/** `API_KEYS`: `<sha256 hex>:<scope>[+<scope>]`, comma-separated; see domain/api-key.ts. */
const ApiKeysSchema = z.string().transform((value, ctx) => {
  const { entries, problems } = parseApiKeys(value);
  for (const problem of problems) ctx.addIssue({ code: 'custom', message: problem });
  return entries;
});

const PublicPathsSchema = z
  .string()
  .transform(commaList)
  .pipe(z.array(z.string().regex(/^\/[A-Za-z0-9._~/-]*$/, 'each path must start with "/"')));

const CorsOriginsSchema = z
  .string()
  .transform(commaList)
  .pipe(
    z.array(
      z
        .string()
        .regex(/^(\*|https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?)$/, 'each origin must be * or scheme://host[:port], no path'),
    ),
  );

export const ApiConfigSchema = z.object({
  PORT: int(1, 65535).default(3000),
  LOG_LEVEL: LogLevelSchema,
  LOG_FORMAT: LogFormatSchema,
  KAFKA_BROKERS: KafkaBrokersSchema,
  KAFKA_CLIENT_ID: z.string().min(1).default('api-service'),
  ACTIVITIES_TOPIC: ActivitiesTopicSchema,
  ACTIVITIES_TOPIC_PARTITIONS: int(1, 1000).default(6),
  ACTIVITIES_TOPIC_REPLICATION_FACTOR: ReplicationFactorSchema,
  ACTIVITIES_TOPIC_MIN_ISR: MinIsrSchema,
  ...ACTIVITY_TYPES_ENV,
  /** The access log: runtime keys and sources (see infrastructure/kafka/kafka-access.registry.ts). */
  ACCESS_TOPIC: topicNameSchema(DEFAULT_TOPICS.access),
  ACCESS_REFRESH_MS: int(20, 10_000).default(250),
  // Revocation is in force on every current replica within the lease (+ 100 ms): the default keeps it under 2 s.
  ACCESS_LEASE_MS: int(100, 60_000).default(1_500),
  ACCESS_START_TIMEOUT_MS: int(1_000, 600_000).default(30_000),
  /** How long a rotated key stays valid beside its successor, unless the rotation says otherwise. */
  KEY_ROTATION_GRACE_SECONDS: int(0, 30 * 24 * 3600).default(24 * 3600),
  /** Each replica writes a key's last use to the access log at most this often (never on the request path). */
  KEY_USAGE_FLUSH_MS: int(1_000, 24 * 3600 * 1000).default(60_000),
  MONGO_URL: MongoUrlSchema,
  MONGO_DB: MongoDbSchema,
  PUBLISH_TIMEOUT_MS: int(100, 60_000).default(4_000),
  RETRY_AFTER_SECONDS: int(1, 3600).default(5),
  MAX_FUTURE_SKEW_SECONDS: int(0, 7 * 24 * 3600).default(ACTIVITY_LIMITS.defaultMaxFutureSkewMs / 1000),
  MAX_BATCH_EVENTS: int(1, 10_000).default(500),
  SINGLE_BODY_LIMIT_BYTES: int(1024, 16 * 1024 * 1024).default(64 * 1024),
  BATCH_BODY_LIMIT_BYTES: int(1024, 16 * 1024 * 1024).default(1024 * 1024),
  READINESS_TIMEOUT_MS: int(100, 30_000).default(1_000),
  QUERY_TIMEOUT_MS: int(100, 600_000).default(5_000),
  REPLAY_LEASE_MS: int(1_000, 600_000).default(30_000),
  REPLAY_POLL_MS: int(100, 600_000).default(5_000),
  /** Signs receipts and consistency tokens; every replica must share it. Unset: random per process (warned). */
  RECEIPT_SECRET: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z.string().min(32, 'must be at least 32 characters (e.g. openssl rand -hex 32)').optional(),
  ),
  /** Sign a receipt for each accepted event (false: answers carry none, saving one HMAC per event; tokens stay). */
  RECEIPTS_ENABLED: BooleanSchema.prefault('true'),
  /** Prometheus: GET /metrics and the per-request series (false: neither, and no default process metrics). */
  METRICS_ENABLED: BooleanSchema.prefault('true'),
  /** The worker's consumer group, whose committed offsets tell receipts and freshness what is processed. */
  WORKER_CONSUMER_GROUP: z.string().min(1).default('activity-worker'),
  FRESHNESS_REFRESH_MS: int(50, 10_000).default(250),
  // The broker is polled for progress only while something asks; this long after the last ask, polling pauses.
  FRESHNESS_IDLE_STOP_MS: int(1_000, 3_600_000).default(30_000),
  /** The worker's STALL_AFTER_MS: freshness calls a partition stalled by the same rule. */
  STALL_AFTER_MS: StallAfterMsSchema,
  TOPIC_RETENTION_HOURS: TopicRetentionHoursSchema,
  /** The worker's RETENTION_DAYS: stats clamp their range to what retention keeps. */
  RETENTION_DAYS: int(0, 100 * 365).default(0),
  ERASURE_HASH_KEY: ErasureHashKeySchema,
  STREAM_MAX_CONNECTIONS: int(1, 100_000).default(1_000),
  STREAM_MAX_CONNECTIONS_PER_KEY: int(1, 100_000).default(20),
  STREAM_MAX_LIFETIME_MS: int(1_000, 24 * 3600 * 1000).default(30 * 60_000),
  STREAM_HEARTBEAT_MS: int(100, 600_000).default(15_000),
  STREAM_TICKET_TTL_MS: int(1_000, 600_000).default(60_000),
  // The live stream reads the topic only while someone subscribes; this long after the last one leaves, it stops.
  STREAM_IDLE_STOP_MS: int(0, 3_600_000).default(30_000),
  STREAM_QUEUE_SIZE: int(10, 1_000_000).default(1_000),
  STREAM_WINDOW_EVENTS: int(100, 10_000_000).default(10_000),
  STREAM_WINDOW_MS: int(1_000, 3600 * 1000).default(60_000),
  STREAM_MAX_BUFFERED_EVENTS: int(1_000, 10_000_000).default(200_000),
  /** FerretDB's own PostgreSQL database: reads go to its tables with SQL (see ferretdb-postgres-activity.reader.ts). */
  FERRETDB_POSTGRES_URL: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' }).optional(),
  ),
  SHUTDOWN_TIMEOUT_MS: int(100, 120_000).default(10_000),
  TRUST_PROXY: TrustProxySchema.default(false),
  NODE_ENV: z.string().trim().default('development'),
  API_KEYS: ApiKeysSchema.prefault(''),
  AUTH_DISABLED: BooleanSchema.prefault('false'),
  PUBLIC_PATHS: PublicPathsSchema.prefault('/healthz,/readyz,/metrics,/openapi.json,/docs,/dashboard'),
  RATE_LIMIT_WINDOW_MS: int(1_000, 24 * 3600 * 1000).default(60_000),
  RATE_LIMIT_MAX: int(0, 1_000_000_000).default(60_000),
  /** Answers 401 from one address within the window before it is locked out until the window ends; 0: off. */
  AUTH_FAILURE_LIMIT: int(0, 1_000_000).default(30),
  AUTH_FAILURE_WINDOW_MS: int(1_000, 24 * 3600 * 1000).default(60_000),
  /** The audit trail keeps records this many days (0: forever); every replica sweeps hourly. */
  AUDIT_RETENTION_DAYS: int(0, 100 * 365).default(400),
  CORS_ORIGINS: CorsOriginsSchema.prefault(''),
});

// Secure by default: a production deployment without keys is a mistake, not a choice, unless said so.
const GuardedApiConfigSchema = ApiConfigSchema.superRefine((config, ctx) => {
  if (config.NODE_ENV === 'production' && config.API_KEYS.length === 0 && !config.AUTH_DISABLED) {
    ctx.addIssue({
      code: 'custom',
      path: ['API_KEYS'],
      message:
        'no API keys configured and NODE_ENV=production: refusing to start an open API. ' +
        'Set API_KEYS=<sha256 of key>:ingest+read (see .env.example), or AUTH_DISABLED=true to run without auth on purpose',
    });
  }
});

export type ApiConfig = Readonly<z.output<typeof ApiConfigSchema>>;

/** How requests are authenticated, decided once from the config; `reason` says why auth is off. */
export type AuthMode = { mode: 'api-keys' } | { mode: 'off'; reason: 'AUTH_DISABLED' | 'no API_KEYS' };

export function authModeOf(config: ApiConfig): AuthMode {
  if (config.AUTH_DISABLED) return { mode: 'off', reason: 'AUTH_DISABLED' };
  return config.API_KEYS.length === 0 ? { mode: 'off', reason: 'no API_KEYS' } : { mode: 'api-keys' };
}

export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  return parseEnv(GuardedApiConfigSchema, env);
}
