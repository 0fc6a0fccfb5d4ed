import type { ActivityType, SchemaViolation, SegmentFields } from '@uap/shared/contract';
import type { ActivityFilters, KeysetPosition, SortOrder } from '../../domain/activity-query';

/** An activity as stored by the worker, read back for clients. Dates stay Dates until the HTTP edge. */
export interface ActivityRecord {
  eventId: string;
  /** Who did it: the user, the anonymous visitor, or both (at least one, as on the event). */
  userId?: string;
  anonymousId?: string;
  type: ActivityType;
  occurredAt: Date;
  receivedAt: Date;
  persistedAt?: Date;
  /** Topic position of the copy the worker stored (absent on documents stored before it recorded one). */
  storedFrom?: { partition: number; offset: number };
  sessionId?: string;
  metadata: Record<string, unknown>;
  context: { ip?: string; userAgent?: string };
  schemaVersion: number;
  /** As on the event (ActivityEvent): absent on events stored before the registry, and when not set. */
  typeVersion?: number;
  planned?: false;
  violations?: SchemaViolation[];
  /** What a message of the Segment-compatible `/v1` surface carried beyond the activity, as sent. */
  segment?: SegmentFields;
  /** The source of the API key that sent it, when that key was bound to one. */
  sourceId?: string;
}

export interface PageRequest {
  filters: ActivityFilters;
  sort: SortOrder;
  /** Keyset mode: only rows strictly after this position in `sort` order. */
  after?: KeysetPosition;
  /** Offset mode: rows to skip. Never combined with `after`. */
  skip?: number;
  limit: number;
}

/** How many rows match: exact, or (when the reader stopped counting at `upTo`) a lower bound. */
export interface ActivityCount {
  total: number;
  exact: boolean;
}

/** Matching rows per type (types without any left out); `exact` as in ActivityCount, over all types together. */
export interface ActivityCountByType {
  counts: Partial<Record<ActivityType, number>>;
  exact: boolean;
}

/**
 * Read side of the activity store. Implementations order by (occurredAt, eventId) in `sort` direction
 * and reject with a retriable SERVICE_UNAVAILABLE DomainError when the store cannot answer.
 */
export interface ActivityReader {
  findPage(request: PageRequest): Promise<ActivityRecord[]>;
  /** May stop counting once `upTo` rows are found, answering `{ total: upTo, exact: false }`. */
  count(filters: ActivityFilters, upTo: number): Promise<ActivityCount>;
  /** One query however many types: may stop once `upTo` rows are found in all, answering `exact: false`. */
  countByType(filters: ActivityFilters, upTo: number): Promise<ActivityCountByType>;
  findByEventId(eventId: string): Promise<ActivityRecord | null>;
}
