import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { HEADERS, decodeActivityMessage } from '@uap/shared/contract';
import { createKafka } from '@uap/shared/runtime';
import { anActivityInput } from '@uap/shared/testing';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import pino from 'pino';
import request from 'supertest';
import { createTopic, requiredEnv, testKafka, uniqueName } from '../../../../../test/support/integration';
import { createApp } from '../../../app';
import { IngestActivityUseCase } from '../../../application/ingest-activity.use-case';
import { ensureActivitiesTopic } from '../../../infrastructure/kafka/activities-topic';
import { KafkaActivityPublisher } from '../../../infrastructure/kafka/kafka-activity.publisher';
import { TEST_APP_CONFIG, TEST_INGEST_CONFIG, TEST_RECEIPTS } from '../../../testing/test-app';

const logger = pino({ level: 'silent' });
const READ_TIMEOUT_MS = 20_000;
const TOPIC_REPLICATION = { replicationFactor: 'auto', minInsyncReplicas: 'auto' } as const;

/** The app as main.ts wires it, with the real kafkajs publisher aimed at `brokers`. */
async function realApp(topic: string, brokers: string[], publishTimeoutMs = 4_000) {
  const kafka = createKafka({ clientId: uniqueName('api-int'), brokers, logger, connectionTimeoutMs: 1_000 });
  const publisher = new KafkaActivityPublisher({ topic, publishTimeoutMs }, { kafka, logger });
  const ingest = new IngestActivityUseCase(TEST_INGEST_CONFIG, { publisher, receipts: TEST_RECEIPTS });
  const app = createApp({ logger, ingest, readiness: [], config: TEST_APP_CONFIG });
  return { app, publisher };
}

async function messageCount(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
}

/** Reads the topic from the start until `count` messages arrived, or fails after a bounded wait. */
type ReadMessage = KafkaMessage & { partition: number };

async function readMessages(kafka: Kafka, topic: string, count: number): Promise<ReadMessage[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('api-int-reader') });
  const messages: ReadMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${messages.length} of ${count} messages within ${READ_TIMEOUT_MS} ms`)),
        READ_TIMEOUT_MS,
      );
      void consumer.run({
        eachMessage: async ({ message, partition }) => {
          messages.push({ ...message, partition });
          if (messages.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

const header = (message: KafkaMessage, name: string) => message.headers?.[name]?.toString();

describe('ingest API with the real broker', () => {
  const kafka = testKafka();
  const brokers = requiredEnv('KAFKA_BROKERS').split(',');
  const topics: string[] = [];
  const publishers: KafkaActivityPublisher[] = [];
  let admin: Admin;

  async function freshTopic(partitions = 3) {
    const topic = uniqueName('api-ingest');
    await createTopic(admin, topic, partitions);
    topics.push(topic);
    const built = await realApp(topic, brokers);
    publishers.push(built.publisher);
    await built.publisher.connect();
    return { topic, ...built };
  }

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await Promise.all(publishers.map((p) => p.disconnect().catch(() => undefined)));
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });

  it('when a single event is accepted, then it is on the topic keyed by userId with type, version and request id headers', async () => {
    const { topic, app } = await freshTopic();
    const input = anActivityInput({ userId: 'alice@example', type: 'SEARCH', metadata: { query: 'kafka' } });

    const res = await request(app).post('/api/v1/activities').set('X-Request-Id', 'int-single-1').send(input);

    expect(res.status).toBe(202);
    expect(res.body).toEqual({ eventId: input.eventId, status: 'accepted', receipt: expect.any(String) });
    const [message, ...rest] = await readMessages(kafka, topic, 1);
    expect(rest).toHaveLength(0);
    // The receipt vouches for the position the broker really gave the event.
    expect(TEST_RECEIPTS.decodeReceipt(res.body.receipt)).toMatchObject({
      topic,
      eventId: input.eventId,
      partition: message!.partition,
      offset: Number(message!.offset),
    });
    expect(message!.key?.toString()).toBe('alice@example');
    expect(header(message!, HEADERS.eventType)).toBe('SEARCH');
    expect(header(message!, HEADERS.schemaVersion)).toBe('1');
    expect(header(message!, HEADERS.requestId)).toBe('int-single-1');
    const decoded = decodeActivityMessage(message!.value);
    expect(decoded).toMatchObject({ ok: true, event: { eventId: input.eventId, userId: 'alice@example' } });
  });

  it('when a batch is accepted, then every event is on the topic with its own key and the request id', async () => {
    const { topic, app } = await freshTopic();
    const events = ['u1', 'u2', 'u3', 'u1'].map((userId) => anActivityInput({ userId }));

    const res = await request(app).post('/api/v1/activities/batch').set('X-Request-Id', 'int-batch-1').send({ events });

    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: 4, eventIds: events.map((e) => e.eventId) });
    const messages = await readMessages(kafka, topic, 4);
    expect(await messageCount(admin, topic)).toBe(4);
    const byId = new Map(
      messages.map((m) => {
        const decoded = decodeActivityMessage(m.value);
        if (!decoded.ok) throw new Error(decoded.error);
        return [decoded.event.eventId, m] as const;
      }),
    );
    for (const input of events) {
      const message = byId.get(input.eventId!)!;
      expect(message.key?.toString()).toBe(input.userId);
      expect(header(message, HEADERS.eventType)).toBe(input.type);
      expect(header(message, HEADERS.requestId)).toBe('int-batch-1');
    }
    // One receipt per event, in order, each naming the event's real position; the token the highest per partition.
    const receipts = (res.body.receipts as string[]).map((r) => TEST_RECEIPTS.decodeReceipt(r)!);
    expect(receipts.map((r) => r.eventId)).toEqual(events.map((e) => e.eventId));
    for (const receipt of receipts) {
      const message = byId.get(receipt.eventId)!;
      expect([receipt.partition, receipt.offset]).toEqual([message.partition, Number(message.offset)]);
    }
    const highest = new Map<number, number>();
    for (const m of messages) highest.set(m.partition, Math.max(Number(m.offset), highest.get(m.partition) ?? 0));
    expect(TEST_RECEIPTS.decodeToken(res.body.consistencyToken)?.positions).toEqual(highest);
  });

  it('when a batch has one invalid event, then 400 and nothing from it reaches the topic', async () => {
    const { topic, app } = await freshTopic();
    const events = Array.from({ length: 5 }, (_, i) => anActivityInput({ userId: `bad-batch-${i}` }));
    events[2] = { ...events[2]!, type: 'TELEPORT' as never };

    const rejected = await request(app).post('/api/v1/activities/batch').send({ events });
    expect(rejected.status).toBe(400);
    expect(rejected.body.errors).toEqual([expect.objectContaining({ path: 'events.2.type' })]);

    // A later accepted event proves the pipeline works; it must be the only thing on the topic.
    const sentinel = anActivityInput({ userId: 'sentinel' });
    await request(app).post('/api/v1/activities').send(sentinel).expect(202);
    const messages = await readMessages(kafka, topic, 1);
    expect(messages.map((m) => m.key?.toString())).toEqual(['sentinel']);
    expect(await messageCount(admin, topic)).toBe(1);
  });

  it('when the body is too large or not JSON, then 413 or 415 and nothing is published', async () => {
    const { topic, app } = await freshTopic();
    const huge = Array.from({ length: 140 }, () => anActivityInput({ metadata: { note: 'x'.repeat(7900) } }));

    const tooLarge = await request(app).post('/api/v1/activities/batch').send({ events: huge });
    const singleTooLarge = await request(app)
      .post('/api/v1/activities')
      .send(anActivityInput({ metadata: { note: 'y'.repeat(70_000) } }));
    const notJson = await request(app).post('/api/v1/activities').set('Content-Type', 'text/plain').send('LOGIN u1');

    expect(tooLarge.status).toBe(413);
    expect(singleTooLarge.status).toBe(413);
    expect(notJson.status).toBe(415);
    for (const res of [tooLarge, singleTooLarge, notJson]) {
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect(await messageCount(admin, topic)).toBe(0);
  });

  it('when a batch of many events for one user fills the 1 MB body, then it is accepted in one send', async () => {
    const { topic, app } = await freshTopic(1);
    // ~1 MB of incompressible metadata on one partition: the record batch must still fit the broker's limit.
    const events = Array.from({ length: 125 }, () =>
      anActivityInput({ userId: 'heavy', metadata: { n: randomBytes(6130).toString('base64') } }),
    );
    const body = JSON.stringify({ events });
    expect(Buffer.byteLength(body)).toBeGreaterThan(1_030_000);
    expect(Buffer.byteLength(body)).toBeLessThan(1024 * 1024);

    const res = await request(app).post('/api/v1/activities/batch').set('Content-Type', 'application/json').send(body);

    expect(res.status).toBe(202);
    expect(await messageCount(admin, topic)).toBe(125);
  });

  it('when many requests arrive at once, then every 202 event is on the topic exactly once', async () => {
    const { topic, app } = await freshTopic();
    const inputs = Array.from({ length: 60 }, (_, i) => anActivityInput({ userId: `burst-${i % 7}` }));

    const responses = await Promise.all(inputs.map((input) => request(app).post('/api/v1/activities').send(input)));

    expect(responses.map((r) => r.status)).toEqual(inputs.map(() => 202));
    const messages = await readMessages(kafka, topic, inputs.length);
    const ids = messages.map((m) => {
      const decoded = decodeActivityMessage(m.value);
      if (!decoded.ok) throw new Error(decoded.error);
      return decoded.event.eventId;
    });
    expect(ids.sort()).toEqual(inputs.map((i) => i.eventId!).sort());
    expect(await messageCount(admin, topic)).toBe(inputs.length);
  });

  it('when the topic is ensured twice, then it exists once with the configured partitions', async () => {
    const topic = uniqueName('api-ensure');
    topics.push(topic);
    const serviceKafka = createKafka({ clientId: uniqueName('api-int'), brokers, logger });

    await ensureActivitiesTopic(
      serviceKafka,
      { topic, partitions: 4, replication: TOPIC_REPLICATION, retentionHours: 168 },
      logger,
    );
    await ensureActivitiesTopic(
      serviceKafka,
      { topic, partitions: 9, replication: TOPIC_REPLICATION, retentionHours: 168 },
      logger,
    );

    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]!.partitions).toHaveLength(4);
  });
});

/** A port with nothing listening: connections are refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A "broker" that accepts connections and never answers, like a hung host: only our timeout ends the wait. */
async function blackHole(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('ingest API when the broker is down', () => {
  const BOUND_MS = 2_000;
  const MARGIN_MS = 1_000;

  it.each([
    ['refuses connections', 'refused'],
    ['accepts connections but never answers', 'hung'],
  ] as const)('when the broker %s, then 503 with Retry-After within the bound', async (_label, mode) => {
    const hole = mode === 'hung' ? await blackHole() : undefined;
    const port = hole?.port ?? (await closedPort());
    const { app, publisher } = await realApp('user-activities', [`127.0.0.1:${port}`], BOUND_MS);
    try {
      const started = Date.now();
      const [single, batch] = await Promise.all([
        request(app).post('/api/v1/activities').send(anActivityInput()),
        request(app)
          .post('/api/v1/activities/batch')
          .send({ events: [anActivityInput(), anActivityInput()] }),
      ]);
      const elapsed = Date.now() - started;

      for (const res of [single, batch]) {
        expect(res.status).toBe(503);
        expect(res.headers['retry-after']).toBe(String(TEST_APP_CONFIG.retryAfterSeconds));
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
      expect(elapsed).toBeLessThan(BOUND_MS + MARGIN_MS);
    } finally {
      // Hang up first: a producer still connecting to a silent broker would otherwise wait out its request timeout.
      await hole?.close();
      await publisher.disconnect().catch(() => undefined);
    }
  });
});
