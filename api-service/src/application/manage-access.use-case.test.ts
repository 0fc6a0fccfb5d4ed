import { aDeadLetterRecord } from '@uap/shared/testing';
import { hashApiKey, parseApiKeys } from '../domain/api-key';
import { domainErrorOf } from '../testing/domain-error-of';
import { InMemoryAccessRegistry } from '../testing/in-memory-access.registry';
import { InMemoryDeadLetterStore } from '../testing/in-memory-dead-letters';
import { ManageAccessUseCase, type SourceEventCounts } from './manage-access.use-case';

const T0 = Date.parse('2026-12-06T08:00:00.000Z');
const ADMIN = { keyId: 'a1b2c3d4e5f6', label: 'API_KEYS #1' };
const GRACE_SECONDS = 3600;
const BOOTSTRAP_KEY = 'bootstrap-secret-for-tests';

function setUp() {
  const clock = { now: T0 };
  const { entries } = parseApiKeys(`${hashApiKey(BOOTSTRAP_KEY)}:ingest+read+admin`);
  const registry = new InMemoryAccessRegistry(entries, () => clock.now);
  const access = new ManageAccessUseCase(
    { rotationGraceSeconds: GRACE_SECONDS },
    { registry, now: () => new Date(clock.now) },
  );
  const bootstrapId = entries[0]!.id;
  return { clock, registry, access, bootstrapId };
}

const aKey = { label: 'web app', scopes: ['ingest' as const] };

describe('ManageAccessUseCase: creating keys', () => {
  it('when a key is created, then its secret is answered once, and the log keeps only its hash', async () => {
    const { registry, access } = setUp();

    const { key, secret, inForceBy } = await access.createKey(aKey, ADMIN);

    expect(secret).toMatch(/^uapk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(key).toMatchObject({
      id: secret.slice(5, 21),
      prefix: `uapk_${secret.slice(5, 21)}`,
      label: 'web app',
      scopes: ['ingest'],
      origin: 'runtime',
      sourceId: null,
      createdAt: new Date(T0).toISOString(),
      createdBy: ADMIN,
      expiresAt: null,
      status: 'active',
    });
    expect(key).not.toHaveProperty('hash');
    expect(inForceBy).toEqual(new Date(T0));
    expect(registry.log).toEqual([{ kind: 'key', key: expect.objectContaining({ hash: hashApiKey(secret) }) }]);
    expect(JSON.stringify(registry.log)).not.toContain(secret.slice(22));
    expect(registry.catalog.authenticate(secret, T0)).toMatchObject({ ok: true, key: { id: key.id } });
  });

  it('when a key is created for a source with an expiry, then both are on the key', async () => {
    const { access } = setUp();
    await access.createSource({ id: 'web', name: 'Web' }, ADMIN);
    const expiresAt = new Date(T0 + 86_400_000);

    const { key } = await access.createKey({ ...aKey, sourceId: 'web', expiresAt }, ADMIN);

    expect(key).toMatchObject({ sourceId: 'web', expiresAt: expiresAt.toISOString() });
  });

  it('when the source does not exist, then it is UNKNOWN_SOURCE and nothing is written', async () => {
    const { registry, access } = setUp();

    const err = await domainErrorOf(access.createKey({ ...aKey, sourceId: 'ios' }, ADMIN));

    expect(err.code).toBe('UNKNOWN_SOURCE');
    expect(err.errors).toEqual([{ path: 'sourceId', message: 'no source ios', rule: 'known-source' }]);
    expect(registry.log).toEqual([]);
  });

  it.each([
    ['now', 0],
    ['in the past', -1000],
  ])('when expiresAt is %s, then it is a validation error naming the rule', async (_label, offset) => {
    const { access } = setUp();

    const err = await domainErrorOf(access.createKey({ ...aKey, expiresAt: new Date(T0 + offset) }, ADMIN));

    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.errors).toEqual([expect.objectContaining({ path: 'expiresAt', rule: 'key-expiry' })]);
  });

  it('when the generator repeats an id already taken, then another is drawn', async () => {
    const { registry, clock } = setUp();
    const ids = ['00000000000000aa', '00000000000000aa', '00000000000000bb'];
    const access = new ManageAccessUseCase(
      { rotationGraceSeconds: GRACE_SECONDS },
      {
        registry,
        now: () => new Date(clock.now),
        generateKey: () => {
          const keyId = ids.shift()!;
          const secret = `uapk_${keyId}_${'x'.repeat(43)}`;
          return { keyId, secret, hash: hashApiKey(secret), prefix: `uapk_${keyId}` };
        },
      },
    );

    const first = await access.createKey(aKey, ADMIN);
    const second = await access.createKey(aKey, ADMIN);

    expect([first.key.id, second.key.id]).toEqual(['00000000000000aa', '00000000000000bb']);
  });
});

describe('ManageAccessUseCase: listing keys', () => {
  it('when keys are listed, then the bootstrap keys come first, then the runtime keys, none with a hash', async () => {
    const { access, bootstrapId } = setUp();
    const { key } = await access.createKey(aKey, ADMIN);

    const keys = access.listKeys();

    expect(keys.map((k) => [k.id, k.origin, k.status])).toEqual([
      [bootstrapId, 'bootstrap', 'active'],
      [key.id, 'runtime', 'active'],
    ]);
    expect(keys[0]).toMatchObject({ prefix: null, label: 'API_KEYS #1', createdAt: null, sourceId: null });
    for (const view of keys) expect(view).not.toHaveProperty('hash');
  });

  it('when a status or source filter is given, then only the keys matching it are listed', async () => {
    const { access, clock, bootstrapId } = setUp();
    await access.createSource({ id: 'web', name: 'Web' }, ADMIN);
    const bound = (await access.createKey({ ...aKey, sourceId: 'web' }, ADMIN)).key.id;
    const revoked = (await access.createKey(aKey, ADMIN)).key.id;
    await access.revokeKey(revoked, ADMIN);
    const expiring = (await access.createKey({ ...aKey, expiresAt: new Date(T0 + 1000) }, ADMIN)).key.id;
    const rotated = (await access.createKey(aKey, ADMIN)).key.id;
    const successor = (await access.rotateKey(rotated, {}, ADMIN)).key.id;
    clock.now = T0 + 2000;

    // Runtime keys are listed oldest first, then by id: these share one instant, so the order is the ids'.
    const ids = (status?: 'active' | 'expired' | 'revoked' | 'rotated' | 'all', sourceId?: string) =>
      access
        .listKeys({ status, sourceId })
        .map((k) => k.id)
        .sort();

    expect(ids('active')).toEqual([bootstrapId, bound, rotated, successor].sort());
    expect(ids('expired')).toEqual([expiring]);
    expect(ids('revoked')).toEqual([revoked]);
    expect(ids('rotated')).toEqual([rotated]);
    expect(ids('all')).toEqual(ids());
    expect(ids(undefined, 'web')).toEqual([bound]);
    expect(ids('revoked', 'web')).toEqual([]);
  });

  it('when an unknown key is asked for, then it is KEY_NOT_FOUND', async () => {
    const { access } = setUp();

    expect(() => access.showKey('0123456789abcdef')).toThrow(expect.objectContaining({ code: 'KEY_NOT_FOUND' }));
  });
});

describe('ManageAccessUseCase: rotating keys', () => {
  it('when a key is rotated, then the successor inherits it and both work until the grace ends', async () => {
    const { access, registry, clock } = setUp();
    await access.createSource({ id: 'web', name: 'Web' }, ADMIN);
    const expiresAt = new Date(T0 + 30 * 86_400_000).toISOString();
    const old = await access.createKey(
      { label: 'backend', scopes: ['ingest', 'read'], sourceId: 'web', expiresAt: new Date(expiresAt) },
      ADMIN,
    );
    clock.now = T0 + 1000;

    const rotated = await access.rotateKey(old.key.id, {}, ADMIN);

    const endsAt = new Date(T0 + 1000 + GRACE_SECONDS * 1000).toISOString();
    expect(rotated.key).toMatchObject({
      label: 'backend',
      scopes: ['ingest', 'read'],
      sourceId: 'web',
      expiresAt,
      rotatedFrom: old.key.id,
      status: 'active',
    });
    expect(rotated.secret).not.toBe(old.secret);
    expect(rotated.previous).toMatchObject({ id: old.key.id, endsAt, successorId: rotated.key.id, status: 'expiring' });
    expect(rotated.inForceBy).toEqual(new Date(T0 + 1000));
    expect(registry.log.slice(-2).map((r) => r.kind)).toEqual(['key', 'key-ends']);
    expect(registry.catalog.authenticate(old.secret, Date.parse(endsAt) - 1).ok).toBe(true);
    expect(registry.catalog.authenticate(old.secret, Date.parse(endsAt))).toMatchObject({ reason: 'rotated' });
    expect(registry.catalog.authenticate(rotated.secret, Date.parse(endsAt)).ok).toBe(true);
  });

  it('when graceSeconds and expiresAt are given, then they replace the defaults', async () => {
    const { access } = setUp();
    const old = await access.createKey(aKey, ADMIN);
    const expiresAt = new Date(T0 + 7 * 86_400_000);

    const rotated = await access.rotateKey(old.key.id, { graceSeconds: 0, expiresAt }, ADMIN);

    expect(rotated.previous).toMatchObject({ endsAt: new Date(T0).toISOString(), status: 'expired' });
    expect(rotated.key.expiresAt).toBe(expiresAt.toISOString());
  });

  it.each([
    ['already rotated', async (a: ManageAccessUseCase, id: string) => void (await a.rotateKey(id, {}, ADMIN))],
    ['revoked', async (a: ManageAccessUseCase, id: string) => void (await a.revokeKey(id, ADMIN))],
  ])('when the key was %s, then it is KEY_NOT_ROTATABLE', async (_label, before) => {
    const { access } = setUp();
    const { key } = await access.createKey(aKey, ADMIN);
    await before(access, key.id);

    const err = await domainErrorOf(access.rotateKey(key.id, {}, ADMIN));

    expect(err.code).toBe('KEY_NOT_ROTATABLE');
  });

  it('when the key expired, then it is KEY_NOT_ROTATABLE', async () => {
    const { access, clock } = setUp();
    const { key } = await access.createKey({ ...aKey, expiresAt: new Date(T0 + 1000) }, ADMIN);
    clock.now = T0 + 1000;

    expect((await domainErrorOf(access.rotateKey(key.id, {}, ADMIN))).code).toBe('KEY_NOT_ROTATABLE');
  });

  it('when a bootstrap key or an unknown key is rotated, then it is BOOTSTRAP_KEY or KEY_NOT_FOUND', async () => {
    const { access, registry, bootstrapId } = setUp();

    expect((await domainErrorOf(access.rotateKey(bootstrapId, {}, ADMIN))).code).toBe('BOOTSTRAP_KEY');
    expect((await domainErrorOf(access.rotateKey('0123456789abcdef', {}, ADMIN))).code).toBe('KEY_NOT_FOUND');
    expect(registry.log).toEqual([]);
  });
});

describe('ManageAccessUseCase: revoking keys', () => {
  it('when a key is revoked, then it fails authentication at once and the answer says when', async () => {
    const { access, registry, clock } = setUp();
    const { key, secret } = await access.createKey(aKey, ADMIN);
    clock.now = T0 + 5000;

    const revoked = await access.revokeKey(key.id, ADMIN);

    expect(revoked).toMatchObject({
      key: { id: key.id, status: 'revoked', revokedAt: new Date(T0 + 5000).toISOString() },
      revokedAt: new Date(T0 + 5000).toISOString(),
      inForceBy: new Date(T0 + 5000),
    });
    expect(registry.catalog.authenticate(secret, T0 + 5000)).toMatchObject({ ok: false, reason: 'revoked' });
  });

  it('when a key is revoked again, then the answer keeps the first revokedAt, and so does the log', async () => {
    const { access, registry, clock } = setUp();
    const { key } = await access.createKey(aKey, ADMIN);
    const first = await access.revokeKey(key.id, ADMIN);
    clock.now = T0 + 60_000;

    const again = await access.revokeKey(key.id, ADMIN);

    expect(again.revokedAt).toBe(first.revokedAt);
    expect(registry.log.filter((r) => r.kind === 'key-revoked').map((r) => r.kind === 'key-revoked' && r.at)).toEqual([
      first.revokedAt,
      first.revokedAt,
    ]);
  });

  it('when a rotated key in its grace is revoked, then it stops at once and its successor keeps working', async () => {
    const { access, registry } = setUp();
    const old = await access.createKey(aKey, ADMIN);
    const rotated = await access.rotateKey(old.key.id, {}, ADMIN);

    await access.revokeKey(old.key.id, ADMIN);

    expect(registry.catalog.authenticate(old.secret, T0).ok).toBe(false);
    expect(registry.catalog.authenticate(rotated.secret, T0).ok).toBe(true);
  });

  it('when a bootstrap key or an unknown key is revoked, then it is BOOTSTRAP_KEY or KEY_NOT_FOUND', async () => {
    const { access, registry, bootstrapId } = setUp();

    expect((await domainErrorOf(access.revokeKey(bootstrapId, ADMIN))).code).toBe('BOOTSTRAP_KEY');
    expect((await domainErrorOf(access.revokeKey('0123456789abcdef', ADMIN))).code).toBe('KEY_NOT_FOUND');
    expect(registry.log).toEqual([]);
  });
});

describe('ManageAccessUseCase: sources', () => {
  it('when a source is created, then it is active with no limits by default, and stamped with its actor', async () => {
    const { access } = setUp();

    const { source, inForceBy } = await access.createSource({ id: 'ios', name: 'iOS app' }, ADMIN);

    expect(source).toEqual({
      id: 'ios',
      name: 'iOS app',
      status: 'active',
      rateLimitPerMinute: null,
      allowedTypes: null,
      createdAt: new Date(T0).toISOString(),
      updatedAt: new Date(T0).toISOString(),
      createdBy: ADMIN,
      updatedBy: ADMIN,
      keys: 0,
      counts: { accepted: null, refused: null, deadLettered: null, since: null },
    });
    expect(inForceBy).toEqual(new Date(T0));
  });

  it('when a source id is taken, then it is SOURCE_EXISTS', async () => {
    const { access } = setUp();
    await access.createSource({ id: 'ios', name: 'iOS app' }, ADMIN);

    expect((await domainErrorOf(access.createSource({ id: 'ios', name: 'Other' }, ADMIN))).code).toBe('SOURCE_EXISTS');
  });

  it('when sources are listed, then each counts its keys that are valid now', async () => {
    const { access } = setUp();
    await access.createSource({ id: 'web', name: 'Web' }, ADMIN);
    await access.createSource({ id: 'ios', name: 'iOS' }, ADMIN);
    await access.createKey({ ...aKey, sourceId: 'web' }, ADMIN);
    const revoked = await access.createKey({ ...aKey, sourceId: 'web' }, ADMIN);
    await access.revokeKey(revoked.key.id, ADMIN);
    const rotated = await access.createKey({ ...aKey, sourceId: 'web' }, ADMIN);
    await access.rotateKey(rotated.key.id, {}, ADMIN);

    expect((await access.listSources()).map((s) => [s.id, s.keys])).toEqual([
      ['ios', 0],
      ['web', 3],
    ]);
    expect((await access.showSource('web')).keys).toBe(3);
  });

  it('when a source is patched, then absent fields stay, null clears, and updatedBy/At change', async () => {
    const { access, clock } = setUp();
    await access.createSource(
      { id: 'web', name: 'Web', rateLimitPerMinute: 600, allowedTypes: ['SEARCH', 'PAGE_VIEW'] },
      ADMIN,
    );
    clock.now = T0 + 1000;
    const other = { keyId: '0123456789abcdef', label: 'ops' };

    const paused = await access.updateSource('web', { status: 'paused', rateLimitPerMinute: null }, other);

    expect(paused.source).toMatchObject({
      name: 'Web',
      status: 'paused',
      rateLimitPerMinute: null,
      allowedTypes: ['SEARCH', 'PAGE_VIEW'],
      createdAt: new Date(T0).toISOString(),
      createdBy: ADMIN,
      updatedAt: new Date(T0 + 1000).toISOString(),
      updatedBy: other,
    });
    const cleared = await access.updateSource('web', { name: 'Website', allowedTypes: null }, other);
    expect(cleared.source).toMatchObject({ name: 'Website', status: 'paused', allowedTypes: null });
  });

  it('when an unknown source is read or patched, then it is SOURCE_NOT_FOUND', async () => {
    const { access } = setUp();

    expect((await domainErrorOf(access.showSource('web'))).code).toBe('SOURCE_NOT_FOUND');
    expect((await domainErrorOf(access.updateSource('web', { status: 'paused' }, ADMIN))).code).toBe(
      'SOURCE_NOT_FOUND',
    );
  });
});

describe('ManageAccessUseCase: source counts', () => {
  const STARTED = new Date('2026-12-06T07:00:00.000Z');

  function withCounts(options: { lettersFail?: boolean } = {}) {
    const { entries } = parseApiKeys(`${hashApiKey(BOOTSTRAP_KEY)}:ingest+read+admin`);
    const registry = new InMemoryAccessRegistry(entries, () => T0);
    const letters = new InMemoryDeadLetterStore().add(
      aDeadLetterRecord({ sourceId: 'web' }),
      aDeadLetterRecord({ sourceId: 'web', status: 'replayed' }),
      aDeadLetterRecord({ sourceId: 'ios' }),
      aDeadLetterRecord(),
    );
    const calls = { events: 0, letters: [] as Array<string | undefined> };
    const sourceEvents: SourceEventCounts = {
      since: STARTED,
      bySource: async () => {
        calls.events++;
        return new Map([
          ['web', { accepted: 40, refused: 2 }],
          ['none', { accepted: 7, refused: 1 }],
        ]);
      },
    };
    const deadLetters = {
      countsBySource: async (sourceId?: string) => {
        calls.letters.push(sourceId);
        if (options.lettersFail) throw new Error('store away');
        return letters.countsBySource(sourceId);
      },
    };
    const access = new ManageAccessUseCase(
      { rotationGraceSeconds: GRACE_SECONDS },
      { registry, sourceEvents, deadLetters, now: () => new Date(T0) },
    );
    return { access, calls };
  }

  it('when sources are listed, then each carries this replica’s tallies and its letters, each store asked once', async () => {
    const { access, calls } = withCounts();
    for (const id of ['web', 'ios', 'backend']) await access.createSource({ id, name: id }, ADMIN);
    calls.events = 0;
    calls.letters = [];

    const sources = await access.listSources();

    const since = STARTED.toISOString();
    expect(Object.fromEntries(sources.map((s) => [s.id, s.counts]))).toEqual({
      backend: { accepted: 0, refused: 0, deadLettered: 0, since },
      ios: { accepted: 0, refused: 0, deadLettered: 1, since },
      web: { accepted: 40, refused: 2, deadLettered: 2, since },
    });
    expect(calls).toEqual({ events: 1, letters: [undefined] });
  });

  it('when one source is read, then only its letters are counted; a write never waits for the store', async () => {
    const { access, calls } = withCounts();
    const created = await access.createSource({ id: 'web', name: 'Web' }, ADMIN);
    const paused = await access.updateSource('web', { status: 'paused' }, ADMIN);

    const shown = await access.showSource('web');

    expect(created.source.counts).toMatchObject({ accepted: 40, deadLettered: null });
    expect(paused.source.counts).toMatchObject({ accepted: 40, deadLettered: null });
    expect(shown.counts).toEqual({ accepted: 40, refused: 2, deadLettered: 2, since: STARTED.toISOString() });
    expect(calls.letters).toEqual(['web']);
  });

  it('when the dead-letter index does not answer, then the sources are still listed, deadLettered null', async () => {
    const { access } = withCounts({ lettersFail: true });
    await access.createSource({ id: 'web', name: 'Web' }, ADMIN);

    const [web] = await access.listSources();

    expect(web!.counts).toEqual({ accepted: 40, refused: 2, deadLettered: null, since: STARTED.toISOString() });
  });
});
