import type { ActivityStats, Bucket } from './api.types';

const BUCKET_SECONDS: Record<Bucket, number> = { minute: 60, hour: 3_600, day: 86_400 };

/** The series uPlot draws: x in seconds, one y array per type (zeros for a type the answer does not list). */
export function toSeries(stats: ActivityStats, types: readonly string[]): { xs: number[]; ys: number[][] } {
  const size = BUCKET_SECONDS[stats.bucket];
  const first = Date.parse(stats.start) / 1000;
  const xs = Array.from({ length: stats.bucketCount }, (_, i) => first + i * size);
  const series: Partial<Record<string, number[]>> = stats.series;
  return { xs, ys: types.map((type) => series[type] ?? new Array<number>(stats.bucketCount).fill(0)) };
}
