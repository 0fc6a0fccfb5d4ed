import { ACTIVITY_LIMITS, commaList, DEFAULT_TOPICS, parseEnv } from '@uap/shared';
import { z } from 'zod';

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

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const ApiConfigSchema = z.object({
  PORT: int(1, 65535).default(3000),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .transform(commaList)
    .pipe(z.array(z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port')).min(1, 'must list at least one broker')),
  KAFKA_CLIENT_ID: z.string().min(1).default('api-service'),
  ACTIVITIES_TOPIC: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a valid Kafka topic name')
    .default(DEFAULT_TOPICS.activities),
  ACTIVITIES_TOPIC_PARTITIONS: int(1, 1000).default(6),
  ACTIVITIES_TOPIC_REPLICATION_FACTOR: int(-1, 10).default(-1),
  MONGO_URL: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// URL')
    .default('mongodb://127.0.0.1:27017/'),
  MONGO_DB: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,63}$/, 'must be letters, digits and _ (FerretDB rejects "-")')
    .default('activity_platform'),
  PUBLISH_TIMEOUT_MS: int(100, 60_000).default(4_000),
  RETRY_AFTER_SECONDS: int(1, 3600).default(5),
  MAX_FUTURE_SKEW_SECONDS: int(0, 7 * 24 * 3600).default(ACTIVITY_LIMITS.defaultMaxFutureSkewMs / 1000),
  MAX_BATCH_EVENTS: int(1, 10_000).default(500),
  SINGLE_BODY_LIMIT_BYTES: int(1024, 16 * 1024 * 1024).default(64 * 1024),
  BATCH_BODY_LIMIT_BYTES: int(1024, 16 * 1024 * 1024).default(1024 * 1024),
  READINESS_TIMEOUT_MS: int(100, 30_000).default(1_000),
  SHUTDOWN_TIMEOUT_MS: int(100, 120_000).default(10_000),
  TRUST_PROXY: TrustProxySchema.default(false),
});

export type ApiConfig = Readonly<z.output<typeof ApiConfigSchema>>;

export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  return parseEnv(ApiConfigSchema, env);
}
