import type * as nodeCrypto from 'node:crypto';
import { timingSafeEqual } from 'node:crypto';
import { aRevocation, aRuntimeKey, aSource, anEnding } from '../../testing/access.fixtures';
import { hashApiKey, parseApiKeys } from '../api-key';
import { AccessCatalog, keyStatusAt } from './access-catalog';
import { decodeAccessRecord, encodeAccessRecord, type AccessRecord } from './access-record';

// The real comparison, observed: the test below checks that a runtime key's secret goes through it.
jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof nodeCrypto>('node:crypto');
  return { ...actual, timingSafeEqual: jest.fn(actual.timingSafeEqual) };
});

const T0 = Date.parse('2026-01-02T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const bootstrap = parseApiKeys(`${hashApiKey('boot-admin')}:read+admin`).entries;

function catalogOf(...records: AccessRecord[]) {
  const catalog = new AccessCatalog(bootstrap);
  records.forEach((record, offset) => catalog.apply(record, offset));
  return catalog;
}

describe('AccessCatalog', () => {
  it('when a runtime key is presented, then it authenticates with its scopes, label and source', () => {
    const key = aRuntimeKey({ scopes: ['ingest', 'read'], label: 'ios app', sourceId: 'ios' });
    const check = catalogOf(key.record).authenticate(key.secret, T0);
    expect(check).toMatchObject({
      ok: true,
      key: { id: key.id, label: 'ios app', origin: 'runtime', sourceId: 'ios' },
    });
    expect(check.ok && [...check.key.scopes]).toEqual(['ingest', 'read']);
  });

  it('when a bootstrap key is presented, then it authenticates beside the runtime keys, and never expires', () => {
    const catalog = catalogOf(aRuntimeKey().record);
    expect(catalog.authenticate('boot-admin', Number.MAX_SAFE_INTEGER)).toMatchObject({
      ok: true,
      key: { origin: 'bootstrap', label: 'API_KEYS #1' },
    });
  });

  it.each([
    ['an unknown key', 'nope'],
    ['a well-formed runtime key nobody created', `uapk_0123456789abcdef_${'a'.repeat(43)}`],
    ['an empty value', ''],
    ['an overlong value', 'u'.repeat(300)],
  ])('when %s is presented, then it is unknown', (_what, presented) => {
    expect(catalogOf(aRuntimeKey().record).authenticate(presented, T0)).toEqual({ ok: false, reason: 'unknown' });
  });

  it('when a known key id comes with a wrong secret, then it is unknown', () => {
    const key = aRuntimeKey();
    const forged = `uapk_${key.id}_${'A'.repeat(43)}`;
    expect(catalogOf(key.record).authenticate(forged, T0)).toEqual({ ok: false, reason: 'unknown' });
  });

  it('when a runtime key is checked, then the secret is compared in constant time (timingSafeEqual)', () => {
    const key = aRuntimeKey();
    const catalog = catalogOf(key.record);
    const compare = jest.mocked(timingSafeEqual);
    compare.mockClear();
    expect(catalog.authenticate(key.secret, T0).ok).toBe(true);
    expect(catalog.authenticate(`uapk_${key.id}_${'A'.repeat(43)}`, T0).ok).toBe(false);
    expect(compare).toHaveBeenCalledTimes(2);
  });

  it('when a key has expired, then it is refused as expired, with the time; byId no longer finds it', () => {
    const expiresAt = iso(T0 + 1_000);
    const key = aRuntimeKey({ expiresAt });
    const catalog = catalogOf(key.record);
    expect(catalog.authenticate(key.secret, T0 + 999)).toMatchObject({ ok: true });
    expect(catalog.byId(key.id, T0 + 999)?.id).toBe(key.id);
    expect(catalog.authenticate(key.secret, T0 + 1_000)).toEqual({
      ok: false,
      reason: 'expired',
      at: new Date(expiresAt),
    });
    expect(catalog.byId(key.id, T0 + 1_000)).toBeUndefined();
  });

  it('when a key was rotated, then it works until its grace ends, then is refused as rotated; its successor works', () => {
    const old = aRuntimeKey();
    const successor = aRuntimeKey({ rotatedFrom: old.id });
    const endsAt = iso(T0 + 60_000);
    const catalog = catalogOf(old.record, successor.record, anEnding(old.id, endsAt, successor.id));
    expect(catalog.authenticate(old.secret, T0 + 59_999)).toMatchObject({ ok: true });
    expect(catalog.authenticate(old.secret, T0 + 60_000)).toEqual({
      ok: false,
      reason: 'rotated',
      at: new Date(endsAt),
    });
    expect(catalog.authenticate(successor.secret, T0 + 60_000)).toMatchObject({ ok: true });
    expect(catalog.key(old.id)).toMatchObject({ endsAt, successorId: successor.id });
    expect(keyStatusAt(catalog.key(old.id)!, T0)).toBe('expiring');
    expect(keyStatusAt(catalog.key(old.id)!, T0 + 60_000)).toBe('expired');
  });

  it('when a rotated key also expires before its grace ends, then the earlier end decides the reason', () => {
    const key = aRuntimeKey({ expiresAt: iso(T0 + 10) });
    const catalog = catalogOf(key.record, anEnding(key.id, iso(T0 + 20)));
    expect(catalog.authenticate(key.secret, T0 + 30)).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('when a key is rotated twice, then the earliest end holds (a second rotation cannot extend the grace)', () => {
    const key = aRuntimeKey();
    const catalog = catalogOf(key.record, anEnding(key.id, iso(T0 + 10), 'aaaaaaaaaaaaaaaa'));
    catalog.apply(anEnding(key.id, iso(T0 + 1_000), 'bbbbbbbbbbbbbbbb'), 5);
    expect(catalog.key(key.id)).toMatchObject({ endsAt: iso(T0 + 10), successorId: 'aaaaaaaaaaaaaaaa' });
  });

  it('when a key is revoked, then it stays revoked: a later key record, rotation or revocation cannot undo it', () => {
    const key = aRuntimeKey();
    const catalog = catalogOf(key.record, aRevocation(key.id, iso(T0)));
    catalog.apply(aRevocation(key.id, iso(T0 + 5_000)), 2);
    catalog.apply(key.record, 3);
    catalog.apply(anEnding(key.id, iso(T0 + 60_000)), 4);
    expect(catalog.authenticate(key.secret, T0 + 1)).toEqual({ ok: false, reason: 'revoked' });
    expect(catalog.byId(key.id, T0 + 1)).toBeUndefined();
    expect(catalog.key(key.id)).toMatchObject({ revokedAt: iso(T0) });
    expect(keyStatusAt(catalog.key(key.id)!, T0)).toBe('revoked');
  });

  it('when the compacted log replays a revocation before the key record, then the key is still revoked', () => {
    const key = aRuntimeKey();
    // Compaction keeps the latest record per compaction key; whatever order survives, the facts merge the same way.
    const orders = [
      [key.record, aRevocation(key.id)],
      [aRevocation(key.id), key.record],
    ];
    for (const order of orders) {
      const catalog = catalogOf(...order.map((r) => decodeAccessRecord(encodeAccessRecord(r))!));
      expect(catalog.authenticate(key.secret, T0)).toEqual({ ok: false, reason: 'revoked' });
    }
  });

  it('when last uses arrive out of order, then the latest is kept', () => {
    const key = aRuntimeKey();
    const catalog = catalogOf(
      key.record,
      { kind: 'key-used', keyId: key.id, at: iso(T0 + 2_000) },
      { kind: 'key-used', keyId: key.id, at: iso(T0 + 1_000) },
      { kind: 'key-used', keyId: bootstrap[0]!.id, at: iso(T0) },
    );
    expect(catalog.key(key.id)?.lastUsedAt).toBe(iso(T0 + 2_000));
    expect(catalog.key(bootstrap[0]!.id)?.lastUsedAt).toBe(iso(T0));
  });

  it('when a key record comes again under a known id, then the first one stays', () => {
    const key = aRuntimeKey({ label: 'first' });
    const other = aRuntimeKey();
    const catalog = catalogOf(key.record);
    expect(catalog.apply({ kind: 'key', key: { ...other.record.key, id: key.id, label: 'second' } }, 1)).toBe(false);
    expect(catalog.key(key.id)?.label).toBe('first');
    expect(catalog.authenticate(key.secret, T0)).toMatchObject({ ok: true });
  });

  it('when records are skipped or applied, then the position is the offset after the last one', () => {
    const catalog = new AccessCatalog();
    catalog.apply(aRuntimeKey().record, 0);
    catalog.skip(1);
    expect(catalog.position).toBe(2);
  });

  it('when a source is written twice, then the last write wins', () => {
    const catalog = catalogOf({ kind: 'source', source: aSource() });
    catalog.apply({ kind: 'source', source: aSource({ status: 'paused', name: 'Web' }) }, 1);
    expect(catalog.source('web')).toMatchObject({ status: 'paused', name: 'Web' });
    expect(catalog.sources()).toHaveLength(1);
  });

  it('when keys are listed, then bootstrap keys come first and no view carries a hash', () => {
    const key = aRuntimeKey({ label: 'runtime' });
    const keys = catalogOf(key.record).keys();
    expect(keys.map((k) => [k.origin, k.label, k.prefix])).toEqual([
      ['bootstrap', 'API_KEYS #1', null],
      ['runtime', 'runtime', `uapk_${key.id}`],
    ]);
    expect(JSON.stringify(keys)).not.toContain(key.record.key.hash);
  });

  it('when noteUse is called, then the use goes to the listener and nothing else happens', () => {
    const uses: string[] = [];
    const catalog = new AccessCatalog([], { onUse: (keyId) => uses.push(keyId) });
    catalog.noteUse('abababababababab', T0);
    expect(uses).toEqual(['abababababababab']);
  });
});
