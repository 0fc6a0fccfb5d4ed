import { randomUUID } from 'node:crypto';
import { CompressionTypes, Kafka, logLevel, Partitioners } from 'kafkajs';
import { encodeActivityMessage } from '@uap/shared/contract';
import { benchInputs, toEvents } from './support/bench-events';

/**
 * The ceiling for batch ingest (issue 25): a raw kafkajs producer, in its own process like the API, sending the
 * same 100-event batches as the API's producer does (idempotent, acks=all, one request in flight, the same
 * message format, key and headers, gzip from the same size) with as many senders as the HTTP load has
 * connections, for the same warm-up and duration. Prints one JSON line: events/s and send latencies.
 */
const { KAFKA_BROKERS, TOPIC, CONNECTIONS, WARMUP_S, DURATION_S, BATCH_SIZE } = process.env;
const COMPRESS_FROM_BYTES = 256 * 1024;

async function main(): Promise<void> {
  const kafka = new Kafka({
    clientId: 'bench-raw-producer',
    brokers: KAFKA_BROKERS!.split(','),
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const batchSize = Number(BATCH_SIZE);
  const send = async (): Promise<number> => {
    const events = toEvents(
      benchInputs(batchSize, { users: 1_000, startMs: Date.now() - 60_000, spreadMs: 10_000 }),
      new Date(),
    );
    const requestId = randomUUID();
    const messages = events.map((event) => encodeActivityMessage(event, requestId));
    const bytes = messages.reduce((sum, m) => sum + Buffer.byteLength(m.value) + Buffer.byteLength(m.key), 0);
    const started = performance.now();
    await producer.send({
      topic: TOPIC!,
      acks: -1,
      compression: bytes >= COMPRESS_FROM_BYTES ? CompressionTypes.GZIP : CompressionTypes.None,
      messages,
    });
    return performance.now() - started;
  };
  const run = async (seconds: number): Promise<number[]> => {
    const latencies: number[] = [];
    const until = performance.now() + seconds * 1000;
    const sender = async () => {
      while (performance.now() < until) latencies.push(await send());
    };
    await Promise.all(Array.from({ length: Number(CONNECTIONS) }, sender));
    return latencies;
  };
  await run(Number(WARMUP_S));
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const latencies = (await run(Number(DURATION_S))).sort((a, b) => a - b);
  const elapsedS = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const at = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!);
  await producer.disconnect();
  console.log(
    JSON.stringify({
      eventsPerSec: (latencies.length * batchSize) / elapsedS,
      sendsPerSec: latencies.length / elapsedS,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      // Its own CPU over the measured part, as a share of one core (the parent cannot read it after the exit).
      cores: Math.round(((cpu.user + cpu.system) / 1e6 / elapsedS) * 100) / 100,
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
