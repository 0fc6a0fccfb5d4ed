import type { KeyView, SourceView } from './keys-client';

/** Test fixture builders for the key and source documents of the API. */
export function aKeyView(overrides: Partial<KeyView> = {}): KeyView {
  const id = overrides.id ?? '0123456789abcdef';
  return {
    id,
    prefix: `uapk_${id}`,
    label: 'iOS app',
    scopes: ['ingest'],
    origin: 'runtime',
    sourceId: 'ios',
    createdAt: '2026-12-05T10:00:00.000Z',
    createdBy: { keyId: '9f86d081884c', label: 'API_KEYS #1' },
    lastUsedAt: null,
    expiresAt: null,
    revokedAt: null,
    endsAt: null,
    rotatedFrom: null,
    successorId: null,
    status: 'active',
    ...overrides,
  };
}

/** A key from API_KEYS: no source, no creation record, never expires. */
export function aBootstrapKey(overrides: Partial<KeyView> = {}): KeyView {
  return aKeyView({
    id: '9f86d081884c',
    prefix: null,
    label: 'API_KEYS #1',
    scopes: ['ingest', 'read', 'admin'],
    origin: 'bootstrap',
    sourceId: null,
    createdAt: null,
    createdBy: null,
    ...overrides,
  });
}

export function aSourceView(overrides: Partial<SourceView> = {}): SourceView {
  const by = { keyId: '9f86d081884c', label: 'API_KEYS #1' };
  return {
    id: 'ios',
    name: 'iOS app',
    status: 'active',
    rateLimitPerMinute: null,
    allowedTypes: null,
    createdAt: '2026-12-05T10:00:00.000Z',
    updatedAt: '2026-12-05T10:00:00.000Z',
    createdBy: by,
    updatedBy: by,
    keys: 1,
    ...overrides,
  };
}
