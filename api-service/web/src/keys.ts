import type { KeyStatusFilter, KeyView, Scope, SourceView } from './api.types';

/** What the key list filters by (GET /api/v1/keys?status=), the first being the default the URL leaves out. */
export const KEY_STATUS_FILTERS: readonly KeyStatusFilter[] = ['active', 'rotated', 'revoked', 'expired', 'all'];
export const DEFAULT_KEY_STATUS: KeyStatusFilter = 'active';
export const KEY_STATUS_LABELS: Readonly<Record<KeyStatusFilter, string>> = {
  active: 'active keys',
  rotated: 'rotated keys',
  revoked: 'revoked keys',
  expired: 'expired keys',
  all: 'all keys',
};
export const SCOPES: readonly Scope[] = ['ingest', 'read', 'admin'];

export function isKeyStatusFilter(value: string | null): value is KeyStatusFilter {
  return (KEY_STATUS_FILTERS as readonly string[]).includes(value ?? '');
}

/** How long a rotated key keeps working; '' leaves it to the api (KEY_ROTATION_GRACE_SECONDS). */
export const GRACE_CHOICES: ReadonlyArray<{ value: string; label: string }> = [
  { value: '', label: 'the default grace period' },
  { value: '0', label: 'no time: refused at once' },
  { value: '3600', label: '1 hour' },
  { value: '86400', label: '1 day' },
  { value: '604800', label: '7 days' },
  { value: '2592000', label: '30 days' },
];

/** The rotate request for a grace choice: only what was chosen. */
export function rotateRequest(grace: string): { graceSeconds?: number } {
  return grace === '' ? {} : { graceSeconds: Number(grace) };
}

/** How a key is named: its prefix, or for an API_KEYS entry (whose prefix is unknown) its id. */
export function keyName(key: Pick<KeyView, 'id' | 'prefix'>): string {
  return key.prefix ?? key.id;
}

/** What may be done to a key from the page: API_KEYS entries change in the configuration only. */
export function keyActions(key: Pick<KeyView, 'origin' | 'status'>): Array<'rotate' | 'revoke'> {
  if (key.origin === 'bootstrap') return [];
  if (key.status === 'active') return ['rotate', 'revoke'];
  // A rotated key in its grace period can still be cut short.
  return key.status === 'expiring' ? ['revoke'] : [];
}

/** The status cell: a rotated key says until when it works, an API_KEYS entry where it comes from. */
export function keyStatusText(key: Pick<KeyView, 'origin' | 'status' | 'endsAt'>, time: (iso: string) => string) {
  if (key.status === 'expiring') return key.endsAt ? `rotated, works until ${time(key.endsAt)}` : 'rotated';
  return key.origin === 'bootstrap' && key.status === 'active' ? 'active (API_KEYS)' : key.status;
}

export interface KeyDraft {
  label: string;
  scopes: readonly string[];
  sourceId: string;
  /** An ISO instant, or null when none was given (or the field did not parse). */
  expiresAt: string | null;
}
export interface CreateKeyRequest {
  label: string;
  scopes: Scope[];
  sourceId?: string;
  expiresAt?: string;
}

/** The create request for the form as filled, or what is wrong with it (said before asking the api). */
export function createKeyRequest(draft: KeyDraft, now: number): { request: CreateKeyRequest } | { problem: string } {
  const label = draft.label.trim();
  if (label.length === 0 || label.length > 100) return { problem: 'The label needs 1 to 100 characters.' };
  const scopes = SCOPES.filter((scope) => draft.scopes.includes(scope));
  if (scopes.length === 0) return { problem: 'Choose at least one scope.' };
  if (draft.expiresAt !== null && Date.parse(draft.expiresAt) <= now) {
    return { problem: 'The expiry must lie in the future.' };
  }
  return {
    request: {
      label,
      scopes,
      ...(draft.sourceId ? { sourceId: draft.sourceId } : {}),
      ...(draft.expiresAt === null ? {} : { expiresAt: draft.expiresAt }),
    },
  };
}

export function rateLimitText(source: Pick<SourceView, 'rateLimitPerMinute'>): string {
  return source.rateLimitPerMinute === null ? 'none' : `${source.rateLimitPerMinute} / min`;
}

export function allowedTypesText(source: Pick<SourceView, 'allowedTypes'>): string {
  return source.allowedTypes === null ? 'all types' : source.allowedTypes.join(', ') || 'none';
}

/**
 * The accepted, refused and dead-lettered cells of a source: '–' where the api could not say (the replica does not
 * count, METRICS_ENABLED=false, or the dead-letter index did not answer), never a 0 it does not know.
 */
export function sourceCountCells(counts: SourceView['counts'], format: (n: number) => string): string[] {
  return [counts.accepted, counts.refused, counts.deadLettered].map((n) => (n === null ? '–' : format(n)));
}

/** For the caption: since when the replica that answered has counted accepted and refused. */
export function countedSinceText(sources: ReadonlyArray<Pick<SourceView, 'counts'>>, time: (iso: string) => string) {
  const since = sources.find((source) => source.counts.since !== null)?.counts.since;
  if (since) return `since it started (${time(since)})`;
  return sources.length === 0 ? 'since it started' : '(not counted: its metrics are off)';
}
