import { encodeActivityMessage, type ActivityEvent } from '@uap/shared/contract';
import type { Kafka } from 'kafkajs';
import type { Collection } from 'mongodb';
import { toActivityDocument } from '../../worker-service/src/infrastructure/mongo/mongo-activity.repository';

/** Fills a topic straight through the producer (not the API), so the drain measures the consumer alone. */
export async function prefillTopic(kafka: Kafka, topic: string, events: ActivityEvent[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const chunk = 2_000;
    for (let i = 0; i < events.length; i += chunk) {
      await producer.send({
        topic,
        acks: -1,
        messages: events.slice(i, i + chunk).map((e) => encodeActivityMessage(e)),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * The obvious design the worker is measured against: eachMessage, one insertOne per message, duplicates
 * ignored. Runs for at most `budgetMs` (a naive drain of the whole topic would take too long) and reports
 * its rate, which is what the comparison needs.
 */
export async function runNaiveConsumer(
  kafka: Kafka,
  topic: string,
  collection: Collection,
  budgetMs: number,
  total: number,
): Promise<{ inserted: number; elapsedMs: number }> {
  const consumer = kafka.consumer({ groupId: `${topic}-naive`, sessionTimeout: 30_000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let inserted = 0;
  let started = 0;
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      if (started === 0) started = performance.now();
      const event = JSON.parse(message.value!.toString()) as ActivityEvent;
      await collection
        .insertOne(toActivityDocument({ event, partition, offset: message.offset }, new Date()))
        .catch((err: { code?: number }) => {
          if (err.code !== 11000) throw err;
        });
      inserted++;
    },
  });
  const deadline = performance.now() + budgetMs + 10_000;
  while (
    performance.now() < deadline &&
    (started === 0 || performance.now() - started < budgetMs) &&
    inserted < total
  ) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const elapsedMs = started === 0 ? budgetMs : performance.now() - started;
  const done = inserted;
  await consumer.disconnect();
  return { inserted: done, elapsedMs };
}
