import { ConfigResourceTypes, type Admin, type ITopicConfig } from 'kafkajs';
import { z } from 'zod';
import type { Logger } from '../logging/create-logger';
import { ensureTopics } from './kafka-client';

/**
 * `…_REPLICATION_FACTOR`: `auto` (min(3, brokers in the cluster)), `-1` (the broker's
 * default.replication.factor) or a count.
 */
export const ReplicationFactorSchema = z
  .union([
    z.literal('auto'),
    z.coerce
      .number()
      .int()
      .min(-1)
      .max(10)
      .refine((n) => n !== 0, 'must not be 0'),
  ])
  .default('auto');

/** `…_MIN_ISR`: `auto` (2 when the replication factor is 3 or more, else 1) or a count. */
export const MinIsrSchema = z.union([z.literal('auto'), z.coerce.number().int().min(1).max(10)]).default('auto');

export interface ReplicationSettings {
  replicationFactor: z.output<typeof ReplicationFactorSchema>;
  minInsyncReplicas: z.output<typeof MinIsrSchema>;
}

export interface TopicReplication {
  /** -1: the broker's default. */
  replicationFactor: number;
  /** undefined: the broker's default (min.insync.replicas, 1 unless set). */
  minInsyncReplicas: number | undefined;
  /** Brokers the cluster reported when this was decided. */
  brokers: number;
}

export class ReplicationConfigError extends Error {
  override readonly name = 'ReplicationConfigError';
}

/**
 * What replication the topics get. With acks=all a write is acknowledged once min.insync.replicas
 * replicas have it, so RF 3 / min ISR 2 survives the loss of any one broker without losing an
 * acknowledged event and keeps accepting writes; below min ISR the broker refuses writes
 * (NOT_ENOUGH_REPLICAS), which the api answers with 503 instead of a 202 it could not keep.
 */
export async function resolveReplication(admin: Admin, settings: ReplicationSettings): Promise<TopicReplication> {
  const { brokers } = await admin.describeCluster();
  const count = brokers.length;
  const replicationFactor = settings.replicationFactor === 'auto' ? Math.min(3, count) : settings.replicationFactor;
  const minInsyncReplicas =
    settings.minInsyncReplicas !== 'auto'
      ? settings.minInsyncReplicas
      : replicationFactor === -1
        ? undefined
        : replicationFactor >= 3
          ? 2
          : 1;
  if (replicationFactor > count) {
    throw new ReplicationConfigError(
      `replication factor ${replicationFactor} is configured but the cluster has ${count} broker(s); ` +
        'start more brokers or lower ACTIVITIES_TOPIC_REPLICATION_FACTOR (auto = min(3, brokers))',
    );
  }
  if (minInsyncReplicas !== undefined && replicationFactor !== -1 && minInsyncReplicas > replicationFactor) {
    throw new ReplicationConfigError(
      `min.insync.replicas ${minInsyncReplicas} exceeds the replication factor ${replicationFactor}: ` +
        'no write could ever be acknowledged; lower ACTIVITIES_TOPIC_MIN_ISR',
    );
  }
  return { replicationFactor, minInsyncReplicas, brokers: count };
}

export interface ReplicationShortfall {
  topic: string;
  /** The smallest replica count over the topic's partitions. */
  replicationFactor: number;
  minInsyncReplicas: number | undefined;
}

/** Existing topics replicated less than `wanted` says (fewer replicas, or a lower min.insync.replicas). */
export async function replicationShortfalls(
  admin: Admin,
  topics: string[],
  wanted: TopicReplication,
): Promise<ReplicationShortfall[]> {
  if (topics.length === 0 || wanted.replicationFactor === -1) return [];
  const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
  const { resources } = await admin.describeConfigs({
    resources: topics.map((name) => ({
      type: ConfigResourceTypes.TOPIC,
      name,
      configNames: ['min.insync.replicas'],
    })),
    includeSynonyms: false,
  });
  const shortfalls: ReplicationShortfall[] = [];
  for (const topic of metadata) {
    const replicationFactor = Math.min(...topic.partitions.map((p) => p.replicas.length));
    const value = resources
      .find((r) => r.resourceName === topic.name)
      ?.configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue;
    const minInsyncReplicas = value === undefined ? undefined : Number(value);
    const fewerReplicas = replicationFactor < wanted.replicationFactor;
    const weakerIsr = wanted.minInsyncReplicas !== undefined && (minInsyncReplicas ?? 1) < wanted.minInsyncReplicas;
    if (fewerReplicas || weakerIsr) shortfalls.push({ topic: topic.name, replicationFactor, minInsyncReplicas });
  }
  return shortfalls;
}

/**
 * Creates the missing topics with the resolved replication (min.insync.replicas as a topic config, so
 * it holds whatever the brokers' default) and warns about existing ones that are replicated less:
 * they are never altered here (reassigning replicas moves data and is an operator's decision).
 */
export async function ensureReplicatedTopics(
  admin: Admin,
  topics: ITopicConfig[],
  settings: ReplicationSettings,
  logger: Logger,
): Promise<{ created: string[]; replication: TopicReplication }> {
  const replication = await resolveReplication(admin, settings);
  const isr =
    replication.minInsyncReplicas === undefined
      ? []
      : [{ name: 'min.insync.replicas', value: String(replication.minInsyncReplicas) }];
  const created = await ensureTopics(
    admin,
    topics.map((t) => ({
      ...t,
      replicationFactor: replication.replicationFactor,
      configEntries: [...(t.configEntries ?? []), ...isr],
    })),
  );
  const existing = topics.map((t) => t.topic).filter((t) => !created.includes(t));
  for (const s of await replicationShortfalls(admin, existing, replication)) {
    logger.warn(
      {
        topic: s.topic,
        replicationFactor: s.replicationFactor,
        minInsyncReplicas: s.minInsyncReplicas ?? 'broker default',
        configured: {
          replicationFactor: replication.replicationFactor,
          minInsyncReplicas: replication.minInsyncReplicas,
        },
        brokers: replication.brokers,
      },
      'existing topic is replicated less than configured, and is left as it is: losing a broker can lose accepted ' +
        'events or stop ingest. Raise it with kafka-reassign-partitions.sh and kafka-configs.sh (docs/operations.md: Production topology)',
    );
  }
  logger.info(
    {
      brokers: replication.brokers,
      replicationFactor: replication.replicationFactor === -1 ? 'broker default' : replication.replicationFactor,
      minInsyncReplicas: replication.minInsyncReplicas ?? 'broker default',
      topics: topics.map((t) => t.topic),
      created,
    },
    'topic replication',
  );
  return { created, replication };
}
