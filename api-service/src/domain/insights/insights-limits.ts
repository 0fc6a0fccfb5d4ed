/** Calendar buckets, UTC: a day, a week from Monday, a month from its 1st. */
export const INSIGHT_BUCKETS = ['day', 'week', 'month'] as const;
export type InsightBucket = (typeof INSIGHT_BUCKETS)[number];

/** A scalar stored value: what top values rank and funnel steps compare. */
export type InsightValue = string | number | boolean;

export const MS_PER_DAY = 86_400_000;

/** Events a funnel reads at most (from [from, to + within)); past it the request is refused, never sampled. */
export const FUNNEL_MAX_EVENTS = 1_000_000;

export const INSIGHTS_LIMITS = {
  /** Active users: at most this many whole UTC days (a leap year). */
  maxRangeDays: 366,
  activeUsersDefaultDays: 30,
  topDefaultRangeMs: 24 * 3_600_000,
  topDefaultLimit: 25,
  topMaxLimit: 100,
  funnelDefaultRangeMs: 7 * MS_PER_DAY,
  funnelMinSteps: 2,
  funnelMaxSteps: 10,
  /** Distinct metadata paths the steps compare, over all steps: the store reads each of them per event. */
  funnelMaxPaths: 10,
  /** The `steps` parameter's length, brackets and values included. */
  funnelStepsMaxLength: 2048,
  funnelMinWithinMs: 60_000,
  funnelMaxWithinMs: 90 * MS_PER_DAY,
  funnelDefaultWithin: 'P7D',
  funnelMaxEvents: FUNNEL_MAX_EVENTS,
} as const;

/**
 * A metadata path as rankable fields and funnel steps name it: `metadata.` then 1-4 identifier segments (no array
 * index, no `$`): the same shape as the registry's RANKABLE_FIELD_PATTERN, which a test holds it to.
 */
export const METADATA_PATH_SOURCE = 'metadata(?:\\.[A-Za-z_][A-Za-z0-9_]{0,63}){1,4}';
export const METADATA_PATH_PATTERN = new RegExp(`^${METADATA_PATH_SOURCE}$`);

/** What GET /api/v1/insights/top may rank, syntactically; which metadata paths it may is the registry's call. */
export const RANKABLE_FIELD_SYNTAX = new RegExp(`^(?:userId|type|${METADATA_PATH_SOURCE})$`);

export type MetadataPath = `metadata.${string}`;
export type RankableField = 'userId' | 'type' | MetadataPath;

export function isMetadataPath(field: string): field is MetadataPath {
  return METADATA_PATH_PATTERN.test(field);
}

/** Shares and conversions: four decimals, so a client never renders 0.30000000000000004. */
export function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

/** `numerator / denominator` to four decimals; 0 when the denominator is 0. */
export function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : round4(numerator / denominator);
}
