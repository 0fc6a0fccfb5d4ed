import { z } from 'zod';
import { decodeKeysetCursor, encodeKeysetCursor, fingerprintOf } from './keyset-cursor';

export const AUDIT_LIMITS = { defaultLimit: 50, maxLimit: 200 } as const;

/** How an audited request ended: 2xx/3xx success, 403 denied, any other 4xx/5xx failure. */
export const AUDIT_OUTCOMES = ['success', 'failure', 'denied'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export function auditOutcomeOf(status: number): AuditOutcome {
  if (status === 403) return 'denied';
  return status < 400 ? 'success' : 'failure';
}

/** `key.create`, `activity-type.put`, `dead-letters.replay-cancel`: a noun, a dot, a verb (lower case, dashes). */
export const AUDIT_ACTION_PATTERN = /^[a-z][a-z0-9-]{0,39}(\.[a-z][a-z0-9-]{0,39}){1,2}$/;
/** `<at in ms, base36, 9 digits>-<12 hex>`: sorts by time, unique without coordination between replicas. */
export const AUDIT_ID_PATTERN = /^[0-9a-z]{9}-[0-9a-f]{12}$/;
/** A key id (bootstrap: 12 hex, runtime: 16 hex); looser, so that a filter never depends on the key format. */
export const AUDIT_KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Type names, source ids, key ids, job ids and erasure hashes (base64url) all fit. */
export const AUDIT_TARGET_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export const AuditIdSchema = z.string().regex(AUDIT_ID_PATTERN);

/** The audit id of a record made at `at`, with `random` (6 bytes, hex) telling apart two in the same millisecond. */
export function auditIdOf(at: Date, random: string): string {
  return `${at.getTime().toString(36).padStart(9, '0')}-${random}`;
}

export interface AuditFilters {
  readonly action?: string;
  readonly actorKeyId?: string;
  readonly outcome?: AuditOutcome;
  readonly targetId?: string;
  /** Inclusive. */
  readonly from?: Date;
  /** Exclusive. */
  readonly to?: Date;
}

export interface AuditCursorPosition {
  readonly at: Date;
  readonly id: string;
}

/** Newest first, always: the listing has no sort parameter. */
const ORDER = 'desc';

// Tagged, so that a cursor of another listing (whose filters may look alike) is refused here.
const fingerprint = (filters: AuditFilters) =>
  fingerprintOf([
    'audit',
    filters.action ?? null,
    filters.actorKeyId ?? null,
    filters.outcome ?? null,
    filters.targetId ?? null,
    filters.from?.getTime() ?? null,
    filters.to?.getTime() ?? null,
  ]);

export function encodeAuditCursor(position: AuditCursorPosition, filters: AuditFilters): string {
  return encodeKeysetCursor({ time: position.at, id: position.id }, fingerprint(filters), ORDER);
}

export type AuditCursorResult =
  | { readonly ok: true; readonly position: AuditCursorPosition }
  | { readonly ok: false; readonly reason: 'malformed' | 'filters-changed' };

/** Decodes a cursor and checks it belongs to the listing with these filters. */
export function decodeAuditCursor(cursor: string, filters: AuditFilters): AuditCursorResult {
  const decoded = decodeKeysetCursor(cursor, fingerprint(filters), ORDER, AuditIdSchema);
  if (decoded.ok) return { ok: true, position: { at: decoded.key.time, id: decoded.key.id } };
  return { ok: false, reason: decoded.reason === 'filters-changed' ? 'filters-changed' : 'malformed' };
}
