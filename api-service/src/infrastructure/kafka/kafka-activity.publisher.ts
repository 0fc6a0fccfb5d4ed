import { encodeActivityMessage, type ActivityEvent, type OutgoingMessage } from '@uap/shared/contract';
import type { Logger } from '@uap/shared/runtime';
import {
  CompressionTypes,
  Partitioners,
  type Admin,
  type ICustomPartitioner,
  type Kafka,
  type PartitionMetadata,
  type Producer,
  type RecordMetadata,
} from 'kafkajs';
import { DomainError } from '../../domain/domain-error';
import type {
  ActivityPublisher,
  PublishedPosition,
  PublishMeta,
} from '../../application/ports/activity-publisher.port';
import type { MessagePublisher } from '../../application/ports/message-publisher.port';

export interface KafkaPublisherConfig {
  topic: string;
  /** Upper bound for one publish, queueing and reconnect included; past it the client gets 503 + Retry-After. */
  publishTimeoutMs: number;
  /** Publishes waiting together are sent as one produce request up to this many bytes of messages. */
  maxGroupBytes?: number;
}

class PublishTimeoutError extends Error {
  override readonly name = 'PublishTimeoutError';
}

type PartitionedMessage = OutgoingMessage & { partition: number };

interface Pending {
  messages: PartitionedMessage[];
  bytes: number;
  settle: (result: PublishedPosition[] | Error) => void;
}

const DEFAULT_MAX_GROUP_BYTES = 900 * 1024;
const COMPRESS_FROM_BYTES = 256 * 1024;

/**
 * Publishes activities with an idempotent producer and acks=all: a 202 means every in-sync replica
 * has the events.
 *
 * Only one send is in flight at a time, and kafkajs retries it until the broker answers. That is
 * what keeps the idempotent producer honest: kafkajs hands a failed send's sequence numbers to the
 * next send, so a send that was written but never acknowledged, followed by a different send of the
 * same size, would be taken by the broker for a duplicate and silently dropped (after we said 202).
 * Publishes that arrive meanwhile wait and go out together in the next send (group commit).
 *
 * Every publish is bounded by `publishTimeoutMs`. One still waiting is dropped from the queue; one
 * already in flight cannot be cancelled and may land later. Both are safe: the client heard 503,
 * retries with the same eventIds, and the worker deduplicates by eventId. What cannot happen is a
 * 202 for an event that is not on the topic.
 *
 * Every message gets its partition here, from the same Java-compatible murmur2 partitioner kafkajs
 * would apply, so the broker's acknowledgement (a base offset per partition) tells each event's exact
 * offset: message i of a partition in one send has offset baseOffset + i. That is what receipts vouch for.
 * The partition depends on the key and the partition count only, never on which broker leads it.
 *
 * A send that fails for good, or comes back without an acknowledgement for every partition it carried,
 * retires its producer: the next send goes out from a new one (a new producer id, sequences from 0).
 * On a cluster, kafkajs 2.2 loses track of its sequence numbers around leader changes: when one
 * partition of a broker's request fails it rewinds the sequences of all of them, although the broker
 * wrote the others; and a partition whose leader moved to a broker that had already answered is never
 * resent, the send resolving without it. A rewound sequence makes the broker refuse every later batch
 * of that partition as out of order (ingest stuck on 503), or take a later batch of the same size for a
 * duplicate and drop it silently after a 202. What such a send did write is deduplicated by eventId.
 */
export class KafkaActivityPublisher implements ActivityPublisher, MessagePublisher {
  private producer: Producer;
  /** The last send failed or came back incomplete: its producer's sequence numbers cannot be trusted. */
  private producerSpoiled = false;
  private readonly admin: Admin;
  private readonly kafka: Kafka;
  private readonly log: Logger;
  private readonly maxGroupBytes: number;
  private readonly queue: Pending[] = [];
  private sending = false;
  private brokerCheck: Promise<boolean> | undefined;
  private connecting: Promise<void> | undefined;
  private connected = false;
  private closing = false;
  private readonly partitioner: ReturnType<ICustomPartitioner> = Partitioners.DefaultPartitioner();
  private partitions: PartitionMetadata[] | undefined;

  constructor(
    private readonly config: KafkaPublisherConfig,
    deps: { kafka: Kafka; logger: Logger },
  ) {
    this.log = deps.logger.child({ component: 'kafka-activity-publisher' });
    this.maxGroupBytes = config.maxGroupBytes ?? DEFAULT_MAX_GROUP_BYTES;
    this.kafka = deps.kafka;
    this.producer = this.createProducer();
    this.admin = deps.kafka.admin();
  }

  private createProducer(): Producer {
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // Java-compatible murmur2 on the key: a userId lands on the same partition as with other clients.
      createPartitioner: Partitioners.DefaultPartitioner,
      // Unbounded retries (kafkajs' own default for idempotence) with a short cap between attempts,
      // so the send in flight lands soon after the broker is back.
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 2_000 },
    });
    producer.on(producer.events.CONNECT, () => {
      if (this.producer === producer) this.connected = true;
    });
    producer.on(producer.events.DISCONNECT, () => {
      if (this.producer === producer) this.connected = false;
    });
    return producer;
  }

  /** Only between sends (there is one in flight at most), so nothing of the old producer is still pending. */
  private async replaceProducer(): Promise<void> {
    const retired = this.producer;
    this.producer = this.createProducer();
    this.connected = false;
    this.producerSpoiled = false;
    this.log.warn('the last send failed or came back incomplete; sending from a new producer (new producer id)');
    await retired.disconnect().catch(() => undefined);
  }

  /** The producer has a session with the cluster (it may still have lost the broker since). */
  isConnected(): boolean {
    return this.connected;
  }

  /**
   * Readiness: the producer is connected and a broker answers a metadata request within `timeoutMs`.
   * The connected flag alone stays true while the broker is gone; the round trip notices. Probes
   * share one in-flight check so a dead broker cannot make them pile up.
   */
  async isReady(timeoutMs: number): Promise<boolean> {
    if (!this.connected || this.closing) return false;
    this.brokerCheck ??= (async () => {
      await this.admin.connect();
      await this.admin.describeCluster();
      return true;
    })()
      .catch(() => false)
      .finally(() => {
        this.brokerCheck = undefined;
      });
    return withTimeout(this.brokerCheck, timeoutMs).catch(() => false);
  }

  /** Connects (once, shared by concurrent callers). */
  async connect(): Promise<void> {
    if (this.connected) return;
    this.connecting ??= this.producer.connect().finally(() => {
      this.connecting = undefined;
    });
    await this.connecting;
  }

  async publish(events: ActivityEvent[], meta: PublishMeta): Promise<PublishedPosition[]> {
    return this.publishMessages(
      events.map((event) => encodeActivityMessage(event, meta.requestId)),
      meta,
    );
  }

  /** Prepared messages (replays keep their original key and headers), through the same single send in flight. */
  async publishMessages(
    messages: OutgoingMessage[],
    meta: PublishMeta = { requestId: 'replay' },
  ): Promise<PublishedPosition[]> {
    if (this.closing) {
      throw new DomainError('SERVICE_UNAVAILABLE', 'The service is shutting down; retry shortly', { retriable: true });
    }
    let entry!: Pending;
    const done = new Promise<PublishedPosition[]>((resolve, reject) => {
      entry = {
        messages: [],
        bytes: messages.reduce((sum, m) => sum + Buffer.byteLength(m.value) + Buffer.byteLength(m.key), 0),
        settle: (result) => (result instanceof Error ? reject(result) : resolve(result)),
      };
    });
    let abandoned = false;
    const work = (async () => {
      // Inside the time budget: the partition count is fetched once (and again after a failed send).
      const partitionMetadata = await this.partitionMetadata();
      entry.messages = messages.map((message) => ({
        ...message,
        partition: this.partitioner({ topic: this.config.topic, partitionMetadata, message }),
      }));
      if (abandoned) return [];
      this.queue.push(entry);
      void this.drain();
      return done;
    })();
    try {
      return await withTimeout(work, this.config.publishTimeoutMs);
    } catch (err) {
      abandoned = true;
      const waiting = this.queue.indexOf(entry);
      if (waiting >= 0) this.queue.splice(waiting, 1);
      throw this.toDomainError(err, messages.length, meta);
    }
  }

  private async partitionMetadata(): Promise<PartitionMetadata[]> {
    if (this.partitions === undefined) {
      await this.admin.connect();
      const { topics } = await this.admin.fetchTopicMetadata({ topics: [this.config.topic] });
      const partitions = topics[0]?.partitions ?? [];
      if (partitions.length === 0) throw new Error(`topic ${this.config.topic} has no partitions`);
      this.partitions = partitions;
    }
    return this.partitions;
  }

  async disconnect(): Promise<void> {
    this.closing = true;
    await this.admin.disconnect();
    await this.producer.disconnect();
  }

  /** Sends the queue one group at a time; the only caller of producer.send. */
  private async drain(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.length > 0) await this.sendGroup(this.takeGroup());
    } finally {
      this.sending = false;
    }
  }

  private takeGroup(): Pending[] {
    const group = [this.queue.shift()!];
    let bytes = group[0]!.bytes;
    while (this.queue.length > 0 && bytes + this.queue[0]!.bytes <= this.maxGroupBytes) {
      const next = this.queue.shift()!;
      bytes += next.bytes;
      group.push(next);
    }
    return group;
  }

  private async sendGroup(group: Pending[]): Promise<void> {
    try {
      if (this.producerSpoiled) await this.replaceProducer();
      // A producer that lost (or never had) its session reconnects here, inside the callers' time budget.
      await this.connect();
      // GZIP keeps a 1 MB batch of one user (one partition, one record batch) below the broker's
      // default 1 MB message.max.bytes; kafkajs consumers decompress it transparently. Small groups
      // go uncompressed: there zlib costs more CPU and latency than it saves on the wire.
      const bytes = group.reduce((sum, p) => sum + p.bytes, 0);
      let acks: RecordMetadata[];
      try {
        acks = await this.producer.send({
          topic: this.config.topic,
          acks: -1,
          compression: bytes >= COMPRESS_FROM_BYTES ? CompressionTypes.GZIP : CompressionTypes.None,
          messages: group.flatMap((p) => p.messages),
        });
      } catch (err) {
        this.producerSpoiled = true;
        throw err;
      }
      const positions = this.positionsOf(group, acks);
      group.forEach((p, i) => p.settle(positions[i]!));
    } catch (err) {
      // Too large together is not too large alone: one request's oversize must not fail its neighbours.
      if (isTooLarge(err) && group.length > 1) {
        for (const p of group) await this.sendGroup([p]);
        return;
      }
      // The topic may have grown: the next send partitions with fresh metadata.
      this.partitions = undefined;
      for (const p of group) p.settle(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Each message's offset from its partition's base offset; every partition of the send must be acknowledged. */
  private positionsOf(group: Pending[], acks: RecordMetadata[]): PublishedPosition[][] {
    const next = new Map(acks.map((ack) => [ack.partition, Number(ack.baseOffset)]));
    const missing = [...new Set(group.flatMap((p) => p.messages.map((m) => m.partition)))].filter((n) => !next.has(n));
    if (missing.length > 0) {
      this.producerSpoiled = true;
      throw new Error(`no acknowledgement for partition(s) ${missing.join(', ')}`);
    }
    return group.map((p) =>
      p.messages.map((m) => {
        const offset = next.get(m.partition)!;
        next.set(m.partition, offset + 1);
        return { topic: this.config.topic, partition: m.partition, offset };
      }),
    );
  }

  private toDomainError(err: unknown, count: number, meta: PublishMeta): DomainError {
    if (isTooLarge(err)) {
      return new DomainError('PAYLOAD_TOO_LARGE', 'The events are too large for the stream; send smaller batches', {
        cause: err,
      });
    }
    this.log.warn(
      { err, events: count, requestId: meta.requestId, timedOut: err instanceof PublishTimeoutError },
      'publish failed; answering 503',
    );
    return new DomainError('SERVICE_UNAVAILABLE', 'The event stream is unavailable; retry with the same eventIds', {
      retriable: true,
      cause: err,
    });
  }
}

function isTooLarge(err: unknown): boolean {
  const type = (err as { type?: unknown } | null)?.type;
  return type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE';
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  // The abandoned work must not surface later as an unhandled rejection (which exits the process).
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PublishTimeoutError(`no broker acknowledgement within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
