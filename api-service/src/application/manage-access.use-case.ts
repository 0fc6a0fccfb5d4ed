import { keyStatusAt, type AccessKey, type KeyStatus } from '../domain/access/access-catalog';
import type { AccessRecord, KeyFact } from '../domain/access/access-record';
import { generateRuntimeKey, type GeneratedRuntimeKey } from '../domain/access/runtime-key';
import type { Actor, Source, SourceStatus } from '../domain/access/source';
import type { ApiScope } from '../domain/api-key';
import { DomainError } from '../domain/domain-error';
import type { AccessRegistry } from './ports/access-registry.port';
import type { DeadLetterStore } from './ports/dead-letter-store.port';

/** A key as the API shows it: never its hash, and the secret only in the answer that created it. */
export type KeyView = Omit<AccessKey, 'revokedBy'> & { status: KeyStatus };
/**
 * What a source's keys sent. accepted/refused: events this api replica answered since `since` (its start), as
 * `uap_source_events_total` counts them; null when it does not count (METRICS_ENABLED=false). deadLettered: its
 * letters in the dead-letter index, whatever their status, over every replica and restart; null when the index
 * did not answer, and in the answer of a write (which never waits for the store).
 */
export interface SourceCounts {
  accepted: number | null;
  refused: number | null;
  deadLettered: number | null;
  since: string | null;
}
/** A source with the number of its keys that are valid now, and what its keys sent. */
export type SourceView = Source & { keys: number; counts: SourceCounts };

/** This replica's events per source (its metrics counters), counted from `since`; sources with none are absent. */
export interface SourceEventCounts {
  since: Date;
  bySource(): Promise<ReadonlyMap<string, { accepted: number; refused: number }>>;
}

/** `active`: valid now (active or in its rotation grace); `rotated`: has a successor, in grace or past it. */
export const KEY_LIST_FILTERS = ['active', 'expired', 'revoked', 'rotated', 'all'] as const;
export type KeyListFilter = (typeof KEY_LIST_FILTERS)[number];

/** The longest rotation grace a request may ask for: 30 days. */
export const MAX_GRACE_SECONDS = 30 * 24 * 3600;

export interface NewKey {
  label: string;
  scopes: ApiScope[];
  sourceId?: string | undefined;
  expiresAt?: Date | undefined;
}

export interface Rotation {
  /** How long the old key keeps working; default: the configured grace. */
  graceSeconds?: number | undefined;
  /** The successor's expiry; default: the old key's. */
  expiresAt?: Date | undefined;
}

export interface NewSource {
  id: string;
  name: string;
  status?: SourceStatus | undefined;
  rateLimitPerMinute?: number | null | undefined;
  allowedTypes?: string[] | null | undefined;
}

/** PATCH: an absent field keeps its value; null clears the limit or the allowed types. */
export type SourcePatch = Partial<Pick<Source, 'name' | 'status' | 'rateLimitPerMinute' | 'allowedTypes'>>;

/** When every current api replica enforces the write (the registry's answer). */
interface InForce {
  inForceBy: Date;
}

export interface ManageAccessConfig {
  /** KEY_ROTATION_GRACE_SECONDS: how long a rotated key keeps working when the request does not say. */
  rotationGraceSeconds: number;
}

/**
 * Keys and sources, changed through the access log. Each change is decided here against this replica's catalog,
 * then appended as facts the catalog merges order-independently (access-record.ts): the answer comes once this
 * replica applied them, with the time by which every replica enforces them. The secret of a new key exists only
 * in the answer: the log keeps its SHA-256.
 *
 * Two admins changing the same thing at the same moment are not serialized: two rotations of one key make two
 * successors (the old key ends at the earlier end), two creations of one source id leave the later one. Both are
 * admin mistakes with a visible, safe outcome, so no compare-and-set is paid for them.
 */
export class ManageAccessUseCase {
  private readonly now: () => Date;
  private readonly generateKey: () => GeneratedRuntimeKey;

  constructor(
    private readonly config: ManageAccessConfig,
    private readonly deps: {
      registry: AccessRegistry;
      /** Absent: accepted and refused are null (this replica does not count them). */
      sourceEvents?: SourceEventCounts;
      /** Absent: deadLettered is null. */
      deadLetters?: Pick<DeadLetterStore, 'countsBySource'>;
      now?: () => Date;
      generateKey?: () => GeneratedRuntimeKey;
    },
  ) {
    this.now = deps.now ?? (() => new Date());
    this.generateKey = deps.generateKey ?? (() => generateRuntimeKey());
  }

  listKeys(filter: { status?: KeyListFilter | undefined; sourceId?: string | undefined } = {}): KeyView[] {
    const now = this.now().getTime();
    const wanted = filter.status ?? 'all';
    return this.catalog.keys().flatMap((key) => {
      const view = toKeyView(key, now);
      if (filter.sourceId !== undefined && view.sourceId !== filter.sourceId) return [];
      return matches(view, wanted) ? [view] : [];
    });
  }

  showKey(id: string): KeyView {
    return toKeyView(this.existingKey(id), this.now().getTime());
  }

  async createKey(input: NewKey, actor: Actor): Promise<{ key: KeyView; secret: string } & InForce> {
    const now = this.now();
    this.checkExpiry(input.expiresAt, now);
    this.checkSource(input.sourceId);
    const generated = this.newKey();
    const fact = keyFact(generated, {
      label: input.label,
      scopes: input.scopes,
      sourceId: input.sourceId,
      expiresAt: input.expiresAt?.toISOString(),
      createdAt: now.toISOString(),
      createdBy: actor,
    });
    const { inForceBy } = await this.deps.registry.write([{ kind: 'key', key: fact }]);
    return { key: this.showKey(generated.keyId), secret: generated.secret, inForceBy };
  }

  /**
   * A successor with the old key's label, scopes and source (and its expiry unless given); the old key keeps
   * working until the grace ends. The successor's record is written before the old key's end, in one append, so
   * no replica sees the old key ending without its successor.
   */
  async rotateKey(
    id: string,
    rotation: Rotation,
    actor: Actor,
  ): Promise<{ key: KeyView; secret: string; previous: KeyView } & InForce> {
    const now = this.now();
    const old = this.existingKey(id);
    if (old.origin === 'bootstrap') throw bootstrapKey(id, 'rotated');
    const status = keyStatusAt(old, now.getTime());
    if (status !== 'active') {
      const why = old.successorId !== null ? `was already rotated (successor ${old.successorId})` : `is ${status}`;
      throw new DomainError('KEY_NOT_ROTATABLE', `Key ${id} ${why}: only an active key can be rotated`);
    }
    this.checkExpiry(rotation.expiresAt, now);
    const expiresAt = rotation.expiresAt?.toISOString() ?? old.expiresAt ?? undefined;
    const graceMs = (rotation.graceSeconds ?? this.config.rotationGraceSeconds) * 1000;
    const generated = this.newKey();
    const successor = keyFact(generated, {
      label: old.label,
      scopes: old.scopes,
      sourceId: old.sourceId ?? undefined,
      expiresAt,
      createdAt: now.toISOString(),
      createdBy: actor,
      rotatedFrom: old.id,
    });
    const ends: AccessRecord = {
      kind: 'key-ends',
      keyId: old.id,
      at: new Date(now.getTime() + graceMs).toISOString(),
      successorId: generated.keyId,
      by: actor,
    };
    const { inForceBy } = await this.deps.registry.write([{ kind: 'key', key: successor }, ends]);
    return { key: this.showKey(generated.keyId), secret: generated.secret, previous: this.showKey(id), inForceBy };
  }

  /**
   * Idempotent: revoking a revoked key writes its first revocation time again, so the answer (and what compaction
   * keeps, the latest record of the fact) is always the first revokedAt.
   */
  async revokeKey(id: string, actor: Actor): Promise<{ key: KeyView; revokedAt: string } & InForce> {
    const key = this.existingKey(id);
    if (key.origin === 'bootstrap') throw bootstrapKey(id, 'revoked');
    const at = key.revokedAt ?? this.now().toISOString();
    const { inForceBy } = await this.deps.registry.write([{ kind: 'key-revoked', keyId: id, at, by: actor }]);
    const view = this.showKey(id);
    return { key: view, revokedAt: view.revokedAt ?? at, inForceBy };
  }

  /** One read of this replica's counters and one grouped count of the dead-letter index, however many sources. */
  async listSources(): Promise<SourceView[]> {
    const keys = this.validKeysBySource();
    const countsOf = await this.sourceCounts();
    return this.catalog
      .sources()
      .map((source) => ({ ...source, keys: keys.get(source.id) ?? 0, counts: countsOf(source.id) }));
  }

  async showSource(id: string): Promise<SourceView> {
    return this.sourceView(id, true);
  }

  /** A write's answer never waits for the store: pausing a source must work while the store is away. */
  private async sourceView(id: string, withDeadLetters: boolean): Promise<SourceView> {
    const source = this.existingSource(id);
    const countsOf = await this.sourceCounts(id, withDeadLetters);
    return { ...source, keys: this.validKeysBySource().get(id) ?? 0, counts: countsOf(id) };
  }

  async createSource(input: NewSource, actor: Actor): Promise<{ source: SourceView } & InForce> {
    if (this.catalog.source(input.id) !== undefined) {
      throw new DomainError(
        'SOURCE_EXISTS',
        `Source ${input.id} exists: change it with PATCH /api/v1/sources/${input.id}`,
      );
    }
    const at = this.now().toISOString();
    const source: Source = {
      id: input.id,
      name: input.name,
      status: input.status ?? 'active',
      rateLimitPerMinute: input.rateLimitPerMinute ?? null,
      allowedTypes: input.allowedTypes ?? null,
      createdAt: at,
      updatedAt: at,
      createdBy: actor,
      updatedBy: actor,
    };
    const { inForceBy } = await this.deps.registry.write([{ kind: 'source', source }]);
    return { source: await this.sourceView(input.id, false), inForceBy };
  }

  async updateSource(id: string, patch: SourcePatch, actor: Actor): Promise<{ source: SourceView } & InForce> {
    const current = this.existingSource(id);
    const source: Source = {
      ...current,
      name: patch.name ?? current.name,
      status: patch.status ?? current.status,
      // null is a value here (no limit, every type): only an absent field keeps the current one.
      rateLimitPerMinute:
        patch.rateLimitPerMinute === undefined ? current.rateLimitPerMinute : patch.rateLimitPerMinute,
      allowedTypes: patch.allowedTypes === undefined ? current.allowedTypes : patch.allowedTypes,
      updatedAt: this.now().toISOString(),
      updatedBy: actor,
    };
    const { inForceBy } = await this.deps.registry.write([{ kind: 'source', source }]);
    return { source: await this.sourceView(id, false), inForceBy };
  }

  /** The counts of every source, or of `only`'s: each store asked once (the dead-letter index only if asked). */
  private async sourceCounts(only?: string, withDeadLetters = true): Promise<(sourceId: string) => SourceCounts> {
    const { sourceEvents } = this.deps;
    const deadLetters = withDeadLetters ? this.deps.deadLetters : undefined;
    const [events, letters] = await Promise.all([
      sourceEvents?.bySource(),
      // Sources stay readable, and pausable, while the store is away: only this count goes missing.
      deadLetters?.countsBySource(only).catch(() => undefined),
    ]);
    const since = sourceEvents?.since.toISOString() ?? null;
    return (sourceId) => ({
      accepted: events ? (events.get(sourceId)?.accepted ?? 0) : null,
      refused: events ? (events.get(sourceId)?.refused ?? 0) : null,
      deadLettered: letters ? (letters.get(sourceId) ?? 0) : null,
      since,
    });
  }

  private get catalog() {
    return this.deps.registry.catalog;
  }

  private existingKey(id: string): AccessKey {
    const key = this.catalog.key(id);
    if (key === undefined) throw new DomainError('KEY_NOT_FOUND', `There is no API key ${id}`);
    return key;
  }

  private existingSource(id: string): Source {
    const source = this.catalog.source(id);
    if (source === undefined) throw new DomainError('SOURCE_NOT_FOUND', `There is no source ${id}`);
    return source;
  }

  private checkExpiry(expiresAt: Date | undefined, now: Date): void {
    if (expiresAt === undefined || expiresAt > now) return;
    throw new DomainError('VALIDATION_FAILED', 'The key would be expired at once', {
      errors: [{ path: 'expiresAt', message: 'must be in the future', rule: 'key-expiry' }],
    });
  }

  private checkSource(sourceId: string | undefined): void {
    if (sourceId === undefined || this.catalog.source(sourceId) !== undefined) return;
    throw new DomainError('UNKNOWN_SOURCE', `There is no source ${sourceId}: create it first (POST /api/v1/sources)`, {
      errors: [{ path: 'sourceId', message: `no source ${sourceId}`, rule: 'known-source' }],
    });
  }

  /** 64 random bits make a clash unlikely, not impossible; a taken id would be refused by every catalog. */
  private newKey(): GeneratedRuntimeKey {
    for (;;) {
      const generated = this.generateKey();
      if (this.catalog.key(generated.keyId) === undefined) return generated;
    }
  }

  private validKeysBySource(): Map<string, number> {
    const now = this.now().getTime();
    const counts = new Map<string, number>();
    for (const key of this.catalog.keys()) {
      if (key.sourceId === null || !matches(toKeyView(key, now), 'active')) continue;
      counts.set(key.sourceId, (counts.get(key.sourceId) ?? 0) + 1);
    }
    return counts;
  }
}

function toKeyView(key: AccessKey, now: number): KeyView {
  const { revokedBy: _omitted, ...view } = key;
  return { ...view, status: keyStatusAt(key, now) };
}

function matches(view: KeyView, filter: KeyListFilter): boolean {
  switch (filter) {
    case 'all':
      return true;
    case 'active':
      return view.status === 'active' || view.status === 'expiring';
    case 'rotated':
      return view.successorId !== null;
    default:
      return view.status === filter;
  }
}

function bootstrapKey(id: string, what: 'rotated' | 'revoked'): DomainError {
  return new DomainError(
    'BOOTSTRAP_KEY',
    `Key ${id} comes from API_KEYS and cannot be ${what} here: change API_KEYS and restart the api replicas`,
  );
}

function keyFact(
  generated: GeneratedRuntimeKey,
  fields: Omit<KeyFact, 'id' | 'hash' | 'sourceId' | 'expiresAt' | 'rotatedFrom'> & {
    sourceId?: string | undefined;
    expiresAt?: string | undefined;
    rotatedFrom?: string | undefined;
  },
): KeyFact {
  const { sourceId, expiresAt, rotatedFrom, ...rest } = fields;
  // Absent, not undefined: the record is JSON and its schema has no nulls for these.
  return {
    id: generated.keyId,
    hash: generated.hash,
    ...rest,
    ...(sourceId === undefined ? {} : { sourceId }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
    ...(rotatedFrom === undefined ? {} : { rotatedFrom }),
  };
}
