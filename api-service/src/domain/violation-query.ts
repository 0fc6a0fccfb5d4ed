import { EventIdSchema, type ActivityType, type FlagKind } from '@uap/shared/contract';
import type { KeysetPosition } from './activity-query';
import { decodeKeysetCursor, encodeKeysetCursor, fingerprintOf } from './keyset-cursor';

/**
 * What the violations listing calls each kind of stored violation: `unplanned`, a type the registry did not plan
 * that the unplanned policy let in; `flagged`, metadata that broke its type's schema, accepted and flagged.
 */
export const VIOLATION_KINDS = ['unplanned', 'flagged'] as const;
export type ViolationKind = (typeof VIOLATION_KINDS)[number];

/** The stored marker (FLAGGED_FIELD in the contract) of each kind. */
export const FLAG_OF_KIND: Readonly<Record<ViolationKind, FlagKind>> = { unplanned: 'unplanned', flagged: 'metadata' };

export const VIOLATION_LIMITS = { defaultLimit: 50, maxLimit: 100 } as const;

/** What the listing selects among the stored violations; both plain typed values. */
export interface ViolationFilters {
  readonly type?: ActivityType;
  readonly kind?: ViolationKind;
}

export interface ViolationListQuery {
  readonly filters: ViolationFilters;
  readonly limit: number;
  readonly cursor?: string;
}

/** Newest first, always: the listing has no sort parameter, and its cursors say `desc`. */
const ORDER = 'desc';

// Tagged, so that a cursor of the activity list (whose filters may look alike) is refused here, and the reverse.
const fingerprint = (filters: ViolationFilters) =>
  fingerprintOf(['violations', filters.type ?? null, filters.kind ?? null]);

export function encodeViolationCursor(position: KeysetPosition, filters: ViolationFilters): string {
  return encodeKeysetCursor({ time: position.occurredAt, id: position.eventId }, fingerprint(filters), ORDER);
}

export type ViolationCursorResult =
  | { readonly ok: true; readonly position: KeysetPosition }
  | { readonly ok: false; readonly reason: 'malformed' | 'filters-changed' };

/** Decodes a cursor and checks it belongs to the listing with these filters. */
export function decodeViolationCursor(cursor: string, filters: ViolationFilters): ViolationCursorResult {
  const decoded = decodeKeysetCursor(cursor, fingerprint(filters), ORDER, EventIdSchema);
  if (decoded.ok) return { ok: true, position: { occurredAt: decoded.key.time, eventId: decoded.key.id } };
  // A cursor of another order cannot have been issued by this listing.
  return { ok: false, reason: decoded.reason === 'filters-changed' ? 'filters-changed' : 'malformed' };
}
