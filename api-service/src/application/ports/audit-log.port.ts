import type { AuditOutcome } from '../../domain/audit-query';

export { AUDIT_OUTCOMES, type AuditOutcome } from '../../domain/audit-query';

/** Who made an admin change: the key that authenticated the request (both null when authentication is off). */
export interface AuditActor {
  keyId: string | null;
  label: string | null;
}

/** What a change was about; an erased user is named by the erasure's keyed hash, never by the id in clear. */
export interface AuditTarget {
  kind: string;
  id: string;
}

/** Plain values only, and never a secret: the audit trail is read by every admin key. */
export type AuditDetails = Record<string, string | number | boolean | string[]>;

/** One admin action, recorded once the request was answered. */
export interface AuditRecord {
  /** Time-ordered and unique (`<at ms, base36, padded>-<random>`): the store's _id, so appending again is a no-op. */
  id: string;
  at: Date;
  actor: AuditActor;
  /** E.g. `key.create`, `activity-type.put`, `user.erase` (declared per route and method). */
  action: string;
  target: AuditTarget | null;
  requestId: string;
  outcome: AuditOutcome;
  status: number;
  details: AuditDetails | null;
}

/** A record as the request left it; the audit trail gives it its id. */
export type AuditEntry = Omit<AuditRecord, 'id'>;

/** The keyset position a page resumes after: the last record of the previous page. */
export interface AuditPosition {
  at: Date;
  id: string;
}

export interface AuditQuery {
  action?: string;
  actorKeyId?: string;
  outcome?: AuditOutcome;
  targetId?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  limit: number;
  cursor?: AuditPosition;
}

/** The audit trail's store: append-only but for retention. */
export interface AuditLog {
  /** Idempotent on `id`: a retried append never makes a second record. */
  append(record: AuditRecord): Promise<void>;
  /** Newest first by (at, id), at most `limit`, strictly after `cursor` in that order. */
  list(query: AuditQuery): Promise<AuditRecord[]>;
  /** Deletes records older than `cutoff`; answers how many went. */
  deleteBefore(cutoff: Date): Promise<number>;
}
