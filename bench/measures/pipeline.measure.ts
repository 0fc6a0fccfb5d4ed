import type { ActivityInput } from '@uap/shared/contract';
import type { Db } from 'mongodb';
import { percentiles } from '../../scripts/loadgen/load-stats';

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
