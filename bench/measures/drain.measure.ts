import { ACTIVITIES_COLLECTION, encodeActivityMessage, type ActivityEvent } from '@uap/shared/contract';
import type { Kafka } from 'kafkajs';
import type { Collection } from 'mongodb';
import { toActivityDocument } from '../../worker-service/src/infrastructure/mongo/mongo-activity.repository';
import { CONFIG } from '../support/bench-config';
import { benchKafka } from '../support/bench-context';
import { benchInputs, toEvents } from '../support/bench-events';
import { ratio, type BenchReport } from '../support/bench-report';
import { startWorker, stopProcesses, type BenchStack } from '../support/bench-stack';
import { createIndexes } from '../support/bench-store';
import { coresUsed, cpuSecondsByRole } from '../support/cpu-usage';
import { waitForCount } from './pipeline.measure';

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

/** The whole bench's drain (5/6): the worker on a prefilled topic, then the naive consumer on the same topic. */
export async function drain(stack: BenchStack): Promise<BenchReport['drain']> {
  const kafka = benchKafka(stack.services.kafkaBrokers);
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench-${stack.id}-drain`;
  stack.topics.push(topic);
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
  await admin.disconnect();
  console.error(`[bench] 5/6 worker drain: prefilling ${CONFIG.events} events`);
  const events = toEvents(
    benchInputs(CONFIG.events, { users: CONFIG.users, startMs: Date.now() - 86_400_000, spreadMs: 86_400_000 }),
    new Date(),
  );
  await prefillTopic(kafka, topic, events);

  const cpuBefore = cpuSecondsByRole();
  const t0 = performance.now();
  const persisted = await startWorker(stack, 'worker-drain', topic, `bench_${stack.id}_drain`);
  const done = await waitForCount(persisted, CONFIG.events, t0, CONFIG.stageTimeoutMs);
  const drainCpu = coresUsed(cpuBefore, cpuSecondsByRole(), performance.now() - t0);
  await stopProcesses(stack);
  const workerRate = done.reached ? (CONFIG.events / done.atMs) * 1000 : 0;

  console.error(`[bench] 5/6 naive consumer (eachMessage + insertOne) for ${CONFIG.naiveBudgetMs / 1000}s`);
  const naiveDb = stack.client.db(`bench_${stack.id}_naive`);
  stack.dbs.push(naiveDb.databaseName);
  await createIndexes(naiveDb);
  const naive = await runNaiveConsumer(
    kafka,
    topic,
    naiveDb.collection(ACTIVITIES_COLLECTION),
    CONFIG.naiveBudgetMs,
    CONFIG.events,
  );
  const naiveRate = (naive.inserted / naive.elapsedMs) * 1000;
  return {
    events: CONFIG.events,
    workerMs: done.atMs,
    allPersisted: done.reached,
    workerEventsPerSec: workerRate,
    naiveInserted: naive.inserted,
    naiveMs: naive.elapsedMs,
    naiveEventsPerSec: naiveRate,
    ratio: ratio(workerRate, naiveRate),
    cpu: drainCpu,
  };
}
