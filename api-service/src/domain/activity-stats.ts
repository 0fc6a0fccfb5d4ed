import {
  ACTIVITY_TYPE_NAME_PATTERN,
  BUILT_IN_ACTIVITY_TYPES,
  MS_PER_MINUTE,
  type ActivityType,
} from '@uap/shared/contract';

export const STATS_BUCKETS = ['minute', 'hour', 'day'] as const;
export type StatsBucket = (typeof STATS_BUCKETS)[number];

/** Buckets are fixed lengths from the Unix epoch: UTC minutes, hours and days, no zones and no DST. */
export const BUCKET_MS: Readonly<Record<StatsBucket, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

export const STATS_LIMITS = {
  /** Seven days of minutes; a longer range needs a coarser bucket. */
  maxBuckets: 10_080,
  defaultRangeMs: 24 * 3_600_000,
  /**
   * Events read one by one (a userId's or a sourceId's, or the partial minutes at unaligned ends) before the query is
   * refused.
   */
  maxEventsCounted: 100_000,
} as const;

export interface StatsQuery {
  readonly from: Date;
  readonly to: Date;
  readonly bucket: StatsBucket;
  readonly types?: readonly ActivityType[];
  readonly userId?: string;
  readonly sourceId?: string;
}

/**
 * `rollups`: the worker's per-minute counts (the partial minutes at unaligned ends counted from events).
 * `events`: counted from the stored events themselves (a userId or sourceId filter).
 */
export type StatsSource = 'rollups' | 'events';

export interface ActivityStats {
  readonly from: Date;
  readonly to: Date;
  readonly bucket: StatsBucket;
  /** The first bucket's start: the UTC bucket boundary at or before `from`. */
  readonly start: Date;
  /** Every bucket [from, to) touches, empty ones included: `series[type][i]` counts [start + i × bucket, + bucket). */
  readonly bucketCount: number;
  readonly types: readonly ActivityType[];
  /** One dense array of `bucketCount` counts per entry of `types`. */
  readonly series: Partial<Record<ActivityType, readonly number[]>>;
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

const BUILT_IN_ORDER = new Map<ActivityType, number>(BUILT_IN_ACTIVITY_TYPES.map((type, i) => [type, i]));

/**
 * The order stats list types in: the built-ins as declared, then every other type by name (code units, not
 * locale), so a dashboard's series keep their places whatever order the store returned them in.
 */
export function compareActivityTypes(a: ActivityType, b: ActivityType): number {
  const builtInA = BUILT_IN_ORDER.get(a);
  const builtInB = BUILT_IN_ORDER.get(b);
  if (builtInA !== undefined || builtInB !== undefined) {
    return (builtInA ?? Number.MAX_SAFE_INTEGER) - (builtInB ?? Number.MAX_SAFE_INTEGER);
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Adds counts into dense per-type arrays indexed by bucket, the shape of the answer itself: a day of minutes
 * from the rollups is 11,520 array additions, and the answer is a few numbers per bucket, not an object each.
 * Keyed by type name, so a type registered at runtime is counted like a built-in one.
 */
export class StatsTally {
  readonly start: number;
  readonly bucketCount: number;
  private readonly size: number;
  private readonly byType = new Map<ActivityType, number[]>();
  private readonly wanted: ReadonlySet<ActivityType> | undefined;

  constructor(
    from: Date,
    to: Date,
    readonly bucket: StatsBucket,
    readonly types?: readonly ActivityType[],
  ) {
    this.size = BUCKET_MS[bucket];
    this.start = floorTo(from, this.size).getTime();
    this.bucketCount = bucketCountOf(from, to, bucket);
    this.wanted = types === undefined ? undefined : new Set(types);
  }

  /** `at` must lie in the range the tally was made for: anything else is a reader's bug, so it throws. */
  add(at: Date | number, type: ActivityType, count = 1): void {
    if (count === 0 || (this.wanted !== undefined && !this.wanted.has(type))) return;
    const ms = typeof at === 'number' ? at : at.getTime();
    const index = Math.floor((ms - this.start) / this.size);
    if (index < 0 || index >= this.bucketCount) {
      throw new RangeError(`${new Date(ms).toISOString()} lies outside the ${this.bucketCount} buckets tallied`);
    }
    this.countsOf(type)[index]! += count;
  }

  /**
   * Adds minutes [first, end) of one hour's 60 per-minute counts (the rollups' rows): one lookup per row
   * instead of one per minute, which is most of a day-of-minutes request's own work.
   */
  addMinutes(hour: number, type: ActivityType, minutes: readonly number[], first: number, end: number): void {
    if ((this.wanted !== undefined && !this.wanted.has(type)) || first >= end) return;
    const from = hour + first * MS_PER_MINUTE;
    const last = hour + (end - 1) * MS_PER_MINUTE;
    if (from < this.start || Math.floor((last - this.start) / this.size) >= this.bucketCount) {
      throw new RangeError(
        `minutes of ${new Date(hour).toISOString()} lie outside the ${this.bucketCount} buckets tallied`,
      );
    }
    const counts = this.countsOf(type);
    for (let minute = first, at = from; minute < end; minute++, at += MS_PER_MINUTE) {
      counts[Math.floor((at - this.start) / this.size)]! += minutes[minute]!;
    }
  }

  result(): Pick<ActivityStats, 'start' | 'bucketCount' | 'types' | 'series' | 'totals' | 'total'> {
    const series: Partial<Record<ActivityType, readonly number[]>> = {};
    const totals: Partial<Record<ActivityType, number>> = {};
    const types: ActivityType[] = [];
    let total = 0;
    const candidates = new Set<ActivityType>([...this.byType.keys(), ...(this.wanted ?? [])]);
    for (const type of [...candidates].sort(compareActivityTypes)) {
      // No writer stores any other name; skipping one also keeps `__proto__` and the like out of the objects.
      if (!ACTIVITY_TYPE_NAME_PATTERN.test(type)) continue;
      const counts = this.byType.get(type);
      const sum = counts ? counts.reduce((a, b) => a + b, 0) : 0;
      if (sum === 0 && !this.wanted?.has(type)) continue;
      types.push(type);
      series[type] = counts ?? new Array<number>(this.bucketCount).fill(0);
      totals[type] = sum;
      total += sum;
    }
    return { start: new Date(this.start), bucketCount: this.bucketCount, types, series, totals, total };
  }

  private countsOf(type: ActivityType): number[] {
    let counts = this.byType.get(type);
    if (!counts) this.byType.set(type, (counts = new Array<number>(this.bucketCount).fill(0)));
    return counts;
  }
}
