import type { ActivityType, DeadLetterRecord, DeadLetterStatus } from '@uap/shared/contract';
import { z } from 'zod';
import { decodeKeysetCursor, encodeKeysetCursor, fingerprintOf } from './keyset-cursor';

/** `<dlq partition>-<dlq offset>`, as the worker's indexer writes it. */
export const LETTER_ID_PATTERN = /^[0-9]{1,10}-[0-9]{1,19}$/;
export const LetterIdSchema = z.string().regex(LETTER_ID_PATTERN, 'must be a dead-letter id like 0-42');
/** dlq-reason values are short slugs (invalid-json, store-rejected, unknown, …). */
export const REASON_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

export const DEAD_LETTER_QUERY_LIMITS = { defaultLimit: 20, maxLimit: 100 } as const;

/** What a dead-letter query selects; plain typed values only, like the activity filters. */
export interface DeadLetterFilters {
  readonly reason?: string;
  readonly type?: ActivityType;
  readonly userId?: string;
  /** Only the letters of events sent with a key bound to this source. */
  readonly sourceId?: string;
  readonly statuses?: readonly DeadLetterStatus[];
  /** Inclusive lower bound on failedAt. */
  readonly from?: Date;
  /** Exclusive upper bound on failedAt. */
  readonly to?: Date;
}

/** The last letter of a page, newest first: the keyset a cursor resumes after. */
export interface LetterPosition {
  readonly failedAt: Date;
  readonly letterId: string;
}

function fingerprint(filters: DeadLetterFilters): string {
  return fingerprintOf([
    'dead-letters',
    filters.reason ?? null,
    filters.type ?? null,
    filters.userId ?? null,
    filters.statuses === undefined ? null : [...new Set(filters.statuses)].sort(),
    filters.from?.toISOString() ?? null,
    filters.to?.toISOString() ?? null,
    // Last, and only when set: the cursors issued before this filter existed stay valid.
    ...(filters.sourceId === undefined ? [] : [filters.sourceId]),
  ]);
}

export function encodeLetterCursor(position: LetterPosition, filters: DeadLetterFilters): string {
  return encodeKeysetCursor({ time: position.failedAt, id: position.letterId }, fingerprint(filters), 'desc');
}

export function decodeLetterCursor(
  cursor: string,
  filters: DeadLetterFilters,
): LetterPosition | 'malformed' | 'filters-changed' {
  const decoded = decodeKeysetCursor(cursor, fingerprint(filters), 'desc', LetterIdSchema);
  if (!decoded.ok) return decoded.reason === 'filters-changed' ? 'filters-changed' : 'malformed';
  return { failedAt: decoded.key.time, letterId: decoded.key.id };
}

/** Whether a letter matches the filters; the store applies the same rules, this is for in-memory checks. */
export function matchesLetter(filters: DeadLetterFilters, letter: DeadLetterRecord): boolean {
  return (
    (filters.reason === undefined || letter.reason === filters.reason) &&
    (filters.type === undefined || letter.type === filters.type) &&
    (filters.userId === undefined || letter.userId === filters.userId) &&
    (filters.sourceId === undefined || letter.sourceId === filters.sourceId) &&
    (filters.statuses === undefined || filters.statuses.includes(letter.status)) &&
    (filters.from === undefined || letter.failedAt >= filters.from) &&
    (filters.to === undefined || letter.failedAt < filters.to)
  );
}
