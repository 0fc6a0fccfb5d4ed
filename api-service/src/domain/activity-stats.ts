import { ACTIVITY_TYPES, type ActivityType } from '@uap/shared';

export const STATS_BUCKETS = ['minute', 'hour', 'day'] as const;
export type StatsBucket = (typeof STATS_BUCKETS)[number];

/** Buckets are fixed lengths from the Unix epoch: UTC minutes, hours and days, no zones and no DST. */
export const BUCKET_MS: Readonly<Record<StatsBucket, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

export const STATS_LIMITS = {
  /** Seven days of minutes; a longer range needs a coarser bucket. */
  maxBuckets: 10_080,
  defaultRangeMs: 24 * 3_600_000,
  /** Events read one by one (a userId's, or the partial minutes at unaligned ends) before the query is refused. */
  maxEventsCounted: 100_000,
} as const;

export interface StatsQuery {
  readonly from: Date;
  readonly to: Date;
  readonly bucket: StatsBucket;
  readonly types?: readonly ActivityType[];
  readonly userId?: string;
}

export interface StatsBucketCounts {
  readonly start: Date;
  readonly counts: Partial<Record<ActivityType, number>>;
  readonly total: number;
}

/**
 * `rollups`: the worker's per-minute counts (the partial minutes at unaligned ends counted from events).
 * `events`: counted from the stored events themselves (a userId filter).
 */
export type StatsSource = 'rollups' | 'events';

export interface ActivityStats {
  readonly from: Date;
  readonly to: Date;
  readonly bucket: StatsBucket;
  readonly types: readonly ActivityType[];
  readonly buckets: readonly StatsBucketCounts[];
  readonly totals: Partial<Record<ActivityType, number>>;
  readonly total: number;
  readonly source: StatsSource;
  /** False when the rollups do not cover every stored event (see `inexactReason`). */
  readonly exact: boolean;
  readonly inexactReason?: string;
}

export function floorTo(at: Date, unitMs: number): Date {
  return new Date(Math.floor(at.getTime() / unitMs) * unitMs);
}

export function ceilTo(at: Date, unitMs: number): Date {
  return new Date(Math.ceil(at.getTime() / unitMs) * unitMs);
}

/** How many buckets [from, to) touches, partial first and last included. */
export function bucketCountOf(from: Date, to: Date, bucket: StatsBucket): number {
  if (to <= from) return 0;
  const size = BUCKET_MS[bucket];
  return Math.floor((to.getTime() - 1) / size) - Math.floor(from.getTime() / size) + 1;
}

/** Adds counts into their buckets and types, then answers in bucket order with only non-empty buckets. */
export class StatsTally {
  private readonly byBucket = new Map<number, Map<ActivityType, number>>();
  private readonly size: number;

  constructor(
    readonly bucket: StatsBucket,
    readonly types?: readonly ActivityType[],
  ) {
    this.size = BUCKET_MS[bucket];
  }

  wants(type: ActivityType): boolean {
    return this.types === undefined || this.types.includes(type);
  }

  add(at: Date | number, type: ActivityType, count = 1): void {
    if (count === 0 || !this.wants(type)) return;
    const ms = typeof at === 'number' ? at : at.getTime();
    const start = Math.floor(ms / this.size) * this.size;
    let counts = this.byBucket.get(start);
    if (!counts) this.byBucket.set(start, (counts = new Map()));
    counts.set(type, (counts.get(type) ?? 0) + count);
  }

  result(): Pick<ActivityStats, 'types' | 'buckets' | 'totals' | 'total'> {
    const totals = new Map<ActivityType, number>();
    const buckets: StatsBucketCounts[] = [...this.byBucket.keys()]
      .sort((a, b) => a - b)
      .map((start) => {
        const counts: Partial<Record<ActivityType, number>> = {};
        let total = 0;
        for (const type of ACTIVITY_TYPES) {
          const count = this.byBucket.get(start)!.get(type);
          if (count === undefined) continue;
          counts[type] = count;
          total += count;
          totals.set(type, (totals.get(type) ?? 0) + count);
        }
        return { start: new Date(start), counts, total };
      });
    const types = ACTIVITY_TYPES.filter((type) => totals.has(type) || this.types?.includes(type));
    const totalsRecord: Partial<Record<ActivityType, number>> = {};
    for (const type of types) totalsRecord[type] = totals.get(type) ?? 0;
    return { types, buckets, totals: totalsRecord, total: buckets.reduce((sum, b) => sum + b.total, 0) };
  }
}
