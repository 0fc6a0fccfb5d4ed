import type { PartitionOffsetObservation } from '@uap/shared/runtime';
import { ConfigResourceTypes, Kafka, logLevel, type Admin, type IHeaders } from 'kafkajs';

function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value[0] : value)?.toString();
}

/** The suite's own view of the chaos broker: lag, topic sizes and dead letters, read from outside the services. */
export class KafkaInspector {
  readonly kafka: Kafka;

  constructor(brokers: string) {
    this.kafka = new Kafka({
      clientId: 'chaos-suite',
      brokers: brokers.split(','),
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3_000,
      retry: { retries: 3, initialRetryTime: 200 },
    });
  }

  private async withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      return await fn(admin);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  createTopic(topic: string, numPartitions: number): Promise<void> {
    return this.withAdmin(async (admin) => {
      await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
    });
  }

  /**
   * Messages on the topic not yet committed by the group, summed over partitions; a partition the group
   * never committed counts from its start. A sum of 0 really means every partition is done (see groupOffsets).
   */
  async consumerLag(groupId: string, topic: string): Promise<number> {
    return (await this.groupOffsets(groupId, topic)).reduce((lag, p) => lag + p.lag, 0);
  }

  /**
   * Per partition, the group's committed offset (-1 if it never committed there) and the messages past it.
   * Commits are read before the end offsets, so under load a partition's lag is never negative.
   */
  groupOffsets(groupId: string, topic: string): Promise<PartitionOffsetObservation[]> {
    return this.withAdmin(async (admin) => {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const ends = await admin.fetchTopicOffsets(topic);
      return partitionLags(committed?.partitions ?? [], ends);
    });
  }

  /** Messages on the topic (no compaction, no deletion, no transactions in these tests: high - low is exact). */
  messageCount(topic: string): Promise<number> {
    return this.withAdmin(async (admin) => {
      const topics = await admin.listTopics();
      if (!topics.includes(topic)) return 0;
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
    });
  }

  /** Per partition: its leader (node id, -1 during an election), replicas, in-sync replicas and message count. */
  partitions(topic: string): Promise<PartitionState[]> {
    return this.withAdmin(async (admin) => {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const offsets = await admin.fetchTopicOffsets(topic);
      const sizes = new Map(offsets.map((o) => [o.partition, Number(o.high) - Number(o.low)]));
      return (topics[0]?.partitions ?? [])
        .map((p) => ({
          partition: p.partitionId,
          leader: p.leader,
          replicas: p.replicas,
          isr: p.isr,
          messages: sizes.get(p.partitionId) ?? 0,
        }))
        .sort((a, b) => a.partition - b.partition);
    });
  }

  /** What the topic was created with: the fewest replicas of any partition, and its min.insync.replicas. */
  replication(topic: string): Promise<{ replicationFactor: number; minInsyncReplicas: number | undefined }> {
    return this.withAdmin(async (admin) => {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const { resources } = await admin.describeConfigs({
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] }],
        includeSynonyms: false,
      });
      const value = resources[0]?.configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue;
      return {
        replicationFactor: Math.min(...(topics[0]?.partitions ?? []).map((p) => p.replicas.length)),
        minInsyncReplicas: value === undefined ? undefined : Number(value),
      };
    });
  }

  /** Reads every letter now on a dead-letter topic, bounded by `timeoutMs`. */
  async readDeadLetters(topic: string, timeoutMs: number): Promise<DeadLetterSummary[]> {
    const consumer = this.kafka.consumer({ groupId: `chaos-dlq-reader-${Date.now()}`, sessionTimeout: 6_000 });
    const letters: DeadLetterSummary[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      const total = await this.messageCount(topic);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        if (total === 0) return done();
        void consumer.run({
          eachMessage: async ({ message }) => {
            letters.push({
              reason: headerString(message.headers, 'dlq-reason'),
              sourceTopic: headerString(message.headers, 'source-topic'),
              eventId: eventIdOf(message.value),
            });
            if (letters.length >= total) done();
          },
        });
      });
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
    return letters;
  }
}

export interface PartitionState {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  messages: number;
}

/** Lag per partition from the group's commits and the topic's offsets; a partition never committed counts from its start. */
export function partitionLags(
  committed: ReadonlyArray<{ partition: number; offset: string }>,
  ends: ReadonlyArray<{ partition: number; low: string; high: string }>,
): PartitionOffsetObservation[] {
  const committedBy = new Map(committed.map((p) => [p.partition, Number(p.offset)]));
  return ends
    .map((p) => {
      const done = committedBy.get(p.partition) ?? -1;
      return {
        partition: p.partition,
        committedOffset: done >= 0 ? done : -1,
        lag: Math.max(0, Number(p.high) - (done >= 0 ? done : Number(p.low))),
      };
    })
    .sort((a, b) => a.partition - b.partition);
}

/** Partitions that have a leader and every replica in sync. */
export function fullyReplicated(partitions: readonly PartitionState[]): boolean {
  return partitions.length > 0 && partitions.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length);
}

/**
 * The broker to kill in a leader-failover test: the leader of the partition holding the most messages
 * (ties: the lowest partition), with every partition it leads.
 */
export function busiestLeader(partitions: readonly PartitionState[]): { node: number; leads: number[] } {
  const busiest = [...partitions]
    .filter((p) => p.leader >= 0)
    .sort((a, b) => b.messages - a.messages || a.partition - b.partition)[0];
  if (!busiest) throw new Error('no partition has a leader');
  return { node: busiest.leader, leads: partitions.filter((p) => p.leader === busiest.leader).map((p) => p.partition) };
}

export interface DeadLetterSummary {
  reason?: string;
  sourceTopic?: string;
  /** When the letter's value parses far enough to have one. */
  eventId?: string;
}

function eventIdOf(value: Buffer | null): string | undefined {
  try {
    const parsed = JSON.parse(value?.toString('utf8') ?? 'null') as { eventId?: unknown } | null;
    return typeof parsed?.eventId === 'string' ? parsed.eventId : undefined;
  } catch {
    return undefined;
  }
}
