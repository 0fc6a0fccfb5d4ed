import { MS_PER_DAY, type InsightBucket } from './insights-limits';

export function floorDay(ms: number): number {
  return Math.floor(ms / MS_PER_DAY) * MS_PER_DAY;
}

export function ceilDay(ms: number): number {
  return Math.ceil(ms / MS_PER_DAY) * MS_PER_DAY;
}

/** The UTC calendar bucket holding `ms`: its day's midnight, the Monday of its week, or the 1st of its month. */
export function bucketStartOf(ms: number, bucket: InsightBucket): number {
  const day = floorDay(ms);
  switch (bucket) {
    case 'day':
      return day;
    case 'week': {
      // 1970-01-01 was a Thursday: day n of the epoch is (n + 3) mod 7 days after a Monday.
      const days = day / MS_PER_DAY;
      return day - ((((days + 3) % 7) + 7) % 7) * MS_PER_DAY;
    }
    case 'month': {
      const at = new Date(ms);
      return Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1);
    }
  }
}

/** The start of the bucket after the one starting at `start`. */
export function nextBucketStart(start: number, bucket: InsightBucket): number {
  switch (bucket) {
    case 'day':
      return start + MS_PER_DAY;
    case 'week':
      return start + 7 * MS_PER_DAY;
    case 'month': {
      const at = new Date(start);
      return Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1);
    }
  }
}

export interface CalendarBucket {
  /** The calendar start, which may lie before the range's `from` (a week that began earlier). */
  calendarStart: number;
  /** The bucket clipped to [from, to). */
  start: number;
  end: number;
}

/** Every calendar bucket that meets [from, to), in order, each with its part of the range. */
export function calendarBuckets(from: number, to: number, bucket: InsightBucket): CalendarBucket[] {
  const buckets: CalendarBucket[] = [];
  for (let start = bucketStartOf(from, bucket); start < to; start = nextBucketStart(start, bucket)) {
    buckets.push({
      calendarStart: start,
      start: Math.max(start, from),
      end: Math.min(nextBucketStart(start, bucket), to),
    });
  }
  return buckets;
}
