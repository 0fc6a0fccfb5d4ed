import { createHash, timingSafeEqual } from 'node:crypto';
import { MAX_PRESENTED_KEY_LENGTH, findApiKey, type ApiKeyEntry, type ApiKeyOrigin, type ApiScope } from '../api-key';
import type { AccessRecord, KeyFact } from './access-record';
import type { KeyCheck, KeyRing } from './key-ring';
import { parseRuntimeKey, runtimeKeyPrefix } from './runtime-key';
import type { Actor, Source } from './source';

/** active; expiring: rotated, still in its grace period; expired: past expiresAt or its grace end; revoked. */
export type KeyStatus = 'active' | 'expiring' | 'expired' | 'revoked';

/** Everything the catalog knows of one key, bootstrap or runtime; never its hash. */
export interface AccessKey {
  id: string;
  origin: ApiKeyOrigin;
  /** `uapk_<id>` for a runtime key; null for a bootstrap key (only its hash is known). */
  prefix: string | null;
  label: string;
  scopes: ApiScope[];
  sourceId: string | null;
  createdAt: string | null;
  createdBy: Actor | null;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  revokedBy: Actor | null;
  /** When a rotated key stops being valid (the end of its grace period). */
  endsAt: string | null;
  rotatedFrom: string | null;
  successorId: string | null;
}

interface RuntimeKey {
  fact: KeyFact;
  entry: ApiKeyEntry;
  expiresAt: number | undefined;
}

interface Ending {
  at: string;
  atMs: number;
  successorId: string;
  by: Actor;
}

/**
 * The access log applied in offset order: runtime keys, their revocations, rotation ends and last uses, and the
 * sources. Each fact is kept in a map of its own and merged by a rule that does not depend on the order two
 * replicas' writes land in, nor on what compaction dropped: a revocation is sticky and its time the earliest
 * seen, a rotation ends at the earliest end, the last use is the latest. A fact for a key not (yet) known waits
 * in its map and applies when the key's record comes.
 *
 * As a KeyRing it accepts the bootstrap `API_KEYS` entries and the runtime keys, checking expiry and rotation
 * grace against the caller's clock on every call, so a replica that lost the log still stops an expired key.
 */
export class AccessCatalog implements KeyRing {
  /** The log offset after the last record applied. */
  position = 0;
  private readonly runtime = new Map<string, RuntimeKey>();
  private readonly revocations = new Map<string, { at: string; atMs: number; by: Actor }>();
  private readonly endings = new Map<string, Ending>();
  private readonly lastUses = new Map<string, number>();
  private readonly sourcesById = new Map<string, Source>();
  private readonly bootstrapById: Map<string, ApiKeyEntry>;

  constructor(
    private readonly bootstrap: readonly ApiKeyEntry[] = [],
    private readonly options: { onUse?: (keyId: string, now: number) => void } = {},
  ) {
    this.bootstrapById = new Map(bootstrap.map((entry) => [entry.id, entry]));
  }

  /** A record this replica cannot read (logged by the caller) still moves the position past it. */
  skip(offset: number): void {
    this.position = Math.max(this.position, offset + 1);
  }

  /** Applies one record at its offset; false when it changed nothing (a duplicate, an id already taken). */
  apply(record: AccessRecord, offset: number): boolean {
    this.position = Math.max(this.position, offset + 1);
    switch (record.kind) {
      case 'key':
        return this.applyKey(record.key);
      case 'key-revoked': {
        const at = Date.parse(record.at);
        const known = this.revocations.get(record.keyId);
        if (known !== undefined && known.atMs <= at) return false;
        this.revocations.set(record.keyId, { at: record.at, atMs: at, by: record.by });
        return true;
      }
      case 'key-ends': {
        const at = Date.parse(record.at);
        const known = this.endings.get(record.keyId);
        if (known !== undefined && known.atMs <= at) return false;
        this.endings.set(record.keyId, { at: record.at, atMs: at, successorId: record.successorId, by: record.by });
        return true;
      }
      case 'key-used': {
        const at = Date.parse(record.at);
        if ((this.lastUses.get(record.keyId) ?? -Infinity) >= at) return false;
        this.lastUses.set(record.keyId, at);
        return true;
      }
      case 'source':
        this.sourcesById.set(record.source.id, record.source);
        return true;
    }
  }

  authenticate(presented: string, now: number): KeyCheck {
    if (presented.length === 0 || presented.length > MAX_PRESENTED_KEY_LENGTH) return { ok: false, reason: 'unknown' };
    const parsed = parseRuntimeKey(presented);
    const key = parsed === undefined ? undefined : this.runtime.get(parsed.keyId);
    if (key === undefined) {
      // Not a runtime key this replica knows: the bootstrap keys, compared in constant time over all of them.
      const entry = findApiKey(presented, this.bootstrap);
      return entry === undefined ? { ok: false, reason: 'unknown' } : { ok: true, key: entry };
    }
    // The keyId is not secret, so finding the key by it leaks nothing; the secret is compared in constant time.
    const hash = createHash('sha256').update(presented, 'utf8').digest();
    if (!timingSafeEqual(hash, key.entry.hash)) return { ok: false, reason: 'unknown' };
    return this.validity(key, now);
  }

  byId(id: string, now: number): ApiKeyEntry | undefined {
    const bootstrap = this.bootstrapById.get(id);
    if (bootstrap !== undefined) return bootstrap;
    const key = this.runtime.get(id);
    if (key === undefined) return undefined;
    const check = this.validity(key, now);
    return check.ok ? check.key : undefined;
  }

  noteUse(keyId: string, now: number): void {
    this.options.onUse?.(keyId, now);
  }

  /** Every key, bootstrap ones first (in API_KEYS order), then runtime keys oldest first. */
  keys(): AccessKey[] {
    const runtime = [...this.runtime.values()].sort(
      (a, b) => a.fact.createdAt.localeCompare(b.fact.createdAt) || a.fact.id.localeCompare(b.fact.id),
    );
    return [...this.bootstrap.map((entry) => this.bootstrapKey(entry)), ...runtime.map((key) => this.runtimeKey(key))];
  }

  key(id: string): AccessKey | undefined {
    const bootstrap = this.bootstrapById.get(id);
    if (bootstrap !== undefined) return this.bootstrapKey(bootstrap);
    const key = this.runtime.get(id);
    return key === undefined ? undefined : this.runtimeKey(key);
  }

  /** How many runtime keys the log holds (for the start-up line), without building views. */
  runtimeKeyCount(): number {
    return this.runtime.size;
  }

  sources(): Source[] {
    return [...this.sourcesById.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  source(id: string): Source | undefined {
    return this.sourcesById.get(id);
  }

  private applyKey(fact: KeyFact): boolean {
    // A key's record is written once; another record under a known id is a stray write and changes nothing.
    if (this.runtime.has(fact.id) || this.bootstrapById.has(fact.id)) return false;
    const entry: ApiKeyEntry = {
      id: fact.id,
      hash: Buffer.from(fact.hash, 'hex'),
      scopes: new Set(fact.scopes),
      label: fact.label,
      origin: 'runtime',
      ...(fact.sourceId === undefined ? {} : { sourceId: fact.sourceId }),
    };
    this.runtime.set(fact.id, {
      fact,
      entry,
      expiresAt: fact.expiresAt === undefined ? undefined : Date.parse(fact.expiresAt),
    });
    return true;
  }

  /** Revoked wins; otherwise whichever of expiry and rotation end came first, once it has come. */
  private validity(key: RuntimeKey, now: number): KeyCheck {
    if (this.revocations.has(key.fact.id)) return { ok: false, reason: 'revoked' };
    const ends = this.endings.get(key.fact.id)?.atMs;
    const expires = key.expiresAt;
    const ended = ends !== undefined && ends <= now;
    const expired = expires !== undefined && expires <= now;
    if (ended && (!expired || ends <= expires)) return { ok: false, reason: 'rotated', at: new Date(ends) };
    if (expired) return { ok: false, reason: 'expired', at: new Date(expires) };
    return { ok: true, key: key.entry };
  }

  private bootstrapKey(entry: ApiKeyEntry): AccessKey {
    return {
      id: entry.id,
      origin: 'bootstrap',
      prefix: null,
      label: entry.label,
      scopes: [...entry.scopes],
      sourceId: null,
      createdAt: null,
      createdBy: null,
      lastUsedAt: this.lastUsedAt(entry.id),
      expiresAt: null,
      revokedAt: null,
      revokedBy: null,
      endsAt: null,
      rotatedFrom: null,
      successorId: null,
    };
  }

  private runtimeKey({ fact }: RuntimeKey): AccessKey {
    const revoked = this.revocations.get(fact.id);
    const ending = this.endings.get(fact.id);
    return {
      id: fact.id,
      origin: 'runtime',
      prefix: runtimeKeyPrefix(fact.id),
      label: fact.label,
      scopes: [...fact.scopes],
      sourceId: fact.sourceId ?? null,
      createdAt: fact.createdAt,
      createdBy: fact.createdBy,
      lastUsedAt: this.lastUsedAt(fact.id),
      expiresAt: fact.expiresAt ?? null,
      revokedAt: revoked?.at ?? null,
      revokedBy: revoked?.by ?? null,
      endsAt: ending?.at ?? null,
      rotatedFrom: fact.rotatedFrom ?? null,
      successorId: ending?.successorId ?? null,
    };
  }

  private lastUsedAt(id: string): string | null {
    const at = this.lastUses.get(id);
    return at === undefined ? null : new Date(at).toISOString();
  }
}

/** A key's status at `now`, by the same rules `authenticate` applies. */
export function keyStatusAt(key: AccessKey, now: number): KeyStatus {
  if (key.revokedAt !== null) return 'revoked';
  const ends = key.endsAt === null ? undefined : Date.parse(key.endsAt);
  const expires = key.expiresAt === null ? undefined : Date.parse(key.expiresAt);
  if ((ends !== undefined && ends <= now) || (expires !== undefined && expires <= now)) return 'expired';
  return ends === undefined ? 'active' : 'expiring';
}
