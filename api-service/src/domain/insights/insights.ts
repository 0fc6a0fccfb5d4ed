import type { ActivityType } from '@uap/shared/contract';
import type { InsightBucket, InsightValue, RankableField } from './insights-limits';

/** GET /api/v1/insights/active-users as parsed: each part optional, the use case fills the defaults. */
export interface ActiveUsersParams {
  from?: Date | undefined;
  to?: Date | undefined;
  bucket?: InsightBucket | undefined;
  types?: readonly ActivityType[] | undefined;
}

export interface ActiveUsers {
  /** Whole UTC days; from later than asked when retention clamped it. */
  from: Date;
  to: Date;
  bucket: InsightBucket;
  types?: readonly ActivityType[];
  /** Every calendar bucket meeting [from, to), empty ones included, clipped to it. */
  buckets: ReadonlyArray<{ start: Date; end: Date; users: number }>;
  /** Distinct users over [from, to). */
  total: number;
  /** Mean daily users over every day of [from, to), ÷ total (DAU/MAU for a month's range); 0 without users. */
  stickiness: number;
  exact: boolean;
  inexactReason?: string;
}

export interface TopValuesParams {
  field: string;
  from?: Date | undefined;
  to?: Date | undefined;
  types?: readonly ActivityType[] | undefined;
  userId?: string | undefined;
  limit?: number | undefined;
}

export interface TopValues {
  field: RankableField;
  from: Date;
  to: Date;
  types?: readonly ActivityType[];
  values: ReadonlyArray<{ value: InsightValue; count: number; share: number }>;
  /** Events in range whose field holds a string, number or boolean: the shares' denominator. */
  counted: number;
  /** How many different such values. */
  distinct: number;
  exact: true;
}

export interface FunnelParams {
  steps: string;
  within?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  userId?: string | undefined;
}

export interface FunnelStepResult {
  /** 1-based. */
  index: number;
  type: ActivityType;
  where?: Record<string, string>;
  users: number;
  conversionFromPrevious: number;
  conversionFromFirst: number;
  dropOff: number;
  medianMsFromPrevious?: number;
  p90MsFromPrevious?: number;
}

export interface Funnel {
  from: Date;
  to: Date;
  within: string;
  steps: readonly FunnelStepResult[];
  overallConversion: number;
  exact: true;
}
