import { ensureTopics, type Logger } from '@uap/shared';
import type { Kafka } from 'kafkajs';

export interface ActivitiesTopicConfig {
  topic: string;
  partitions: number;
  /** -1 lets the broker apply its default.replication.factor. */
  replicationFactor: number;
  retentionHours: number;
}

/**
 * Creates the activities topic through the admin client when it is missing (brokers run with
 * auto-creation off). The partition count caps consumer parallelism, so it is set here, not left to
 * broker defaults; an existing topic is never altered.
 */
export async function ensureActivitiesTopic(kafka: Kafka, config: ActivitiesTopicConfig, logger: Logger) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const created = await ensureTopics(admin, [
      {
        topic: config.topic,
        numPartitions: config.partitions,
        replicationFactor: config.replicationFactor,
        configEntries: [{ name: 'retention.ms', value: String(config.retentionHours * 3_600_000) }],
      },
    ]);
    if (created.length > 0) logger.info({ topics: created, partitions: config.partitions }, 'created topics');
  } finally {
    await admin.disconnect();
  }
}
