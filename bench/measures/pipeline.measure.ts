import { ACTIVITIES_COLLECTION, type ActivityInput } from '@uap/shared/contract';
import type { Db } from 'mongodb';
import { percentiles } from '../../scripts/loadgen/load-stats';
import { toActivityDocument } from '../../worker-service/src/infrastructure/mongo/mongo-activity.repository';
import { CONFIG } from '../support/bench-config';
import { benchInputs, toEvents } from '../support/bench-events';
import { ratio, type BenchReport } from '../support/bench-report';
import { AUTH_HEADERS, startApi, startWorker, stopProcesses, type BenchStack } from '../support/bench-stack';
import { createIndexes } from '../support/bench-store';
import { coresUsed, cpuSecondsByRole } from '../support/cpu-usage';
import { measureReads } from './reads.measure';

export interface PublishResult {
  accepted: number;
  failedRequests: number;
  elapsedMs: number;
}

/** Sends pre-built batches through the API with bounded concurrency; every batch must be 202'd. */
export async function publishThroughApi(
  apiUrl: string,
  inputs: ActivityInput[],
  options: { batchSize: number; concurrency: number; ratePerSec?: number; headers?: Record<string, string> },
): Promise<PublishResult> {
  const bodies: string[] = [];
  for (let i = 0; i < inputs.length; i += options.batchSize) {
    bodies.push(JSON.stringify({ events: inputs.slice(i, i + options.batchSize) }));
  }
  const started = performance.now();
  const intervalMs = options.ratePerSec ? (1000 * options.batchSize) / options.ratePerSec : 0;
  let next = 0;
  let accepted = 0;
  let failedRequests = 0;
  const worker = async () => {
    for (let i = next++; i < bodies.length; i = next++) {
      const due = started + i * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const res = await fetch(`${apiUrl}/api/v1/activities/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers },
        body: bodies[i],
        signal: AbortSignal.timeout(30_000),
      }).catch(() => undefined);
      if (res?.status === 202) accepted += ((await res.json()) as { accepted: number }).accepted;
      else failedRequests++;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { accepted, failedRequests, elapsedMs: performance.now() - started };
}

/** Polls until `count()` reaches `expected` or the bound passes; returns when it got there (ms since `sinceMs`). */
export async function waitForCount(
  count: () => Promise<number>,
  expected: number,
  sinceMs: number,
  timeoutMs: number,
): Promise<{ reached: boolean; atMs: number; last: number }> {
  const deadline = performance.now() + timeoutMs;
  let last = 0;
  while (performance.now() < deadline) {
    last = await count();
    if (last >= expected) return { reached: true, atMs: performance.now() - sinceMs, last };
    await new Promise((r) => setTimeout(r, 100));
  }
  return { reached: false, atMs: performance.now() - sinceMs, last };
}

/** p50/p99 of persistedAt − receivedAt over every document of a collection (computed here: FerretDB lacks the operators). */
export async function endToEndLatency(
  db: Db,
  collection: string,
): Promise<{ count: number; p50Ms: number; p99Ms: number }> {
  const docs = await db
    .collection(collection)
    .find({}, { projection: { _id: 0, receivedAt: 1, persistedAt: 1 } })
    .toArray();
  const lags = docs.map((d) => (d['persistedAt'] as Date).getTime() - (d['receivedAt'] as Date).getTime());
  const p = percentiles(lags, [50, 99]);
  return { count: lags.length, p50Ms: p['p50']!, p99Ms: p['p99']! };
}

/**
 * The whole bench's pipeline (3/6) against raw insertMany, the reads on its data (6/6), then end-to-end latency at
 * half the pipeline's rate (4/6) on a fresh api and worker.
 */
export async function pipelineAndReads(
  stack: BenchStack,
): Promise<Pick<BenchReport, 'pipeline' | 'latency' | 'reads'>> {
  const topic = `bench-${stack.id}-pipeline`;
  const db = `bench_${stack.id}_pipeline`;
  const apiUrl = await startApi(stack, 'api-pipeline', topic, db);
  const persisted = await startWorker(stack, 'worker-pipeline', topic, db);
  const inputs = benchInputs(CONFIG.events, {
    users: CONFIG.users,
    startMs: Date.now() - 86_400_000,
    spreadMs: 86_400_000,
  });

  console.error(`[bench] 3/6 pipeline: ${CONFIG.events} events through the API until all are persisted`);
  const cpuBefore = cpuSecondsByRole();
  const t0 = performance.now();
  const published = await publishThroughApi(apiUrl, inputs, { batchSize: 500, concurrency: 4, headers: AUTH_HEADERS });
  const done = await waitForCount(persisted, CONFIG.events, t0, CONFIG.stageTimeoutMs);
  const pipelineCpu = coresUsed(cpuBefore, cpuSecondsByRole(), performance.now() - t0);
  const stored = await stack.client.db(db).collection(ACTIVITIES_COLLECTION).countDocuments();
  const pipelineRate = done.reached ? (CONFIG.events / done.atMs) * 1000 : 0;

  console.error('[bench] 3/6 baseline: raw driver insertMany (unordered) of the same documents');
  const rawDb = stack.client.db(`bench_${stack.id}_raw`);
  stack.dbs.push(rawDb.databaseName);
  await createIndexes(rawDb);
  const docs = toEvents(inputs, new Date()).map((event, i) =>
    toActivityDocument({ event, partition: 0, offset: String(i) }, new Date()),
  );
  // As many writers as the worker has (PARTITIONS_CONCURRENCY, default 6), each with the worker's chunk size.
  const r0 = performance.now();
  let next = 0;
  const writer = async () => {
    for (let i = next; i < docs.length; i = next) {
      next += 500;
      await rawDb.collection(ACTIVITIES_COLLECTION).insertMany(docs.slice(i, i + 500), { ordered: false });
    }
  };
  await Promise.all(Array.from({ length: CONFIG.writers }, writer));
  const rawRate = (docs.length / (performance.now() - r0)) * 1000;

  console.error('[bench] 6/6 reads on the pipeline data');
  const reads = await measureReads(apiUrl, inputs);
  await stopProcesses(stack);

  console.error(`[bench] 4/6 end-to-end latency at half the pipeline rate (${Math.round(pipelineRate / 2)} events/s)`);
  const latTopic = `bench-${stack.id}-latency`;
  const latDb = `bench_${stack.id}_latency`;
  const latApi = await startApi(stack, 'api-latency', latTopic, latDb);
  const latPersisted = await startWorker(stack, 'worker-latency', latTopic, latDb);
  const halfRate = Math.max(50, Math.round(pipelineRate / 2));
  const latInputs = benchInputs(halfRate * CONFIG.latencySeconds, {
    users: CONFIG.users,
    startMs: Date.now() - 60_000,
    spreadMs: 60_000,
  });
  const latPublished = await publishThroughApi(latApi, latInputs, {
    batchSize: 50,
    concurrency: 8,
    ratePerSec: halfRate,
    headers: AUTH_HEADERS,
  });
  await waitForCount(latPersisted, latPublished.accepted, performance.now(), 120_000);
  const lag = await endToEndLatency(stack.client.db(latDb), ACTIVITIES_COLLECTION);
  await stopProcesses(stack);

  return {
    pipeline: {
      events: CONFIG.events,
      accepted: published.accepted,
      failedRequests: published.failedRequests,
      publishMs: published.elapsedMs,
      persistedMs: done.atMs,
      allPersisted: done.reached && stored === CONFIG.events,
      stored,
      eventsPerSec: pipelineRate,
      rawInsertEventsPerSec: rawRate,
      ratio: ratio(pipelineRate, rawRate),
      cpu: pipelineCpu,
    },
    latency: { ratePerSec: halfRate, accepted: latPublished.accepted, ...lag },
    reads,
  };
}
