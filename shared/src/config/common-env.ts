import { z } from 'zod';
import { DEFAULT_TOPICS } from '../messaging/topics';
import { commaList } from './parse-env';

/** Variables both services read, validated the same way in both. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const LogLevelSchema = z.enum(LOG_LEVELS).default('info');

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
