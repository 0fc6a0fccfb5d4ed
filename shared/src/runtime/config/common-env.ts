import { z } from 'zod';
import { DEFAULT_TOPICS } from '../../contract/messaging/topics';
import { INVALID_METADATA_POLICIES, UNKNOWN_TYPE_POLICIES } from '../../activity-types/activity-type';
import { commaList } from './parse-env';

/** Variables both services read, validated the same way in both. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const LogLevelSchema = z.enum(LOG_LEVELS).default('info');

/** json (default): one JSON object per line, for log shippers. pretty: colored, readable lines, for development. */
export const LogFormatSchema = z.enum(['json', 'pretty']).default('json');

export const KafkaBrokersSchema = z
  .string()
  .default('127.0.0.1:9092')
  .transform(commaList)
  .pipe(z.array(z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port')).min(1, 'must list at least one broker'));

export const topicNameSchema = (fallback: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a valid Kafka topic name')
    .default(fallback);

export const ActivitiesTopicSchema = topicNameSchema(DEFAULT_TOPICS.activities);

export const MongoUrlSchema = z
  .string()
  .regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// URL')
  .default('mongodb://127.0.0.1:27017/');

export const MongoDbSchema = z
  .string()
  .regex(/^[A-Za-z0-9_]{1,63}$/, 'must be letters, digits and _ (FerretDB rejects "-")')
  .default('activity_platform');

/**
 * How long Kafka keeps the activities and dead-letter topics (retention.ms of topics the services
 * create; existing topics keep theirs). It bounds replay from the topic, dead-letter replays, receipts
 * and stream resume, and how long an erased user's raw events remain in the log.
 */
export const TopicRetentionHoursSchema = z.coerce
  .number()
  .int()
  .min(1)
  .max(100 * 365 * 24)
  .default(168);

/**
 * The key of the keyed hash (HMAC-SHA256) an erasure record keeps instead of the userId. The api and
 * the worker must share it. Empty: a fixed development key, which both services warn about.
 */
export const ErasureHashKeySchema = z
  .string()
  .default('')
  .refine((key) => key === '' || key.length >= 32, 'must be at least 32 characters (e.g. openssl rand -hex 32)');

/**
 * A partition whose consumer-group committed offset has not moved for longer than this while it has lag is
 * stalled (the worker's /readyz and metrics, the api's freshness). Both services read it, so they agree.
 */
export const StallAfterMsSchema = z.coerce.number().int().positive().default(60_000);

/**
 * The activity type registry, read by both services: its topic, the policy for what is not planned until an
 * admin sets one through the API (the API's setting then wins everywhere), and how replicas follow it.
 */
export const ACTIVITY_TYPES_ENV = {
  ACTIVITY_TYPES_TOPIC: topicNameSchema(DEFAULT_TOPICS.activityTypes),
  UNPLANNED_TYPE_POLICY: z.enum(UNKNOWN_TYPE_POLICIES).default('reject'),
  INVALID_METADATA_POLICY: z.enum(INVALID_METADATA_POLICIES).default('reject'),
  ACTIVITY_TYPES_REFRESH_MS: z.coerce.number().int().min(20).max(10_000).default(200),
  ACTIVITY_TYPES_LEASE_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
  ACTIVITY_TYPES_START_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
};
export type ActivityTypesEnv = { [K in keyof typeof ACTIVITY_TYPES_ENV]: z.output<(typeof ACTIVITY_TYPES_ENV)[K]> };
