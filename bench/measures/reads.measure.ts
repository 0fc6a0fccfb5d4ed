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

export interface ReadShapeData {
  /** A stored event whose user, type and time the filtered shapes use. */
  sample: { userId: string; type: string; occurredAt: string };
  /** The (occurredAt, eventId) at which a client sits after `depth` rows of the unfiltered, newest-first walk. */
  keysetAt: { occurredAt: Date; eventId: string };
  depth: number;
}

/**
 * The read shapes as URLs: each first page at the default limit, the deep pages at limit 100.
 * `cursor` encodes `keysetAt` for the unfiltered, descending query.
 */
export function readShapes(base: string, data: ReadShapeData, cursor: string): Array<[string, string]> {
  const { sample, depth } = data;
  const at = Date.parse(sample.occurredAt);
  const from = encodeURIComponent(new Date(at - 3_600_000).toISOString());
  const to = encodeURIComponent(new Date(at + 3_600_000).toISOString());
  const other = sample.type === 'LOGIN' ? 'LOGOUT' : 'LOGIN';
  return [
    ['latest', `${base}`],
    ['type', `${base}?type=${sample.type}`],
    ['two types', `${base}?type=${sample.type},${other}`],
    ['range (2 h)', `${base}?from=${from}&to=${to}`],
    ['userId', `${base}?userId=${sample.userId}`],
    ['userId + type', `${base}?userId=${sample.userId}&type=${sample.type}`],
    ['userId + range', `${base}?userId=${sample.userId}&from=${from}&to=${to}`],
    [`keyset page at depth ${depth}`, `${base}?limit=100&cursor=${cursor}`],
    [`offset page at depth ${depth}`, `${base}?limit=100&page=${depth / 100}`],
  ];
}
