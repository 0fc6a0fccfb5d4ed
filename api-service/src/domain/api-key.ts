import { createHash, timingSafeEqual } from 'node:crypto';

export const API_SCOPES = ['ingest', 'read', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** Where a key comes from: `API_KEYS` (fixed, never expires), or created through the API (the access log). */
export type ApiKeyOrigin = 'bootstrap' | 'runtime';

/** One known key: only its SHA-256 is known to the service, never the key itself. */
export interface ApiKeyEntry {
  /**
   * Short, non-secret id for logs, rate-limit buckets and the API: a bootstrap key's first 12 hex digits of its
   * hash, a runtime key's 16-hex keyId (the part of `uapk_<keyId>_<secret>` before the secret).
   */
  id: string;
  hash: Buffer;
  scopes: ReadonlySet<ApiScope>;
  /** A name for people: `API_KEYS #<n>` for the n-th bootstrap key, the creator's label for a runtime key. */
  label: string;
  origin: ApiKeyOrigin;
  /** The source a runtime key is bound to (its events carry it, its source's policy applies). */
  sourceId?: string;
}

/** Longer presented keys are refused without hashing; real keys are far shorter. */
export const MAX_PRESENTED_KEY_LENGTH = 256;

const HASH_HEX = /^[0-9a-f]{64}$/;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Parses `API_KEYS`: a comma list of `<sha256 hex>:<scope>[+<scope>]`, e.g. `9f86…:ingest+read,60303…:ingest`.
 * Returns the entries, or the problems found (one line each) so configuration fails with all of them.
 */
export function parseApiKeys(spec: string): { entries: ApiKeyEntry[]; problems: string[] } {
  const entries: ApiKeyEntry[] = [];
  const problems: string[] = [];
  const items = spec
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  items.forEach((item, index) => {
    const where = `entry ${index + 1}`;
    const [hashPart, scopePart, ...rest] = item.split(':');
    const hash = (hashPart ?? '').trim().toLowerCase();
    if (!HASH_HEX.test(hash)) {
      problems.push(`${where}: expected the SHA-256 of the key as 64 hex digits before ":"`);
      return;
    }
    if (scopePart === undefined || rest.length > 0) {
      problems.push(`${where}: expected <sha256>:<scopes> with scopes from ${API_SCOPES.join(', ')} joined by "+"`);
      return;
    }
    const scopes = scopePart.split('+').map((s) => s.trim());
    const unknown = scopes.filter((s) => !(API_SCOPES as readonly string[]).includes(s));
    if (unknown.length > 0 || scopes.length === 0) {
      problems.push(`${where}: unknown scope(s) "${unknown.join('+')}"; allowed: ${API_SCOPES.join(', ')}`);
      return;
    }
    if (entries.some((e) => e.hash.toString('hex') === hash)) {
      problems.push(`${where}: the same key hash is listed twice`);
      return;
    }
    entries.push({
      id: hash.slice(0, 12),
      hash: Buffer.from(hash, 'hex'),
      scopes: new Set(scopes as ApiScope[]),
      label: `API_KEYS #${index + 1}`,
      origin: 'bootstrap',
    });
  });
  return { entries, problems };
}

/**
 * Finds the entry for a presented key. The key is hashed once and compared with every configured
 * hash in constant time, without stopping at a match, so timing tells neither whether nor which key matched.
 */
export function findApiKey(presented: string, entries: readonly ApiKeyEntry[]): ApiKeyEntry | undefined {
  if (presented.length === 0 || presented.length > MAX_PRESENTED_KEY_LENGTH) return undefined;
  const hash = createHash('sha256').update(presented, 'utf8').digest();
  let found: ApiKeyEntry | undefined;
  for (const entry of entries) {
    const same = timingSafeEqual(hash, entry.hash);
    found = same && found === undefined ? entry : found;
  }
  return found;
}

/**
 * `admin` only, whatever the method: paths whose data may hold personal data in raw form (dead-letter payloads),
 * and the access control itself (keys, sources, the audit trail: even listing them tells who may do what).
 */
export const ADMIN_PATH_PREFIXES: readonly string[] = [
  '/api/v1/dead-letters',
  '/api/v1/erasures',
  '/api/v1/keys',
  '/api/v1/sources',
  '/api/v1/audit',
];
/** Erasing a user's activities is an admin act, though the path is the user's activity list. */
const ADMIN_DELETE = /^\/api\/v1\/users\/[^/]+\/activities\/?$/;

/** Registries anyone with `read` may read, and only `admin` may change. */
const ADMIN_WRITES_PREFIXES: readonly string[] = ['/api/v1/activity-types'];

/** POSTs that only read: a stream ticket lets a browser read the live stream. */
const READING_POSTS: readonly string[] = ['/api/v1/stream-tickets'];
/** Any caller may ask which scopes its key has (none without one): a page learns what to show, whatever the key. */
export const ANY_KEY_PATHS: readonly string[] = ['/api/v1/whoami'];

/**
 * Admin paths need `admin`; other reads need `read`; everything that writes needs `ingest` (the Segment surface's
 * `POST /v1/*` too: a write key is an API key with the ingest scope);
 * null: any valid key, or none (see ANY_KEY_PATHS).
 */
export function scopeFor(method: string, path: string): ApiScope | null {
  if (ANY_KEY_PATHS.includes(path)) return null;
  if (ADMIN_PATH_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))) return 'admin';
  if (READING_POSTS.includes(path)) return 'read';
  if (method.toUpperCase() === 'DELETE' && ADMIN_DELETE.test(path)) return 'admin';
  const m = method.toUpperCase();
  const reads = m === 'GET' || m === 'HEAD';
  if (!reads && ADMIN_WRITES_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`)))
    return 'admin';
  return reads ? 'read' : 'ingest';
}

export function hasScope(entry: ApiKeyEntry, scope: ApiScope | null): boolean {
  return scope === null || entry.scopes.has(scope);
}
