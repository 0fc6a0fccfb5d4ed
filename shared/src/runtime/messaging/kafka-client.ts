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
  if (mapped !== 'error') return mapped;
  if (message.startsWith('Response ')) return entry['error'] === 'Topic creation errors' ? 'debug' : 'warn';
  // A consumer's "Crash: …" and "Restarting the consumer in …" are logged before kafkajs knows whether it
  // restarts; logConsumerCrash logs the outcome from the CRASH event, at error when nothing restarts.
  return message.startsWith('Crash: ') || message.startsWith('Restarting the consumer') ? 'warn' : 'error';
}

/**
 * Logs a consumer's CRASH event by its outcome. kafkajs restarts a consumer after a retriable error (a
 * coordinator still loading, a leader moving): that heals itself and is a warning, and one that keeps
 * failing shows in the service's readiness. A crash without a restart leaves the consumer stopped: an error.
 */
export function logConsumerCrash(log: Logger, payload: { error: Error; restart: boolean }, message: string): void {
  const level = payload.restart ? 'warn' : 'error';
  log[level]({ err: payload.error, restart: payload.restart }, message);
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
