import { findApiKey, type ApiKeyEntry } from '../api-key';

export type KeyFailure = 'unknown' | 'expired' | 'revoked' | 'rotated';

export type KeyCheck = { ok: true; key: ApiKeyEntry } | { ok: false; reason: KeyFailure; at?: Date };

/** The keys a replica accepts, as the auth middleware asks about them. */
export interface KeyRing {
  /**
   * Constant-time in the secret; `now` decides expiry and rotation grace. A failure for an expired or rotated
   * key carries `at`, when it stopped being valid (the 401 says so).
   */
  authenticate(presented: string, now: number): KeyCheck;
  /** A currently valid key by id (stream tickets name their key by id). */
  byId(id: string, now: number): ApiKeyEntry | undefined;
  /** Called on every successful authentication (last-used tracking; must be O(1), no I/O). */
  noteUse?(keyId: string, now: number): void;
}

/** The `API_KEYS` entries alone (tests, and any wiring without the access log): they never expire. */
export function staticKeyRing(entries: readonly ApiKeyEntry[]): KeyRing {
  return {
    authenticate: (presented) => {
      const key = findApiKey(presented, entries);
      return key === undefined ? { ok: false, reason: 'unknown' } : { ok: true, key };
    },
    byId: (id) => entries.find((entry) => entry.id === id),
  };
}
