import { Kafka, logLevel, type Admin, type ITopicConfig, type LogEntry } from 'kafkajs';
import type { Logger } from '../logging/create-logger';

export interface KafkaClientOptions {
  clientId: string;
  brokers: string[];
  logger: Logger;
  connectionTimeoutMs?: number;
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * kafkajs logs every error code a broker answers with at error level, before its retry logic or the
 * caller has decided what the answer means: a topic that another instance created a moment earlier
 * ("Topic creation errors", which createTopics then treats as success), a coordinator still loading,
 * a leader election. The caller receives the final outcome and logs a real failure itself, so these
 * per-response lines go one level down (the topic race, which is not a failure at all, to debug).
 */
export function kafkaLogLevel(level: number, message: string, entry: Record<string, unknown>) {
  const mapped = LEVELS[level] ?? 'info';
  if (mapped !== 'error' || !message.startsWith('Response ')) return mapped;
  return entry['error'] === 'Topic creation errors' ? 'debug' : 'warn';
}

/** A kafkajs client whose own logs go through pino, so broker trouble shows up in the service log. */
export function createKafka(options: KafkaClientOptions): Kafka {
  const log = options.logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        log[kafkaLogLevel(level, message, rest)](rest, message);
      },
  });
}

/**
 * Creates topics that are missing; the broker runs with auto-creation off, so the service that
 * owns a topic creates it. Existing topics are left as they are (partitions are never shrunk).
 */
export async function ensureTopics(admin: Admin, topics: ITopicConfig[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return [];
  try {
    await admin.createTopics({ topics: missing, waitForLeaders: true });
  } catch (err) {
    // Another instance may have created it between listTopics and createTopics.
    if ((err as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw err;
  }
  return missing.map((t) => t.topic);
}
