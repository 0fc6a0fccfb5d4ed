import { Schema, type Connection } from 'mongoose';
import type { Admin } from 'kafkajs';
import { createTopic, dropDatabase, testDatabase, testKafka, uniqueName } from './support/integration';

describe('the foundation services', () => {
  const kafka = testKafka();
  const topic = uniqueName('foundation');
  let admin: Admin;
  let db: Connection;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await createTopic(admin, topic, 2);
    db = await testDatabase('foundation');
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    await dropDatabase(db);
  });

  it('when a message is produced and consumed by a group, then its document can be written and read back', async () => {
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'user-1', value: JSON.stringify({ hello: 'world' }) }] });
    await producer.disconnect();

    const Note = db.model('Note', new Schema({ key: String, hello: String }));
    const consumer = kafka.consumer({ groupId: uniqueName('foundation-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const stored = new Promise<void>((resolve, reject) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          try {
            const body = JSON.parse(message.value!.toString()) as { hello: string };
            await Note.create({ key: message.key!.toString(), hello: body.hello });
            resolve();
          } catch (err) {
            reject(err as Error);
          }
        },
      });
    });
    await stored;
    await consumer.disconnect();

    const found = await Note.findOne({ key: 'user-1' }).lean();
    expect(found?.hello).toBe('world');
  });
});
