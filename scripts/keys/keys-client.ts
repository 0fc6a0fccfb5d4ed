import type { HttpTransport } from '@uap/client';

export const KEY_SCOPES = ['ingest', 'read', 'admin'] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];
/** What GET /api/v1/keys?status= filters by; `rotated` are the keys in their grace period or past it. */
export const KEY_STATUS_FILTERS = ['active', 'expired', 'revoked', 'rotated', 'all'] as const;
export type KeyStatusFilter = (typeof KEY_STATUS_FILTERS)[number];

export interface Actor {
  keyId: string | null;
  label: string | null;
}

/** A key as the API lists it: never its hash, never its secret. */
export interface KeyView {
  id: string;
  /** `uapk_<id>`, the non-secret start of a runtime key; null for an API_KEYS entry (only its hash is known). */
  prefix: string | null;
  label: string;
  scopes: KeyScope[];
  origin: 'bootstrap' | 'runtime';
  sourceId: string | null;
  createdAt: string | null;
  createdBy: Actor | null;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  /** The end of a rotated key's grace period. */
  endsAt: string | null;
  rotatedFrom: string | null;
  successorId: string | null;
  /** `expiring`: rotated, still valid until endsAt. */
  status: 'active' | 'expiring' | 'expired' | 'revoked';
}

export interface CreateKeyRequest {
  label: string;
  scopes: KeyScope[];
  sourceId?: string;
  expiresAt?: string;
}
/** The only answer that holds the secret: print it once, keep it nowhere. */
export interface CreatedKey {
  key: KeyView;
  secret: string;
  inForceBy: string;
}
export interface RotateKeyRequest {
  graceSeconds?: number;
  expiresAt?: string;
}
export interface RotatedKey extends CreatedKey {
  previous: KeyView;
}
export interface RevokedKey {
  key: KeyView;
  revokedAt: string;
  inForceBy: string;
}

export interface SourceView {
  id: string;
  name: string;
  status: 'active' | 'paused';
  /** Requests per minute per api replica, all the source's keys together; null: no limit of its own. */
  rateLimitPerMinute: number | null;
  /** null: every type the registry accepts. */
  allowedTypes: string[] | null;
  createdAt: string;
  updatedAt: string;
  createdBy: Actor;
  updatedBy: Actor;
  /** Active keys bound to it. */
  keys: number;
}
export interface CreateSourceRequest {
  id: string;
  name: string;
  status?: SourceView['status'];
  rateLimitPerMinute?: number | null;
  allowedTypes?: string[] | null;
}
/** PATCH: what is absent stays; null clears the rate limit or the type list. */
export type SourceChange = Partial<Pick<SourceView, 'name' | 'status' | 'rateLimitPerMinute' | 'allowedTypes'>>;
export interface ChangedSource {
  source: SourceView;
  inForceBy: string;
}

/** The key and source endpoints (admin scope), through the SDK's transport. */
export class KeysClient {
  constructor(private readonly transport: HttpTransport) {}

  listKeys(filter: { status?: KeyStatusFilter; sourceId?: string } = {}): Promise<{ keys: KeyView[] }> {
    return this.transport.getJson('/api/v1/keys', { status: filter.status, sourceId: filter.sourceId });
  }

  key(id: string): Promise<KeyView> {
    return this.transport.getJson(keyPath(id));
  }

  createKey(request: CreateKeyRequest): Promise<CreatedKey> {
    return this.transport.requestJson('/api/v1/keys', { method: 'POST', json: request });
  }

  rotateKey(id: string, request: RotateKeyRequest): Promise<RotatedKey> {
    return this.transport.requestJson(`${keyPath(id)}/rotate`, { method: 'POST', json: request });
  }

  revokeKey(id: string): Promise<RevokedKey> {
    return this.transport.requestJson(keyPath(id), { method: 'DELETE' });
  }

  listSources(): Promise<{ sources: SourceView[] }> {
    return this.transport.getJson('/api/v1/sources');
  }

  createSource(request: CreateSourceRequest): Promise<ChangedSource> {
    return this.transport.requestJson('/api/v1/sources', { method: 'POST', json: request });
  }

  changeSource(id: string, change: SourceChange): Promise<ChangedSource> {
    return this.transport.requestJson(`/api/v1/sources/${encodeURIComponent(id)}`, { method: 'PATCH', json: change });
  }
}

function keyPath(id: string): string {
  return `/api/v1/keys/${encodeURIComponent(id)}`;
}
