import type { ActiveUsers, Funnel, InsightBucket, TopValues } from './api.types';
import { formatSteps, type FunnelStep } from './funnel-steps';

// What the Insights section computes before it draws: the range it asks for, the lines it plots and the
// words and widths of its bars. No DOM here, so each piece is unit-tested.

export type InsightsRange = '7d' | '30d' | '90d' | '365d';
export const INSIGHTS_RANGES: readonly InsightsRange[] = ['7d', '30d', '90d', '365d'];
export const DEFAULT_INSIGHTS_RANGE: InsightsRange = '30d';
const RANGE_DAYS: Record<InsightsRange, number> = { '7d': 7, '30d': 30, '90d': 90, '365d': 365 };
const DAY_MS = 86_400_000;

/**
 * The range every insight of the section asks for: the last N whole UTC days, today included (to = the next
 * UTC midnight). Whole days are what the API counts active users over anyway, and one range for the three
 * insights lets the lines, the lists and the funnel be read together.
 */
export function insightsRange(range: InsightsRange, now: number): { from: string; to: string } {
  const to = Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;
  return { from: new Date(to - RANGE_DAYS[range] * DAY_MS).toISOString(), to: new Date(to).toISOString() };
}

export const ACTIVE_USER_BUCKETS: readonly InsightBucket[] = ['day', 'week', 'month'];

/**
 * The three lines on one grid of days: DAU per day, and for each day the WAU of its week and the MAU of its
 * month (drawn as steps). x in seconds, as uPlot takes it.
 */
export function activeUsersSeries(
  day: ActiveUsers,
  week: ActiveUsers,
  month: ActiveUsers,
): { xs: number[]; dau: number[]; wau: number[]; mau: number[] } {
  const containing = (buckets: ActiveUsers['buckets'], at: number) =>
    buckets.find((bucket) => Date.parse(bucket.start) <= at && at < Date.parse(bucket.end))?.users ?? 0;
  const starts = day.buckets.map((bucket) => Date.parse(bucket.start));
  return {
    xs: starts.map((start) => start / 1000),
    dau: day.buckets.map((bucket) => bucket.users),
    wau: starts.map((start) => containing(week.buckets, start)),
    mau: starts.map((start) => containing(month.buckets, start)),
  };
}

/** The mean of the days' active users: the numerator of stickiness. */
export function meanDailyUsers(day: ActiveUsers): number {
  if (day.buckets.length === 0) return 0;
  return day.buckets.reduce((sum, bucket) => sum + bucket.users, 0) / day.buckets.length;
}

const percent = new Intl.NumberFormat('en', { style: 'percent', maximumFractionDigits: 2 });
/** 0.0914 → "9.14%" (the API rounds shares and conversions to 4 decimals). */
export const formatShare = (share: number): string => percent.format(share);

/** "45 s", "9 min", "1 h 30 min", "2 d 3 h": a time between funnel steps, to two units at most. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3_600],
    ['min', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  let rest = s;
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || parts.length > 0) parts.push(`${n} ${unit}`);
    if (parts.length === 2) break;
  }
  return parts.filter((part) => !part.startsWith('0 ')).join(' ');
}

/** A ranked value as the lists show it: strings as sent, numbers and booleans as their JSON. */
export function valueText(value: TopValues['values'][number]['value']): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The top endpoint's query for one of the section's lists. */
export function topQuery(
  field: string,
  type: string,
  range: { from: string; to: string },
  limit: number,
): Record<string, string | number> {
  return { field, type, ...range, limit };
}

/** The funnel endpoint's query. */
export function funnelQuery(
  steps: readonly FunnelStep[],
  within: string,
  range: { from: string; to: string },
): Record<string, string> {
  return { steps: formatSteps(steps), within, ...range };
}

/** A step's name as the bars label it: its type, and the equality it requires. */
export function stepLabel(step: Pick<Funnel['steps'][number], 'index' | 'type' | 'where'>): string {
  const where = Object.entries(step.where ?? {})
    .map(([path, value]) => `${path} = ${valueText(value)}`)
    .join(', ');
  return `${step.index}. ${step.type}${where ? ` where ${where}` : ''}`;
}

/** A bar's width: the step's users as a share of the first step's (0 when nobody entered). */
export function barWidth(users: number, first: number): number {
  return first === 0 ? 0 : Math.round((users / first) * 1000) / 10;
}
