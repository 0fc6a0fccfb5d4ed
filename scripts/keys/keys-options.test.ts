import { parseKeysArgs } from './keys-options';

const NO_ENV = {};
const LOCAL = 'http://localhost:3000';
const NOW = Date.parse('2026-12-05T10:00:00.000Z');
const parse = (argv: string[]) => parseKeysArgs(argv, NO_ENV, NOW);

describe('keys options', () => {
  it('when only list is given, then the url defaults to localhost:3000, no key is sent and nothing is filtered', () => {
    expect(parse(['list'])).toEqual({ help: false, options: { url: LOCAL, json: false, command: { name: 'list' } } });
    expect(parse(['list', '--status', 'all', '--source', 'ios', '--json'])).toEqual({
      help: false,
      options: { url: LOCAL, json: true, command: { name: 'list', status: 'all', sourceId: 'ios' } },
    });
  });

  it('when UAP_API_URL and UAP_API_KEY are set, then they apply unless the flags say otherwise', () => {
    const env = { UAP_API_URL: 'http://api:8080', UAP_API_KEY: 'from-env' };
    expect(parseKeysArgs(['list'], env)).toMatchObject({ options: { url: 'http://api:8080', key: 'from-env' } });
    expect(parseKeysArgs(['list', '--key', 'k'], env)).toMatchObject({ options: { key: 'k' } });
  });

  it('when create names a label, scopes and a source, then they make the request; --expires 90d is from now', () => {
    expect(
      parse(['create', '--label', ' iOS app ', '--scope', 'ingest,READ', '--scope', 'ingest', '--source', 'ios']),
    ).toEqual({
      help: false,
      options: {
        url: LOCAL,
        json: false,
        command: { name: 'create', request: { label: 'iOS app', scopes: ['ingest', 'read'], sourceId: 'ios' } },
      },
    });
    expect(parse(['create', '--label', 'x', '--scope', 'read', '--expires', '90d'])).toMatchObject({
      options: { command: { request: { expiresAt: '2027-03-05T10:00:00.000Z' } } },
    });
    expect(
      parse(['create', '--label', 'x', '--scope', 'read', '--expires', '2027-01-01T00:00:00+01:00']),
    ).toMatchObject({ options: { command: { request: { expiresAt: '2026-12-31T23:00:00.000Z' } } } });
  });

  it('when rotate or revoke name a key by its prefix or its id, then the id is what goes to the API', () => {
    expect(parse(['revoke', 'uapk_0123456789abcdef'])).toMatchObject({
      options: { command: { name: 'revoke', id: '0123456789abcdef' } },
    });
    expect(parse(['show', '9f86d081884c'])).toMatchObject({
      options: { command: { name: 'show', id: '9f86d081884c' } },
    });
    expect(parse(['rotate', '0123456789abcdef'])).toMatchObject({
      options: { command: { name: 'rotate', id: '0123456789abcdef', request: {} } },
    });
    expect(parse(['rotate', 'uapk_0123456789abcdef', '--grace', '7d', '--expires', '30d'])).toMatchObject({
      options: { command: { request: { graceSeconds: 604_800, expiresAt: '2027-01-04T10:00:00.000Z' } } },
    });
    expect(parse(['rotate', 'uapk_0123456789abcdef', '--grace', '0'])).toMatchObject({
      options: { command: { request: { graceSeconds: 0 } } },
    });
  });

  it('when a whole key is given where its id belongs, then it is refused and not echoed back', () => {
    const secret = 'uapk_0123456789abcdef_Zm9vYmFyYmF6cXV4cXV1eHh5enp5eHd2dXRzcnFwb25t';
    const parsed = parse(['revoke', secret]);
    expect(parsed).toEqual({ help: false, error: expect.stringContaining('that is a key itself, not its id') });
    expect(JSON.stringify(parsed)).not.toContain('Zm9vYmFy');
  });

  it('when sources commands are given, then they are the second command group', () => {
    expect(parse(['sources', 'list'])).toMatchObject({ options: { command: { name: 'sources list' } } });
    expect(
      parse(['sources', 'create', 'ios', '--name', 'iOS app', '--rate-limit', '600', '--types', 'LOGIN,SEARCH']),
    ).toMatchObject({
      options: {
        command: {
          name: 'sources create',
          request: { id: 'ios', name: 'iOS app', rateLimitPerMinute: 600, allowedTypes: ['LOGIN', 'SEARCH'] },
        },
      },
    });
    expect(parse(['sources', 'create', 'web', '--name', 'Web', '--paused'])).toMatchObject({
      options: { command: { request: { id: 'web', name: 'Web', status: 'paused' } } },
    });
    expect(parse(['sources', 'pause', 'ios'])).toMatchObject({
      options: { command: { name: 'sources pause', id: 'ios' } },
    });
    expect(parse(['sources', 'resume', 'ios'])).toMatchObject({
      options: { command: { name: 'sources resume', id: 'ios' } },
    });
  });

  it('when sources update says none or all, then the rate limit or the type list is cleared', () => {
    expect(parse(['sources', 'update', 'ios', '--rate-limit', 'none', '--types', 'all'])).toMatchObject({
      options: {
        command: { name: 'sources update', id: 'ios', change: { rateLimitPerMinute: null, allowedTypes: null } },
      },
    });
    expect(parse(['sources', 'update', 'ios', '--name', 'iPhone'])).toEqual({
      help: false,
      options: { url: LOCAL, json: false, command: { name: 'sources update', id: 'ios', change: { name: 'iPhone' } } },
    });
  });

  it.each([
    [[], 'a command is needed'],
    [['drop'], 'unknown command "drop"'],
    [['sources'], 'sources needs a command'],
    [['sources', 'drop'], 'unknown command "sources drop"'],
    [['list', 'extra'], 'list takes no arguments'],
    [['list', '--status', 'dead'], '--status'],
    [['list', '--source', 'iOS'], '--source: must be a source id'],
    [['list', '--label', 'x'], '--label is not an option of list'],
    [['create', '--scope', 'read'], 'create needs --label'],
    [['create', '--label', 'x'], 'create needs --scope'],
    [['create', '--label', 'x', '--scope', 'write'], '--scope'],
    [['create', '--label', '', '--scope', 'read'], '--label: must not be empty'],
    [['create', '--label', 'x'.repeat(101), '--scope', 'read'], '--label: must be at most 100 characters'],
    [['create', '--label', 'x', '--scope', 'read', '--expires', '2020-01-01T00:00:00Z'], 'must lie in the future'],
    [['create', '--label', 'x', '--scope', 'read', '--expires', 'tomorrow'], '--expires: must be an ISO instant'],
    [['create', '--label', 'x', '--scope', 'read', '--grace', '1h'], '--grace is not an option of create'],
    [['revoke'], 'revoke takes one key id'],
    [['revoke', 'abc'], '"abc" is not a key id'],
    [['rotate', 'uapk_0123456789abcdef', '--grace', '31d'], '--grace: must be seconds or a duration'],
    [['rotate', 'uapk_0123456789abcdef', '--grace', '-1'], '--grace'],
    [['sources', 'create', 'ios'], 'sources create needs --name'],
    [['sources', 'create', 'iOS', '--name', 'x'], '"iOS" is not a source id'],
    [['sources', 'create', 'ios', '--name', 'x', '--rate-limit', '1.5'], '--rate-limit: must be a whole number'],
    [['sources', 'create', 'ios', '--name', 'x', '--types', 'login'], '--types'],
    [['sources', 'update', 'ios'], 'sources update needs --name, --rate-limit or --types'],
    [['sources', 'update', 'ios', '--paused'], '--paused is not an option of sources update'],
    [['sources', 'pause'], 'sources pause takes one source id'],
  ])('when the arguments are %j, then the error says %s', (argv, message) => {
    expect(parse(argv)).toEqual({ help: false, error: expect.stringContaining(message) });
  });

  it('when --help is given, then help is asked for whatever else is there', () => {
    expect(parse(['create', '--help'])).toEqual({ help: true });
    expect(parse(['sources', '-h'])).toEqual({ help: true });
  });
});
