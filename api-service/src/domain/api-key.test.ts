import { findApiKey, hashApiKey, MAX_PRESENTED_KEY_LENGTH, parseApiKeys, scopeFor } from './api-key';

describe('API keys', () => {
  const { entries } = parseApiKeys(`${hashApiKey('k-ingest')}:ingest,${hashApiKey('k-both')}:ingest+read`);

  it('when a configured key is presented, then its entry is found', () => {
    expect(findApiKey('k-both', entries)?.scopes).toEqual(new Set(['ingest', 'read']));
    expect(findApiKey('k-ingest', entries)?.scopes).toEqual(new Set(['ingest']));
  });

  it.each([
    ['an unknown key', 'k-other'],
    ['an empty key', ''],
    ['the hash instead of the key', hashApiKey('k-both')],
    ['an overlong key', 'k'.repeat(MAX_PRESENTED_KEY_LENGTH + 1)],
    ['the key with a trailing space', 'k-both '],
  ])('when %s is presented, then no entry is found', (_what, presented) => {
    expect(findApiKey(presented, entries)).toBeUndefined();
  });

  it('when parsing, then hex case and spaces do not matter, and the id is a hash prefix', () => {
    const hash = hashApiKey('x');
    const parsed = parseApiKeys(` ${hash.toUpperCase()} : read `);
    expect(parsed.problems).toEqual([]);
    expect(parsed.entries[0]?.id).toBe(hash.slice(0, 12));
    expect(findApiKey('x', parsed.entries)).toBe(parsed.entries[0]);
  });

  it('when API_KEYS lists keys, then each is a bootstrap key labelled by its place in the list', () => {
    expect(entries.map((e) => ({ label: e.label, origin: e.origin, sourceId: e.sourceId }))).toEqual([
      { label: 'API_KEYS #1', origin: 'bootstrap', sourceId: undefined },
      { label: 'API_KEYS #2', origin: 'bootstrap', sourceId: undefined },
    ]);
  });

  it('when the spec has several bad entries, then each is reported, numbered', () => {
    expect(parseApiKeys('zz:ingest, ,abc').problems).toEqual([
      expect.stringMatching(/^entry 1: /),
      expect.stringMatching(/^entry 2: /),
    ]);
  });

  it.each([
    ['GET', '/api/v1/activities', 'read'],
    ['HEAD', '/api/v1/activities', 'read'],
    ['get', '/api/v1/users/u/activities', 'read'],
    ['POST', '/api/v1/activities', 'ingest'],
    ['DELETE', '/api/v1/activities', 'ingest'],
    ['GET', '/api/v1/dead-letters', 'admin'],
    ['GET', '/api/v1/dead-letters/0-12', 'admin'],
    ['POST', '/api/v1/dead-letters/replays', 'admin'],
    ['GET', '/api/v1/dead-letters-other', 'read'],
    ['POST', '/api/v1/stream-tickets', 'read'],
    ['DELETE', '/api/v1/users/alice/activities', 'admin'],
    ['GET', '/api/v1/erasures/er_abc', 'admin'],
    ['GET', '/api/v1/whoami', null],
    ['GET', '/api/v1/insights/funnel', 'read'],
    // Access control itself is admin, reads included: a list of keys and sources says who may do what.
    ['GET', '/api/v1/keys', 'admin'],
    ['POST', '/api/v1/keys/0123456789abcdef/rotate', 'admin'],
    ['DELETE', '/api/v1/keys/0123456789abcdef', 'admin'],
    ['GET', '/api/v1/sources', 'admin'],
    ['PATCH', '/api/v1/sources/web', 'admin'],
    ['GET', '/api/v1/audit', 'admin'],
    ['GET', '/api/v1/keystone', 'read'],
    // The Segment surface: a write key is an ingest key.
    ['POST', '/v1/track', 'ingest'],
    ['POST', '/v1/batch', 'ingest'],
  ])('when %s %s is asked for, then the scope needed is %s', (method, path, scope) => {
    expect(scopeFor(method, path)).toBe(scope);
  });
});
