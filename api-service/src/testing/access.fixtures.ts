import type { ApiScope } from '../domain/api-key';
import type { AccessRecord, KeyFact } from '../domain/access/access-record';
import { generateRuntimeKey } from '../domain/access/runtime-key';
import type { Actor, Source } from '../domain/access/source';

export const AN_ADMIN: Actor = { keyId: '0123456789ab', label: 'API_KEYS #1' };

/** A fresh runtime key: its secret (to present) and its `key` record (to apply or write). */
export function aRuntimeKey(overrides: Partial<Omit<KeyFact, 'id' | 'hash'>> & { scopes?: ApiScope[] } = {}): {
  secret: string;
  id: string;
  record: Extract<AccessRecord, { kind: 'key' }>;
} {
  const key = generateRuntimeKey();
  return {
    secret: key.secret,
    id: key.keyId,
    record: {
      kind: 'key',
      key: {
        id: key.keyId,
        label: 'test key',
        scopes: ['ingest'],
        hash: key.hash,
        createdAt: '2026-01-01T00:00:00.000Z',
        createdBy: AN_ADMIN,
        ...overrides,
      },
    },
  };
}

export function aSource(overrides: Partial<Source> = {}): Source {
  return {
    id: 'web',
    name: 'Web app',
    status: 'active',
    rateLimitPerMinute: null,
    allowedTypes: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    createdBy: AN_ADMIN,
    updatedBy: AN_ADMIN,
    ...overrides,
  };
}

export const aRevocation = (keyId: string, at = '2026-01-02T00:00:00.000Z'): AccessRecord => ({
  kind: 'key-revoked',
  keyId,
  at,
  by: AN_ADMIN,
});

export const anEnding = (keyId: string, at: string, successorId = 'ffffffffffffffff'): AccessRecord => ({
  kind: 'key-ends',
  keyId,
  at,
  successorId,
  by: AN_ADMIN,
});
