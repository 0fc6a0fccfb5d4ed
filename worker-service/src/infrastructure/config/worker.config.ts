import { DEFAULT_MAX_REPLAYS, DEFAULT_TOPICS } from '@uap/shared/contract';
import {
  ACTIVITY_TYPES_ENV,
  ActivitiesTopicSchema,
  ErasureHashKeySchema,
  TopicRetentionHoursSchema,
  KafkaBrokersSchema,
  LogFormatSchema,
  LogLevelSchema,
  MongoDbSchema,
  MinIsrSchema,
  MongoUrlSchema,
  ReplicationFactorSchema,
  StallAfterMsSchema,
  topicNameSchema,
} from '@uap/shared/runtime';
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Every variable the worker reads; `worker-service/.env.example` documents each one. */
export const WorkerConfigSchema = z
  .object({
    KAFKA_BROKERS: KafkaBrokersSchema,
    KAFKA_CLIENT_ID: z.string().min(1).default('activity-worker'),
    CONSUMER_GROUP: z.string().min(1).default('activity-worker'),
    ACTIVITIES_TOPIC: ActivitiesTopicSchema,
    ACTIVITIES_TOPIC_PARTITIONS: positiveInt(6),
    ACTIVITIES_TOPIC_REPLICATION_FACTOR: ReplicationFactorSchema,
    ACTIVITIES_TOPIC_MIN_ISR: MinIsrSchema,
    ...ACTIVITY_TYPES_ENV,
    DLQ_TOPIC: topicNameSchema(DEFAULT_TOPICS.deadLetter),
    // The broker's group.min.session.timeout.ms (6 s by default) is the floor.
    CONSUMER_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).default(30_000),
    CONSUMER_HEARTBEAT_INTERVAL_MS: positiveInt(3_000),
    WRITE_CHUNK_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
    PARTITIONS_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(6),
    MONGO_URL: MongoUrlSchema,
    MONGO_DB: MongoDbSchema,
    MONGO_SERVER_SELECTION_TIMEOUT_MS: positiveInt(5_000),
    STORE_RETRY_INITIAL_MS: positiveInt(200),
    STORE_RETRY_MAX_MS: positiveInt(10_000),
    STALL_AFTER_MS: StallAfterMsSchema,
    DEAD_LETTER_INDEXER_GROUP: z.string().min(1).default('dead-letter-indexer'),
    MAX_REPLAYS: z.coerce.number().int().min(0).default(DEFAULT_MAX_REPLAYS),
    RETENTION_DAYS: z.coerce
      .number()
      .int()
      .min(0)
      .max(100 * 365)
      .default(0),
    RETENTION_SWEEP_INTERVAL_MS: positiveInt(60_000),
    RETENTION_SWEEP_CHUNK: z.coerce.number().int().min(1).max(100_000).default(1_000),
    TOPIC_RETENTION_HOURS: TopicRetentionHoursSchema,
    ERASURE_HASH_KEY: ErasureHashKeySchema,
    /** FerretDB's own PostgreSQL database: the stats rollups live there (FerretDB's updates are not atomic). */
    FERRETDB_POSTGRES_URL: z.preprocess(
      (value) => (value === '' ? undefined : value),
      z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' }).optional(),
    ),
    WORKER_PORT: z.coerce.number().int().min(0).max(65_535).default(3001),
    LOG_LEVEL: LogLevelSchema,
    LOG_FORMAT: LogFormatSchema,
  })
  .refine((c) => c.CONSUMER_HEARTBEAT_INTERVAL_MS < c.CONSUMER_SESSION_TIMEOUT_MS / 3, {
    path: ['CONSUMER_HEARTBEAT_INTERVAL_MS'],
    message: 'must be less than a third of CONSUMER_SESSION_TIMEOUT_MS',
  })
  .refine((c) => c.STORE_RETRY_INITIAL_MS <= c.STORE_RETRY_MAX_MS, {
    path: ['STORE_RETRY_MAX_MS'],
    message: 'must be at least STORE_RETRY_INITIAL_MS',
  });

export type WorkerConfig = z.output<typeof WorkerConfigSchema>;
