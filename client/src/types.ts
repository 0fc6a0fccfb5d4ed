import type { ActivityEvent, ActivityInput, ActivityType } from '@uap/shared/contract';

// Type-only imports: the contract's types come from @uap/shared at build time and vanish from the
// emitted JavaScript, so the SDK carries no server code at runtime. client/src/contract.test.ts holds
// the response shapes below to the api's own zod schemas.

/**
 * What track() takes: the ingest contract; eventId and occurredAt are filled in when absent. It needs `userId`,
 * `anonymousId` (a visitor not known yet) or both: an IDENTIFY carrying both links the anonymous id to the user.
 */
export type TrackEvent = ActivityInput;
export type { ActivityType };

/** A stored activity as the read endpoints return it; older stored events may carry an older schemaVersion. */
export type Activity = Omit<ActivityEvent, 'schemaVersion'> & { schemaVersion: number; persistedAt?: string };

export interface CursorPage {
  limit: number;
  nextCursor: string | null;
  hasMore: boolean;
}

export interface ActivityPage {
  data: Activity[];
  page: CursorPage;
}

export interface BatchAccepted {
  accepted: number;
  eventIds: string[];
  /** One per event; absent when the api runs with RECEIPTS_ENABLED=false. */
  receipts?: string[];
  consistencyToken: string;
}

export interface ReceiptStatus {
  eventId: string;
  status: 'pending' | 'persisted' | 'duplicate' | 'dead_lettered';
  acceptedAt: string;
  topic: string;
  partition: number;
  offset: number;
  behind?: number;
  persistedAt?: string;
  storedFrom?: { partition: number; offset: number };
  reason?: string;
  deadLetterId?: string;
  checkedAt: string;
}

export interface PartitionFreshness {
  partition: number;
  committed: number;
  end: number;
  lag: number;
  watermark: string | null;
  /** It has lag and the group's committed offset on it has not moved for longer than the api's STALL_AFTER_MS. */
  stalled: boolean;
  /** While stalled: when its committed offset was last seen to move; else null. */
  stalledSince: string | null;
}

export interface Freshness {
  /** When the broker was asked. */
  at: string;
  refreshMs: number;
  topic: string;
  group: string;
  /** Events accepted but not yet processed, over all partitions. */
  lag: number;
  /** Every event accepted before this time is processed. */
  watermark: string | null;
  worst: PartitionFreshness | null;
  /** The stalled partitions, longest stalled first. */
  stalled: number[];
  partitions: PartitionFreshness[];
}

/** RFC 9457 problem details, as every API error is answered. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId?: string;
  /** One per invalid field; `rule` names a rule beyond the schema (see x-rules-beyond-schema in the OpenAPI). */
  errors?: { path: string; message: string; rule?: string }[];
  errorCount?: number;
}

/** Filters of the list endpoint (GET /api/v1/activities); `cursor` and `page` are the iterator's business. */
export interface ListQuery {
  userId?: string;
  /** Only an anonymous visitor's activities (those that carry this anonymousId). */
  anonymousId?: string;
  type?: ActivityType | ActivityType[];
  /** Inclusive lower bound on occurredAt (ISO-8601 with offset, or a Date). */
  from?: string | Date;
  /** Exclusive upper bound on occurredAt. */
  to?: string | Date;
  sort?: 'desc' | 'asc';
  /** Page size, 1-100 (default 20): how many activities each request fetches. */
  limit?: number;
}

export interface StreamFilters {
  userId?: string;
  anonymousId?: string;
  type?: ActivityType | ActivityType[];
}

/** What identify() takes besides the userId. */
export interface IdentifyOptions {
  /** The visitor's id from before it was known: its events, earlier and later, become the user's. */
  anonymousId?: string;
  /** Who the user is (name, plan…): the user's profile merges them, later identifies winning per key. */
  traits?: Record<string, unknown>;
  occurredAt?: string;
  sessionId?: string;
}

export type StreamMessage =
  | { kind: 'activity'; id: string; activity: Activity }
  /** The server dropped `count` activities because this client read too slowly. */
  | { kind: 'dropped'; count: number }
  /** The resume position was older than the server keeps: the stream restarts at `id`, with a gap. */
  | { kind: 'reset'; id: string; reason: string };
