import { gzipSync } from 'node:zlib';
import { decodeActivityMessage, type ActivityEvent } from '@uap/shared/contract';
import { createKafka } from '@uap/shared/runtime';
import type { Admin, Kafka } from 'kafkajs';
import pino from 'pino';
import request from 'supertest';
import { createTopic, requiredEnv, testKafka, uniqueName } from '../../../../../test/support/integration';
import { createApp } from '../../../app';
import { IngestActivityUseCase } from '../../../application/ingest-activity.use-case';
import { IngestSegmentUseCase } from '../../../application/ingest-segment.use-case';
import { eventIdOfMessageId } from '../../../domain/segment/segment-event-id';
import { KafkaActivityPublisher } from '../../../infrastructure/kafka/kafka-activity.publisher';
import { TEST_APP_CONFIG, TEST_INGEST_CONFIG, TEST_RECEIPTS } from '../../../testing/test-app';

const logger = pino({ level: 'silent' });
const READ_TIMEOUT_MS = 20_000;

/** Reads the topic from the start until `count` messages arrived, or fails after a bounded wait. */
async function readEvents(
  kafka: Kafka,
  topic: string,
  count: number,
): Promise<Array<{ key: string; event: ActivityEvent }>> {
  const consumer = kafka.consumer({ groupId: uniqueName('segment-int-reader') });
  const read: Array<{ key: string; event: ActivityEvent }> = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${read.length} of ${count} messages within ${READ_TIMEOUT_MS} ms`)),
        READ_TIMEOUT_MS,
      );
      void consumer.run({
        eachMessage: async ({ message }) => {
          const decoded = decodeActivityMessage(message.value);
          if (!decoded.ok) throw new Error(decoded.error);
          read.push({ key: message.key?.toString() ?? '', event: decoded.event });
          if (read.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return read;
}

describe('Segment surface with the real broker', () => {
  const kafka = testKafka();
  const brokers = requiredEnv('KAFKA_BROKERS').split(',');
  let admin: Admin;
  let topic: string;
  let publisher: KafkaActivityPublisher;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    topic = uniqueName('segment-ingest');
    await createTopic(admin, topic, 3);
    const serviceKafka = createKafka({ clientId: uniqueName('segment-int'), brokers, logger });
    publisher = new KafkaActivityPublisher({ topic, publishTimeoutMs: 4_000 }, { kafka: serviceKafka, logger });
    await publisher.connect();
    app = createApp({
      logger,
      ingest: new IngestActivityUseCase(TEST_INGEST_CONFIG, { publisher, receipts: TEST_RECEIPTS }),
      segment: new IngestSegmentUseCase({ maxFutureSkewMs: 300_000 }, { publisher }),
      readiness: [],
      config: TEST_APP_CONFIG,
    });
  });

  afterAll(async () => {
    await publisher.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('when a gzip batch is partly refused, then its valid messages are on the topic, keyed by actor, once acknowledged', async () => {
    const batch = [
      { type: 'page', anonymousId: 'anon-int-1', name: 'Home', messageId: 'int-page-1' },
      { type: 'track', userId: 'u-int', event: '!!!', messageId: 'int-bad-1' },
      { type: 'identify', userId: 'u-int', anonymousId: 'anon-int-1', messageId: 'int-identify-1' },
    ];
    const body = gzipSync(Buffer.from(JSON.stringify({ batch, sentAt: new Date().toISOString() })));

    const res = await request(app)
      .post('/v1/batch')
      .set({ 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Encoding': 'gzip' })
      .serialize((raw: Buffer) => raw as unknown as string)
      .send(body);

    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ accepted: 2, refused: 1, refusedIndexes: [1] });
    const read = await readEvents(kafka, topic, 2);
    expect(read.map(({ key, event }) => [key, event.eventId, event.type]).sort()).toEqual(
      [
        ['anonymous:anon-int-1', eventIdOfMessageId('int-page-1'), 'PAGE_VIEW'],
        ['u-int', eventIdOfMessageId('int-identify-1'), 'IDENTIFY'],
      ].sort(),
    );
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(2);
  });
});
