import {
  activityTypesTopic,
  compactedLogTopic,
  ensureReplicatedTopics,
  type Logger,
  type ReplicationSettings,
  type TopicReplication,
} from '@uap/shared/runtime';
import type { Kafka } from 'kafkajs';

export interface ActivitiesTopicConfig {
  topic: string;
  partitions: number;
  replication: ReplicationSettings;
  retentionHours: number;
  /** The activity type registry's topic, created beside it with the same replication. */
  registryTopic?: string;
  /** The access log's topic (runtime keys, sources): compacted, one partition, like the registry's. */
  accessTopic?: string;
}

/**
 * Creates the activities topic (and the registry's and the access log's) through the admin client when it is
 * missing (brokers run with auto-creation off). The partition count caps consumer parallelism and the replication
 * decides what a 202 survives, so both are set here, not left to broker defaults; an existing topic is
 * never altered (a weaker one is warned about).
 */
export async function ensureActivitiesTopic(
  kafka: Kafka,
  config: ActivitiesTopicConfig,
  logger: Logger,
): Promise<TopicReplication> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { created, replication } = await ensureReplicatedTopics(
      admin,
      [
        {
          topic: config.topic,
          numPartitions: config.partitions,
          configEntries: [{ name: 'retention.ms', value: String(config.retentionHours * 3_600_000) }],
        },
        ...(config.registryTopic === undefined ? [] : [activityTypesTopic(config.registryTopic)]),
        ...(config.accessTopic === undefined ? [] : [compactedLogTopic(config.accessTopic)]),
      ],
      config.replication,
      logger,
    );
    if (created.length > 0) logger.info({ topics: created, partitions: config.partitions }, 'created topics');
    return replication;
  } finally {
    await admin.disconnect();
  }
}
