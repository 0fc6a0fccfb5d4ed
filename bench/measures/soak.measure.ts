import { readFileSync } from 'node:fs';
import { percentiles } from '../../scripts/loadgen/load-stats';
import { benchInputs } from '../support/bench-events';

/** One reading of a process's memory, `atS` seconds into the soak. */
export interface MemorySample {
  atS: number;
  rssMb: number;
  /** V8's used heap, from the process's own /metrics (`nodejs_heap_size_used_bytes`). */
  heapMb: number;
  /** The api's live-stream window (`uap_stream_buffered_events`). */
  bufferedEvents?: number;
}

export interface ProcessMemory {
  samples: MemorySample[];
  /**
   * Least-squares slopes over the second half of the load, in MB per minute, of each minute's lowest reading: used
   * heap is a saw-tooth between full collections (about one a minute in these runs), and its troughs are what the
   * process keeps.
   */
  rssSlopeMbPerMin: number;
  heapSlopeMbPerMin: number;
  /** The lowest reading while idle after the load (nothing connected, the idle timers of stream and freshness run out). */
  idle: MemorySample;
}

export interface SoakLoad {
  ratePerSec: number;
  batchSize: number;
  durationS: number;
  accepted: number;
  failedRequests: number;
  p50Ms: number;
  p99Ms: number;
}

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
