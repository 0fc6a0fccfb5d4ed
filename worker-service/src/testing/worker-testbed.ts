import { ACTIVITIES_COLLECTION, encodeActivityMessage, type ActivityEvent } from '@uap/shared/contract';
import type { Admin, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import mongoose, { type Connection } from 'mongoose';
import { requiredEnv, storeEnv, testKafka, uniqueName } from '../../../test/support/integration';
import { waitUntil } from '../../../test/support/wait-until';

/**
 * One suite's own topic, dead-letter topic, consumer group and database on the shared broker and
 * store, with helpers to produce events and to look at what the worker stored.
 */
export class WorkerTestbed {
  readonly topic = uniqueName('worker-it');
  readonly dlqTopic = `${this.topic}.dlq`;
  readonly group = uniqueName('worker-it-group');
  readonly dbName = uniqueName('worker_it').replace(/-/g, '_');
  readonly kafka: Kafka = testKafka();
  admin!: Admin;
  producer!: Producer;
  db!: Connection;

  constructor(readonly partitions = 3) {}

  async setUp(): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
    this.producer = this.kafka.producer({ allowAutoTopicCreation: false });
    await this.producer.connect();
    this.db = await mongoose
      .createConnection(requiredEnv('MONGO_URL'), { dbName: this.dbName, serverSelectionTimeoutMS: 5_000 })
      .asPromise();
  }

  async tearDown(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
    await this.admin?.deleteTopics({ topics: [this.topic, this.dlqTopic], timeout: 5_000 }).catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    await this.db?.dropDatabase().catch(() => undefined);
    await this.db?.close().catch(() => undefined);
  }

  /** Environment for a worker process of this suite; the worker creates the topics itself. */
  workerEnv(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      KAFKA_BROKERS: requiredEnv('KAFKA_BROKERS'),
      KAFKA_CLIENT_ID: 'worker-it',
      // As `npm run stack` runs it: on FerretDB/PostgreSQL the worker keeps the stats rollups there.
      ...storeEnv(),
      MONGO_DB: this.dbName,
      ACTIVITIES_TOPIC: this.topic,
      ACTIVITIES_TOPIC_PARTITIONS: String(this.partitions),
      DLQ_TOPIC: this.dlqTopic,
      CONSUMER_GROUP: this.group,
      // The broker's minimum: a killed worker's partitions move on within seconds, not 30 s.
      CONSUMER_SESSION_TIMEOUT_MS: '6000',
      CONSUMER_HEARTBEAT_INTERVAL_MS: '1000',
      STORE_RETRY_INITIAL_MS: '100',
      STORE_RETRY_MAX_MS: '1000',
      MONGO_SERVER_SELECTION_TIMEOUT_MS: '1500',
      ...overrides,
    };
  }

  async produce(events: readonly ActivityEvent[]): Promise<void> {
    await this.produceRaw(events.map((event) => encodeActivityMessage(event)));
  }

  async produceRaw(messages: Message[]): Promise<void> {
    await this.producer.send({ topic: this.topic, acks: -1, messages });
  }

  get activities() {
    return this.db.collection(ACTIVITIES_COLLECTION);
  }

  /** How many documents each of these eventIds has in the store (0 when missing). */
  async storedCounts(eventIds: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map(eventIds.map((id) => [id, 0]));
    const docs = await this.activities
      .find({ eventId: { $in: [...eventIds] } }, { projection: { _id: 0, eventId: 1 } })
      .toArray();
    for (const doc of docs) counts.set(doc['eventId'] as string, (counts.get(doc['eventId'] as string) ?? 0) + 1);
    return counts;
  }

  /** Reads the dead-letter topic from the start until it holds at least `count` letters. */
  async deadLetters(count: number, timeoutMs = 20_000): Promise<KafkaMessage[]> {
    const letters: KafkaMessage[] = [];
    const consumer = this.kafka.consumer({ groupId: uniqueName('dlq-reader') });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [this.dlqTopic], fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void letters.push(message) });
      await waitUntil(`${count} dead letters`, () => (letters.length >= count ? true : undefined), {
        timeoutMs,
        describe: () => `${letters.length} read`,
      });
    } finally {
      await consumer.disconnect();
    }
    return letters;
  }

  async waitUntilStored(eventIds: readonly string[], timeoutMs = 30_000, describe?: () => string): Promise<void> {
    let missing = eventIds.length;
    await waitUntil(
      `${eventIds.length} events to be stored`,
      async () => {
        const counts = await this.storedCounts(eventIds);
        missing = [...counts.values()].filter((n) => n === 0).length;
        return missing === 0 ? true : undefined;
      },
      { timeoutMs, intervalMs: 300, describe: () => `${missing} still missing\n${describe?.() ?? ''}` },
    );
  }
}

export const headerText = (message: KafkaMessage, name: string) => message.headers?.[name]?.toString();
