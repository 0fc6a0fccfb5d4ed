import type { MemorySample, ProcessMemory, SoakLoad } from '../support/measure-results';
import { readFileSync } from 'node:fs';
import type { ServiceProcess } from '../../test/support/service-process';
import { percentiles } from '../../scripts/loadgen/load-stats';
import { askFreshness, openStream } from '../support/bench-clients';
import { CONFIG } from '../support/bench-config';
import { benchInputs } from '../support/bench-events';
import { AUTH_HEADERS, startApiProcess, startWorker, type BenchStack } from '../support/bench-stack';
import { waitForCount } from './pipeline.measure';

/** The resident set of a process, from /proc (Linux). */
export function rssMbOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1]);
  if (!Number.isFinite(kb)) throw new Error(`no VmRSS for pid ${pid}`);
  return kb / 1024;
}

/** A process's memory now: RSS from /proc, used heap (and the stream window, if exposed) from its /metrics. */
export async function memoryOf(pid: number, metricsUrl: string, atS: number): Promise<MemorySample> {
  const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(5_000) })).text();
  const value = (name: string) => Number(new RegExp(`^${name}\\s+(\\S+)$`, 'm').exec(text)?.[1]);
  const heapBytes = value('nodejs_heap_size_used_bytes');
  if (!Number.isFinite(heapBytes)) throw new Error(`no nodejs_heap_size_used_bytes at ${metricsUrl}`);
  const buffered = value('uap_stream_buffered_events');
  return {
    atS,
    rssMb: rssMbOf(pid),
    heapMb: heapBytes / 2 ** 20,
    ...(Number.isFinite(buffered) ? { bufferedEvents: buffered } : {}),
  };
}

/** Each window's lowest reading of `value`, timed at the window's middle. */
export function troughs(
  samples: readonly MemorySample[],
  windowS: number,
  value: (s: MemorySample) => number,
): MemorySample[] {
  const windows = new Map<number, MemorySample[]>();
  for (const s of samples) {
    const k = Math.floor(s.atS / windowS);
    windows.set(k, [...(windows.get(k) ?? []), s]);
  }
  return [...windows].map(([k, list]) => {
    const low = Math.min(...list.map(value));
    return { atS: (k + 0.5) * windowS, rssMb: low, heapMb: low };
  });
}

/** Lowest of each field over the samples. */
export function lowest(samples: readonly MemorySample[]): MemorySample {
  return samples.reduce((low, s) => ({
    atS: low.atS,
    rssMb: Math.min(low.rssMb, s.rssMb),
    heapMb: Math.min(low.heapMb, s.heapMb),
    ...(s.bufferedEvents === undefined
      ? {}
      : { bufferedEvents: Math.min(low.bufferedEvents ?? Infinity, s.bufferedEvents) }),
  }));
}

/** Least-squares slope of `value` over `atS`, per minute; NaN below 3 points (too short a run to say). */
export function slopePerMinute(samples: readonly MemorySample[], value: (s: MemorySample) => number): number {
  const n = samples.length;
  if (n < 3) return NaN;
  const meanT = samples.reduce((sum, s) => sum + s.atS, 0) / n;
  const meanV = samples.reduce((sum, s) => sum + value(s), 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.atS - meanT) * (value(s) - meanV);
    den += (s.atS - meanT) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60;
}

/** The slopes over the second half of a soak's samples, of their 30-second troughs. */
export function secondHalfSlopes(samples: readonly MemorySample[], durationS: number) {
  const late = samples.filter((s) => s.atS >= durationS / 2 && s.atS < durationS);
  return {
    rssSlopeMbPerMin: slopePerMinute(
      troughs(late, 60, (s) => s.rssMb),
      (s) => s.rssMb,
    ),
    heapSlopeMbPerMin: slopePerMinute(
      troughs(late, 60, (s) => s.heapMb),
      (s) => s.heapMb,
    ),
  };
}

/**
 * Sends new events at a steady rate (batches of `batchSize`, paced from the start, `concurrency` in flight) for
 * `durationS`, calling `tick` every `sampleEveryS` with the seconds elapsed. Events are built per request, so the
 * sender holds no backlog of its own.
 */
export async function steadyLoad(
  apiUrl: string,
  options: {
    ratePerSec: number;
    batchSize: number;
    durationS: number;
    concurrency: number;
    headers: Record<string, string>;
    sampleEveryS: number;
    tick: (atS: number) => Promise<void>;
  },
): Promise<SoakLoad> {
  const started = performance.now();
  const intervalMs = (1000 * options.batchSize) / options.ratePerSec;
  const total = Math.floor((options.durationS * 1000) / intervalMs);
  const latencies: number[] = [];
  let next = 0;
  let accepted = 0;
  let failedRequests = 0;
  const sender = async () => {
    for (let i = next++; i < total; i = next++) {
      const wait = started + i * intervalMs - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const events = benchInputs(options.batchSize, { users: 1_000, startMs: Date.now() - 10_000, spreadMs: 1_000 });
      const sent = performance.now();
      const res = await fetch(`${apiUrl}/api/v1/activities/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers },
        body: JSON.stringify({ events }),
        signal: AbortSignal.timeout(30_000),
      }).catch(() => undefined);
      latencies.push(performance.now() - sent);
      if (res?.status === 202) accepted += ((await res.json()) as { accepted: number }).accepted;
      else failedRequests++;
    }
  };
  let sampling = true;
  const sampler = (async () => {
    for (let k = 0; sampling; k++) {
      const due = started + k * options.sampleEveryS * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (!sampling) break;
      await options.tick((performance.now() - started) / 1000);
    }
  })();
  await Promise.all(Array.from({ length: options.concurrency }, sender));
  sampling = false;
  await sampler;
  await options.tick((performance.now() - started) / 1000);
  const p = percentiles(latencies, [50, 99]);
  return {
    ratePerSec: options.ratePerSec,
    batchSize: options.batchSize,
    durationS: options.durationS,
    accepted,
    failedRequests,
    p50Ms: p['p50']!,
    p99Ms: p['p99']!,
  };
}

/** How long the soak watches the processes idle after the load: past STREAM_IDLE_STOP_MS and FRESHNESS_IDLE_STOP_MS (30 s). */
const SOAK_IDLE_S = 90;

/**
 * `--only soak` (issue 25): an api and a worker as `npm run stack` runs them take BENCH_SOAK_RATE events/s for
 * BENCH_SOAK_SECONDS with every optional piece in use (a live-stream subscriber reading everything, freshness asked
 * every second), sampling each process's RSS (/proc) and used heap (its /metrics, so also a scrape) every 5 s.
 * Memory that plateaus has a flat slope over the second half; then everything disconnects and, once the idle
 * timers have run out, the lowest readings show what an idle process keeps.
 */
export async function soak(
  stack: BenchStack,
): Promise<{ load: SoakLoad; persisted: number; nodeOptions: string; api: ProcessMemory; worker: ProcessMemory }> {
  const topic = `bench-${stack.id}-soak`;
  const db = `bench_${stack.id}_soak`;
  const pgUrl = stack.services.ferretdbPostgresUrl;
  const nodeOptions: Record<string, string> = CONFIG.soakNodeOptions ? { NODE_OPTIONS: CONFIG.soakNodeOptions } : {};
  const processed = await startWorker(stack, 'worker-soak', topic, db, {
    ...nodeOptions,
    ...(pgUrl ? { FERRETDB_POSTGRES_URL: pgUrl } : {}),
  });
  const worker = stack.processes.at(-1) as ServiceProcess;
  const api = await startApiProcess(stack, 'api-soak', topic, db, {
    ...nodeOptions,
    WORKER_CONSUMER_GROUP: `${topic}-workers`,
  });
  const sample = (process: ServiceProcess, metricsUrl: string, atS: number) => memoryOf(process.pid!, metricsUrl, atS);
  const apiMetrics = `${api.url}/metrics`;
  const workerMetrics = `http://127.0.0.1:${worker.port}/metrics`;
  const samples = { api: [] as MemorySample[], worker: [] as MemorySample[] };
  const subscriber = await openStream(`${api.url}/api/v1/activities/stream`);
  const asker = askFreshness(api.url);
  console.error(
    `[bench] soak: ${CONFIG.soakRate} events/s in batches of ${CONFIG.soakBatchSize} for ${CONFIG.soakSeconds} s`,
  );
  const load = await steadyLoad(api.url, {
    ratePerSec: CONFIG.soakRate,
    batchSize: CONFIG.soakBatchSize,
    durationS: CONFIG.soakSeconds,
    concurrency: 16,
    headers: AUTH_HEADERS,
    sampleEveryS: 5,
    tick: async (atS) => {
      samples.api.push(await sample(api, apiMetrics, atS));
      samples.worker.push(await sample(worker, workerMetrics, atS));
      if (Math.round(atS) % 60 < 5) {
        const [a, w] = [samples.api.at(-1)!, samples.worker.at(-1)!];
        console.error(`[bench] soak ${n0(atS)} s: api ${n0(a.rssMb)} MB RSS, worker ${n0(w.rssMb)} MB RSS`);
      }
    },
  });
  const streamed = await subscriber.close();
  asker.stop();
  const drained = await waitForCount(processed, load.accepted, performance.now(), CONFIG.stageTimeoutMs);
  console.error(`[bench] soak: the stream read ${streamed} events; idle for ${SOAK_IDLE_S} s`);
  const idleFrom = performance.now();
  const idle = { api: [] as MemorySample[], worker: [] as MemorySample[] };
  // The idle timers run out after 30 s; the readings after that are what an idle process keeps.
  await new Promise((r) => setTimeout(r, (SOAK_IDLE_S / 2) * 1000));
  while (performance.now() - idleFrom < SOAK_IDLE_S * 1000) {
    const atS = load.durationS + (performance.now() - idleFrom) / 1000;
    idle.api.push(await sample(api, apiMetrics, atS));
    idle.worker.push(await sample(worker, workerMetrics, atS));
    await new Promise((r) => setTimeout(r, 5_000));
  }
  const memory = (list: MemorySample[], idleSamples: MemorySample[]): ProcessMemory => ({
    samples: list,
    ...secondHalfSlopes(list, load.durationS),
    idle: lowest(idleSamples),
  });
  return {
    load,
    persisted: drained.last,
    nodeOptions: CONFIG.soakNodeOptions,
    api: memory(samples.api, idle.api),
    worker: memory(samples.worker, idle.worker),
  };
}

function n0(value: number): string {
  return value.toFixed(0);
}
