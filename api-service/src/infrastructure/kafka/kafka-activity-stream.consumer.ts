import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { decodeActivityMessage, type Logger } from '@uap/shared';
import type { Consumer, Kafka } from 'kafkajs';
import type { ActivityStreamHub } from '../../application/activity-stream.hub';

export interface StreamConsumerConfig {
  topic: string;
  /** Each API instance reads the whole topic in a group of its own: `<prefix>-<host>-<pid>-<random>`. */
  groupPrefix: string;
}

/**
 * Feeds the live stream: reads the activities topic from its end in a consumer group of this process
 * alone and commits nothing (the stream is live, not a delivery). It starts at the end offsets it read
 * before joining and seeks back to the hub's position after every (re)join, so the hub sees every
 * event from its start on, with no gap a resume could fall into. Messages that are not valid events
 * are skipped: the worker dead-letters them.
 */
export class KafkaActivityStreamConsumer {
  private readonly consumer: Consumer;
  private readonly log: Logger;

  constructor(
    private readonly config: StreamConsumerConfig,
    private readonly deps: { kafka: Kafka; hub: ActivityStreamHub; logger: Logger },
  ) {
    this.log = deps.logger.child({ component: 'activity-stream-consumer' });
    this.consumer = deps.kafka.consumer({
      groupId: `${config.groupPrefix}-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
      allowAutoTopicCreation: false,
    });
  }

  async start(): Promise<void> {
    const admin = this.deps.kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(this.config.topic);
      this.deps.hub.start(new Map(ends.map((p) => [p.partition, Number(p.high)])));
    } finally {
      await admin.disconnect();
    }
    const { consumer } = this;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const [partition, offset] of this.deps.hub.currentPosition()) {
        consumer.seek({ topic: this.config.topic, partition, offset: String(offset) });
      }
    });
    consumer.on(consumer.events.CRASH, ({ payload }) =>
      this.log.error({ err: payload.error, restart: payload.restart }, 'stream consumer crashed'),
    );
    await consumer.connect();
    await consumer.subscribe({ topics: [this.config.topic], fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const decoded = decodeActivityMessage(message.value);
          if (decoded.ok) this.deps.hub.publish(batch.partition, Number(message.offset), decoded.event);
        }
      },
    });
    this.log.info({ topic: this.config.topic }, 'live stream consumer started at the end of the topic');
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
