import type { ActivityType } from '@uap/shared/contract';
import type { InsightBucket, InsightValue, RankableField } from '../../domain/insights/insights-limits';

// The domain's words (buckets, rankable fields, scalar values), so the insights' rules and this port share them.
export type { InsightBucket, InsightValue, RankableField } from '../../domain/insights/insights-limits';

/** [from, to) on whole UTC days: both are midnights, to exclusive. */
export interface ActiveUsersRequest {
  from: Date;
  to: Date;
  bucket: InsightBucket;
  /** Only events of these types make a user active; absent: any type. */
  types?: readonly ActivityType[];
}

export interface BucketUsers {
  /** The bucket's start (a UTC midnight; a bucket that starts before `from` is reported at its calendar start). */
  start: Date;
  /** Distinct userIds with at least one event of the bucket inside [from, to). */
  users: number;
}

export interface ActiveUsersCounts {
  /** Per calendar bucket that meets [from, to) and has users, in order (the use case adds the empty ones). */
  buckets: readonly BucketUsers[];
  /** Per UTC day with users (the mean of these, over every day of the range, is the stickiness' numerator). */
  days: readonly BucketUsers[];
  /** Distinct userIds over all of [from, to). */
  total: number;
  /** False when the rollups answering do not count every stored event (RollupCoverage), with why. */
  exact: boolean;
  inexactReason?: string;
}

export interface TopValuesRequest {
  field: RankableField;
  from: Date;
  to: Date;
  types?: readonly ActivityType[];
  userId?: string;
  limit: number;
}

export interface TopValuesCounts {
  /**
   * The `limit` values with the most events, count descending, ties by the value's JSON text in byte order. A store
   * that cannot order ties so returns every value tied at the `limit`-th count as well, in any order; the use case
   * orders and cuts.
   */
  values: ReadonlyArray<{ value: InsightValue; count: number }>;
  /** Events in range whose field holds a string, number or boolean (the share's denominator). */
  counted: number;
  /** How many different such values. */
  distinct: number;
}

export interface FunnelEventsRequest {
  types: readonly ActivityType[];
  from: Date;
  to: Date;
  userId?: string;
  /** Metadata paths the steps compare (`metadata.query`); each event carries their values. */
  fields: readonly `metadata.${string}`[];
  /** Reject (return more than) past this many events: the store returns at most upTo + 1. */
  upTo: number;
}

/** One event with a userId (events with only an anonymousId take no part in a funnel). */
export interface FunnelEvent {
  userId: string;
  type: ActivityType;
  occurredAt: number;
  eventId: string;
  /** The requested fields' values, when the event holds a string, number or boolean there. */
  values: Readonly<Record<string, InsightValue>>;
}

/**
 * The store side of GET /api/v1/insights/*: exact answers over the stored events. Rejects with a retriable
 * SERVICE_UNAVAILABLE DomainError when the store cannot answer.
 */
export interface InsightsReader {
  activeUsers(request: ActiveUsersRequest): Promise<ActiveUsersCounts>;
  topValues(request: TopValuesRequest): Promise<TopValuesCounts>;
  /** The events of these types in [from, to), in any order; at most upTo + 1. */
  funnelEvents(request: FunnelEventsRequest): Promise<FunnelEvent[]>;
}
