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

const TYPE_INDEX = new Map<ActivityType, number>(ACTIVITY_TYPES.map((type, i) => [type, i]));

/**
 * Adds counts into their buckets and types, then answers in bucket order with only non-empty buckets.
 * Per bucket one array indexed by type: a day of minutes is 11,520 additions on the request path.
 */
export class StatsTally {
  private readonly byBucket = new Map<number, number[]>();
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
    const start = ms - (((ms % this.size) + this.size) % this.size);
    let counts = this.byBucket.get(start);
    if (!counts) this.byBucket.set(start, (counts = new Array<number>(ACTIVITY_TYPES.length).fill(0)));
    counts[TYPE_INDEX.get(type)!]! += count;
  }

  result(): Pick<ActivityStats, 'types' | 'buckets' | 'totals' | 'total'> {
    const totals = new Array<number>(ACTIVITY_TYPES.length).fill(0);
    const buckets: StatsBucketCounts[] = [];
    for (const start of [...this.byBucket.keys()].sort((a, b) => a - b)) {
      const byType = this.byBucket.get(start)!;
      const counts: Partial<Record<ActivityType, number>> = {};
      let total = 0;
      byType.forEach((count, i) => {
        if (count === 0) return;
        counts[ACTIVITY_TYPES[i]!] = count;
        total += count;
        totals[i]! += count;
      });
      if (total > 0) buckets.push({ start: new Date(start), counts, total });
    }
    const types = ACTIVITY_TYPES.filter((type, i) => totals[i]! > 0 || this.types?.includes(type));
    const totalsRecord: Partial<Record<ActivityType, number>> = {};
    for (const type of types) totalsRecord[type] = totals[TYPE_INDEX.get(type)!]!;
    return { types, buckets, totals: totalsRecord, total: buckets.reduce((sum, b) => sum + b.total, 0) };
  }
}
