import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { decodeActivityMessage } from '@uap/shared/contract';
import { logConsumerCrash, type Logger } from '@uap/shared/runtime';
import type { Consumer, Kafka } from 'kafkajs';
import type { ActivityStreamHub } from '../../application/activity-stream.hub';
import type { StreamFeed } from '../../application/ports/stream-feed.port';
import { DomainError } from '../../domain/domain-error';
import type { StreamPosition } from '../../domain/stream-position';

export interface StreamConsumerConfig {
  topic: string;
  /** Each start reads the whole topic in a consumer group of its own: `<prefix>-<host>-<pid>-<random>`. */
  groupPrefix: string;
}

/**
 * Feeds the live stream: reads the activities topic in a consumer group of this process alone and commits
 * nothing (the stream is live, not a delivery). Each start fixes the hub's position first (a resume position,
 * kept within the offsets the topic still holds, or the end) and seeks back to the hub's position after
 * every (re)join, so the hub sees every event from there on, with no gap a resume could fall into. Messages
 * that are not valid events are skipped: the worker dead-letters them.
 */
export class KafkaActivityStreamConsumer implements StreamFeed {
  private consumer: Consumer | undefined;
  private readonly log: Logger;

  constructor(
    private readonly config: StreamConsumerConfig,
    private readonly deps: { kafka: Kafka; hub: ActivityStreamHub; logger: Logger },
  ) {
    this.log = deps.logger.child({ component: 'activity-stream-consumer' });
  }

  async start(from?: StreamPosition): Promise<void> {
    const { hub } = this.deps;
    try {
      hub.start(await this.startPosition(from));
      const consumer = this.deps.kafka.consumer({
        groupId: `${this.config.groupPrefix}-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
        allowAutoTopicCreation: false,
      });
      this.consumer = consumer;
      consumer.on(consumer.events.GROUP_JOIN, () => {
        for (const [partition, offset] of hub.currentPosition()) {
          consumer.seek({ topic: this.config.topic, partition, offset: String(offset) });
        }
      });
      consumer.on(consumer.events.CRASH, ({ payload }) =>
        logConsumerCrash(this.log, payload, 'stream consumer crashed'),
      );
      await consumer.connect();
      await consumer.subscribe({ topics: [this.config.topic], fromBeginning: false });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            const decoded = decodeActivityMessage(message.value);
            if (decoded.ok) hub.publish(batch.partition, Number(message.offset), decoded.event);
          }
        },
      });
    } catch (err) {
      await this.stop().catch(() => undefined);
      throw new DomainError('SERVICE_UNAVAILABLE', 'the live stream cannot read the topic now', {
        retriable: true,
        cause: err,
      });
    }
    this.log.info({ topic: this.config.topic, resume: from !== undefined }, 'live stream consumer started');
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    this.deps.hub.clear();
    await consumer?.disconnect();
  }

  /**
   * Per partition: the resume position when it names the partition, kept within [log start, end] (one older
   * than the log start is then answered with `reset` by the hub), else the end: nothing is replayed from the
   * log start for a partition the caller never saw.
   */
  private async startPosition(from?: StreamPosition): Promise<Map<number, number>> {
    const admin = this.deps.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(this.config.topic);
      return new Map(
        offsets.map(({ partition, low, high }) => {
          const wanted = from?.get(partition);
          const end = Number(high);
          return [partition, wanted === undefined ? end : Math.min(end, Math.max(Number(low), wanted))];
        }),
      );
    } finally {
      await admin.disconnect();
    }
  }
}
