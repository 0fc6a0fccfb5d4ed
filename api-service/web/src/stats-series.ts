import type { ActivityStats, Bucket } from './api.types';

const BUCKET_SECONDS: Record<Bucket, number> = { minute: 60, hour: 3_600, day: 86_400 };

/** The series uPlot draws: x in seconds, one y array per type, every bucket of the range (empty ones as 0). */
export function toSeries(stats: ActivityStats, types: readonly string[]): { xs: number[]; ys: number[][] } {
  const size = BUCKET_SECONDS[stats.bucket];
  const counts = new Map<number, Record<string, number>>();
  for (const bucket of stats.buckets) counts.set(Date.parse(bucket.start) / 1000, bucket.counts);
  const grid = new Set<number>(counts.keys());
  const to = Date.parse(stats.to) / 1000;
  // Bucket starts are whole multiples of their size in UTC (midnight is one for days), so the grid is too.
  for (let t = Math.floor(Date.parse(stats.from) / 1000 / size) * size; t < to; t += size) grid.add(t);
  const xs = [...grid].sort((a, b) => a - b);
  return { xs, ys: types.map((type) => xs.map((x) => counts.get(x)?.[type] ?? 0)) };
}
