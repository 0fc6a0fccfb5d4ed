import { FakeApi, problemAnswer } from '../cli/testing/fake-api';
import { memoryIo } from '../cli/testing/memory-io';
import { runKeys } from './keys-commands';
import { aBootstrapKey, aKeyView, aSourceView } from './keys-fixtures';
import { parseKeysArgs, type KeysOptions } from './keys-options';

const SECRET = 'uapk_0123456789abcdef_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I';
const SUCCESSOR_SECRET = 'uapk_fedcba9876543210_bmV3LXNlY3JldC1uZXctc2VjcmV0LW5ldy1zZWNyZXQ';
const IN_FORCE_BY = '2026-12-05T10:00:01.750Z';

const api = new FakeApi();
let baseUrl: string;

function optionsFor(argv: string[]): KeysOptions {
  const parsed = parseKeysArgs([...argv, '--url', baseUrl, '--key', 'admin-key'], {});
  if (!('options' in parsed)) throw new Error(`bad test arguments: ${JSON.stringify(parsed)}`);
  return parsed.options;
}

beforeAll(async () => {
  baseUrl = await api.start();
});
afterAll(() => api.stop());
beforeEach(() => api.reset());

describe('keys against a fake API', () => {
  it('when a key is created, then the key alone goes to stdout, once, and what it is goes to stderr', async () => {
    api.route = () => ({ status: 201, body: { key: aKeyView(), secret: SECRET, inForceBy: IN_FORCE_BY } });
    const { io, out, err } = memoryIo();

    expect(
      await runKeys(optionsFor(['create', '--label', 'iOS app', '--scope', 'ingest', '--source', 'ios']), io),
    ).toBe(0);

    expect(api.seen.map((s) => [s.method, s.path, s.key, s.body])).toEqual([
      ['POST', '/api/v1/keys', 'admin-key', { label: 'iOS app', scopes: ['ingest'], sourceId: 'ios' }],
    ]);
    expect(out).toEqual([SECRET]);
    expect(err).toEqual([
      'keys: created uapk_0123456789abcdef "iOS app": scopes ingest, source ios, expires never\n' +
        'keys: the key above is shown this once: store it now (the API keeps only its hash)',
    ]);
    expect(err.join('\n')).not.toContain(SECRET);
  });

  it('when create is asked for --json, then stdout is the API’s document with the key in it, and stderr is quiet', async () => {
    const created = { key: aKeyView(), secret: SECRET, inForceBy: IN_FORCE_BY };
    api.route = () => ({ status: 201, body: created });
    const { io, stdout, err } = memoryIo();
    expect(await runKeys(optionsFor(['create', '--label', 'x', '--scope', 'read', '--json']), io)).toBe(0);
    expect(JSON.parse(stdout())).toEqual(created);
    expect(err).toEqual([]);
  });

  it('when a key is rotated, then the successor alone goes to stdout and stderr says until when the old one works', async () => {
    const previous = aKeyView({
      status: 'expiring',
      endsAt: '2026-12-06T10:00:00.000Z',
      successorId: 'fedcba9876543210',
    });
    const successor = aKeyView({ id: 'fedcba9876543210', rotatedFrom: '0123456789abcdef' });
    api.route = () => ({
      status: 201,
      body: { key: successor, secret: SUCCESSOR_SECRET, previous, inForceBy: IN_FORCE_BY },
    });
    const { io, out, err } = memoryIo();

    expect(await runKeys(optionsFor(['rotate', 'uapk_0123456789abcdef', '--grace', '24h']), io)).toBe(0);

    expect(api.seen.map((s) => [s.method, s.path, s.body])).toEqual([
      ['POST', '/api/v1/keys/0123456789abcdef/rotate', { graceSeconds: 86_400 }],
    ]);
    expect(out).toEqual([SUCCESSOR_SECRET]);
    expect(err.join('\n').split('\n')).toEqual([
      'keys: rotated uapk_0123456789abcdef to uapk_fedcba9876543210 "iOS app": scopes ingest, source ios, expires never',
      'keys: uapk_0123456789abcdef works until 2026-12-06T10:00:00Z, then is refused',
      'keys: the new key above is shown this once: store it now (the API keeps only its hash)',
    ]);
  });

  it('when a key is rotated with no grace, then the old one is said to be refused from now on', async () => {
    api.route = () => ({
      status: 201,
      body: {
        key: aKeyView({ id: 'fedcba9876543210' }),
        secret: SUCCESSOR_SECRET,
        previous: aKeyView({ status: 'expired', endsAt: '2026-12-05T10:00:00.000Z' }),
        inForceBy: IN_FORCE_BY,
      },
    });
    const { io, err } = memoryIo();
    expect(await runKeys(optionsFor(['rotate', '0123456789abcdef', '--grace', '0']), io)).toBe(0);
    expect(err.join('\n')).toContain(
      'keys: uapk_0123456789abcdef is refused from now on (on every replica by 2026-12-05T10:00:01Z)',
    );
  });

  it('when a key is revoked, then stdout says when and by when every replica refuses it', async () => {
    const revokedAt = '2026-12-05T10:00:00.000Z';
    api.route = () => ({
      body: { key: aKeyView({ status: 'revoked', revokedAt }), revokedAt, inForceBy: IN_FORCE_BY },
    });
    const { io, out } = memoryIo();
    expect(await runKeys(optionsFor(['revoke', 'uapk_0123456789abcdef']), io)).toBe(0);
    expect(api.seen.map((s) => `${s.method} ${s.path}`)).toEqual(['DELETE /api/v1/keys/0123456789abcdef']);
    expect(out).toEqual([
      'revoked uapk_0123456789abcdef "iOS app" at 2026-12-05T10:00:00Z: refused on every replica by 2026-12-05T10:00:01Z',
    ]);
  });

  it('when keys are listed, then each is a row with its status, filters go as query parameters, and a count follows', async () => {
    api.route = () => ({
      body: {
        keys: [
          aBootstrapKey({ lastUsedAt: '2026-12-05T11:59:58.123Z' }),
          aKeyView({ expiresAt: '2027-03-05T10:00:00.000Z' }),
          aKeyView({
            id: 'aaaaaaaaaaaaaaaa',
            label: 'old web key with a rather long label',
            scopes: ['ingest', 'read'],
            sourceId: 'web',
            status: 'expiring',
            endsAt: '2026-12-06T10:00:00.000Z',
          }),
          aKeyView({ id: 'bbbbbbbbbbbbbbbb', sourceId: null, status: 'revoked', revokedAt: '2026-12-05T11:00:00Z' }),
        ],
      },
    });
    const { io, stdout } = memoryIo();
    expect(await runKeys(optionsFor(['list', '--status', 'all', '--source', 'ios']), io)).toBe(0);
    expect(Object.fromEntries(api.seen[0]!.query)).toEqual({ status: 'all', sourceId: 'ios' });
    expect(stdout().split('\n')).toEqual([
      'PREFIX                 LABEL                 SCOPES             SOURCE        CREATED               LAST USED             EXPIRES               STATUS',
      '9f86d081884c           API_KEYS #1           ingest+read+admin  -             -                     2026-12-05T11:59:58Z  never                 active (API_KEYS)',
      'uapk_0123456789abcdef  iOS app               ingest             ios           2026-12-05T10:00:00Z  never                 2027-03-05T10:00:00Z  active',
      'uapk_aaaaaaaaaaaaaaaa  old web key with a …  ingest+read        web           2026-12-05T10:00:00Z  never                 never                 rotated, works until 2026-12-06T10:00:00Z',
      'uapk_bbbbbbbbbbbbbbbb  iOS app               ingest             -             2026-12-05T10:00:00Z  never                 never                 revoked',
      '4 keys: 2 active, 1 rotated in grace, 1 revoked',
    ]);
  });

  it('when one key is shown, then its creator, source, use and rotation are said', async () => {
    api.route = () => ({
      body: aKeyView({ rotatedFrom: 'aaaaaaaaaaaaaaaa', lastUsedAt: '2026-12-05T11:00:00.000Z' }),
    });
    const { io, stdout } = memoryIo();
    expect(await runKeys(optionsFor(['show', 'uapk_0123456789abcdef']), io)).toBe(0);
    expect(stdout()).toBe(
      [
        'uapk_0123456789abcdef  "iOS app"  active',
        '  scopes      ingest',
        '  source      ios',
        '  created     2026-12-05T10:00:00Z by API_KEYS #1 (9f86d081884c)',
        '  last used   2026-12-05T11:00:00Z',
        '  expires     never',
        '  rotated from uapk_aaaaaaaaaaaaaaaa',
      ].join('\n'),
    );
  });

  it('when a key from API_KEYS is to be revoked, then the 409 problem says where such keys change', async () => {
    const detail =
      'Key 9f86d081884c comes from API_KEYS and cannot be revoked here: change API_KEYS and restart the api replicas';
    api.route = () => problemAnswer(409, 'bootstrap-key', 'Bootstrap key', detail);
    const { io, out, stderr } = memoryIo();
    expect(await runKeys(optionsFor(['revoke', '9f86d081884c']), io)).toBe(2);
    expect(out).toEqual([]);
    expect(stderr()).toBe(`keys: HTTP 409 Bootstrap key: ${detail}`);
  });

  it('when create names an unknown source or an invalid field, then the problem and each field are printed', async () => {
    api.route = () => problemAnswer(422, 'unknown-source', 'Unknown source', 'There is no source "tv"');
    const { io, stderr } = memoryIo();
    expect(await runKeys(optionsFor(['create', '--label', 'x', '--scope', 'read', '--source', 'tv']), io)).toBe(2);
    expect(stderr().split('\n')).toEqual([
      'keys: HTTP 422 Unknown source: There is no source "tv"',
      '  (sources list shows the sources; sources create <id> --name <text> adds one)',
    ]);

    api.route = () =>
      problemAnswer(400, 'validation-failed', 'Validation failed', 'The body is invalid', [
        { path: 'expiresAt', message: 'must lie in the future' },
      ]);
    const again = memoryIo();
    expect(await runKeys(optionsFor(['create', '--label', 'x', '--scope', 'read']), again.io)).toBe(2);
    expect(again.stderr()).toBe(
      'keys: HTTP 400 Validation failed: The body is invalid\n  expiresAt: must lie in the future',
    );
  });

  it('when the key is not an admin key, then the refusal says which key is needed', async () => {
    api.route = () => problemAnswer(403, 'forbidden', 'Forbidden', 'The API key lacks the "admin" scope');
    const { io, stderr } = memoryIo();
    expect(await runKeys(optionsFor(['list']), io)).toBe(2);
    expect(stderr()).toContain(
      '(managing keys and sources needs an API key with the admin scope: --key or UAP_API_KEY)',
    );
  });

  it('when the key named is not there, then the 404 says how to find the keys there are', async () => {
    api.route = () => problemAnswer(404, 'not-found', 'Not found', 'There is no key ffffffffffffffff');
    const { io, stderr } = memoryIo();
    expect(await runKeys(optionsFor(['rotate', 'uapk_ffffffffffffffff']), io)).toBe(2);
    expect(stderr()).toContain('(there is no key ffffffffffffffff: list --status all shows every key)');
  });

  it('when nothing answers at the url, then it says so with exit code 2', async () => {
    const { io, stderr } = memoryIo();
    const options = { ...optionsFor(['list']), url: 'http://127.0.0.1:9' };
    expect(await runKeys(options, io)).toBe(2);
    expect(stderr()).toMatch(/^keys: no answer from the API at http:\/\/127\.0\.0\.1:9 \(/);
  });
});

describe('keys sources against a fake API', () => {
  it('when sources are listed, then each is a row with its status, limit, keys and types', async () => {
    api.route = () => ({
      body: {
        sources: [
          aSourceView({ rateLimitPerMinute: 600, allowedTypes: ['LOGIN', 'SEARCH'], keys: 2 }),
          aSourceView({ id: 'web', name: 'Web', status: 'paused', keys: 0 }),
        ],
      },
    });
    const { io, stdout } = memoryIo();
    expect(await runKeys(optionsFor(['sources', 'list']), io)).toBe(0);
    expect(stdout().split('\n')).toEqual([
      'ID                NAME                      STATUS  RATE LIMIT   KEYS  ALLOWED TYPES',
      'ios               iOS app                   active  600/min      2     LOGIN,SEARCH',
      'web               Web                       paused  none         0     all',
      '2 sources: 1 active, 1 paused',
    ]);
  });

  it('when a source is created, then the request holds what was given and stdout says what it is', async () => {
    const source = aSourceView({ rateLimitPerMinute: 600, keys: 0 });
    api.route = () => ({ status: 201, body: { source, inForceBy: IN_FORCE_BY } });
    const { io, out } = memoryIo();
    expect(
      await runKeys(optionsFor(['sources', 'create', 'ios', '--name', 'iOS app', '--rate-limit', '600']), io),
    ).toBe(0);
    expect(api.seen[0]!.body).toEqual({ id: 'ios', name: 'iOS app', rateLimitPerMinute: 600 });
    expect(out).toEqual(['created source ios "iOS app": active, rate limit 600/min, every type']);
  });

  it('when a source is paused and resumed, then each is a PATCH of its status, said with what happens to its events', async () => {
    api.route = (req) => ({
      body: {
        source: aSourceView({ status: (req.body as { status: 'active' | 'paused' }).status }),
        inForceBy: IN_FORCE_BY,
      },
    });
    const { io, out } = memoryIo();
    expect(await runKeys(optionsFor(['sources', 'pause', 'ios']), io)).toBe(0);
    expect(await runKeys(optionsFor(['sources', 'resume', 'ios']), io)).toBe(0);
    expect(api.seen.map((s) => [s.method, s.path, s.body])).toEqual([
      ['PATCH', '/api/v1/sources/ios', { status: 'paused' }],
      ['PATCH', '/api/v1/sources/ios', { status: 'active' }],
    ]);
    expect(out).toEqual([
      "source ios paused: its keys' events are refused with 403 until it is resumed (on every replica by 2026-12-05T10:00:01Z)",
      "source ios resumed: its keys' events are accepted again (on every replica by 2026-12-05T10:00:01Z)",
    ]);
  });

  it('when a source is updated, then only what was given is sent, null clearing a limit', async () => {
    api.route = () => ({ body: { source: aSourceView({ allowedTypes: ['LOGIN'] }), inForceBy: IN_FORCE_BY } });
    const { io, out } = memoryIo();
    expect(
      await runKeys(optionsFor(['sources', 'update', 'ios', '--rate-limit', 'none', '--types', 'LOGIN']), io),
    ).toBe(0);
    expect(api.seen[0]!.body).toEqual({ rateLimitPerMinute: null, allowedTypes: ['LOGIN'] });
    expect(out).toEqual([
      'source ios "iOS app" changed: active, rate limit none, types LOGIN (on every replica by 2026-12-05T10:00:01Z)',
    ]);
  });

  it('when the source exists already, then the 409 says how to change it instead', async () => {
    api.route = () => problemAnswer(409, 'source-exists', 'Conflict', 'The source ios exists');
    const { io, stderr } = memoryIo();
    expect(await runKeys(optionsFor(['sources', 'create', 'ios', '--name', 'x']), io)).toBe(2);
    expect(stderr()).toBe(
      'keys: HTTP 409 Conflict: The source ios exists\n  (sources update changes it; pause and resume change its status)',
    );
  });
});
