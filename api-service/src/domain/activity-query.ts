import { EventIdSchema, type ActivityType } from '@uap/shared/contract';
import { decodeKeysetCursor, encodeKeysetCursor, fingerprintOf, type SortOrder } from './keyset-cursor';

export type { SortOrder } from './keyset-cursor';

export const QUERY_LIMITS = {
  defaultLimit: 20,
  maxLimit: 100,
  /** Deep offsets make the store skip (and read) every earlier row; past this, clients must use cursors. */
  maxOffsetRows: 10_000,
  /**
   * Distinct activity types one filter may name: the vocabulary is open, and the SQL reader scans once per
   * type, so a filter cannot be allowed to grow with it.
   */
  maxTypes: 50,
} as const;

/** What a list query selects. Every field is a plain typed value: nothing here can become a Mongo operator. */
export interface ActivityFilters {
  readonly userId?: string;
  /** Only this visitor's activities (the events carrying this anonymousId), whoever they were linked to. */
  readonly anonymousId?: string;
  /**
   * With userId, the user's history (GET /api/v1/users/{userId}/activities): the user's events, and those of these
   * anonymous ids (IdentityReader.linkedAnonymousIds) that name no other user. Resolved again for every page, so it
   * is not part of the fingerprint: a link stored between two pages widens the history instead of voiding the cursor.
   */
  readonly linkedAnonymousIds?: readonly string[];
  readonly types?: readonly ActivityType[];
  /** Only the events sent with a key bound to this source (ActivityEvent.sourceId); events without one never match. */
  readonly sourceId?: string;
  /** Inclusive lower bound on occurredAt. */
  readonly from?: Date;
  /** Exclusive upper bound on occurredAt. */
  readonly to?: Date;
}

/** The last row of a page in (occurredAt, eventId) order: the keyset a cursor resumes after. */
export interface KeysetPosition {
  readonly occurredAt: Date;
  readonly eventId: string;
}

export type Pagination =
  { readonly mode: 'cursor'; readonly cursor?: string } | { readonly mode: 'offset'; readonly page: number };

export interface ActivityListQuery {
  readonly filters: ActivityFilters;
  readonly sort: SortOrder;
  readonly limit: number;
  readonly pagination: Pagination;
}

/** Rows skipped before the page; the edge rejects pages whose last row lies past `maxOffsetRows`. */
export function offsetOf(page: number, limit: number): number {
  return (page - 1) * limit;
}

export const OFFSET_CAP_MESSAGE = `offset paging reaches at most ${QUERY_LIMITS.maxOffsetRows} rows (page x limit); use cursor paging (page.nextCursor) beyond that`;

export function isWithinOffsetCap(page: number, limit: number): boolean {
  return page * limit <= QUERY_LIMITS.maxOffsetRows;
}

/**
 * Same filters in any spelling (type order, duplicates, date offsets) give the same fingerprint. A user's history is
 * another query than the list filtered by that userId, so their cursors differ; the filters added since cursors were
 * first issued are appended only when set, so a cursor issued before them still fits its query.
 */
export function filterFingerprint(filters: ActivityFilters): string {
  return fingerprintOf([
    filters.userId ?? null,
    filters.types === undefined ? null : [...new Set(filters.types)].sort(),
    filters.from?.toISOString() ?? null,
    filters.to?.toISOString() ?? null,
    ...(filters.anonymousId === undefined ? [] : [{ anonymousId: filters.anonymousId }]),
    ...(filters.linkedAnonymousIds === undefined ? [] : ['history']),
    ...(filters.sourceId === undefined ? [] : [{ sourceId: filters.sourceId }]),
  ]);
}

export function encodeCursor(position: KeysetPosition, filters: ActivityFilters, sort: SortOrder): string {
  return encodeKeysetCursor({ time: position.occurredAt, id: position.eventId }, filterFingerprint(filters), sort);
}

export type CursorDecodeResult =
  | { readonly ok: true; readonly position: KeysetPosition }
  | { readonly ok: false; readonly reason: 'malformed' | 'filters-changed' | 'sort-changed' };

/** Decodes a cursor and checks it belongs to the query it is sent with. */
export function decodeCursor(cursor: string, filters: ActivityFilters, sort: SortOrder): CursorDecodeResult {
  const decoded = decodeKeysetCursor(cursor, filterFingerprint(filters), sort, EventIdSchema);
  return decoded.ok ? { ok: true, position: { occurredAt: decoded.key.time, eventId: decoded.key.id } } : decoded;
}

/** Keyset order: occurredAt, then eventId to break ties (many events share a millisecond). */
export function compareByKeyset(a: KeysetPosition, b: KeysetPosition, sort: SortOrder): number {
  const byTime = a.occurredAt.getTime() - b.occurredAt.getTime();
  const ascending = byTime !== 0 ? byTime : a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
  return sort === 'asc' || ascending === 0 ? ascending : -ascending;
}
