import { percentiles } from '../../scripts/loadgen/load-stats';

export interface ReadSample {
  shape: string;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** Status (or `timeout`/`network`) of each failed request. */
  failures: string[];
}

/** Sequential GETs of one query shape; sequential so each latency is the query's own, not queueing. */
export async function sampleReads(
  shape: string,
  url: string,
  samples: number,
  headers: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<ReadSample> {
  const latencies: number[] = [];
  const failures: string[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) }).catch((err: Error) => err);
    if (res instanceof Error) failures.push(res.name === 'TimeoutError' ? 'timeout' : 'network');
    else {
      await res.arrayBuffer(); // the latency includes reading the whole page
      if (res.status === 200) latencies.push(performance.now() - started);
      else failures.push(String(res.status));
    }
  }
  const p = percentiles(latencies, [50, 99]);
  return { shape, samples, p50Ms: p['p50']!, p99Ms: p['p99']!, errors: failures.length, failures };
}
