import { parseDlqArgs } from './dlq-options';

const NO_ENV = {};

describe('dlq options', () => {
  it('when only a command is given, then the url defaults to localhost:3000 and no key is sent', () => {
    expect(parseDlqArgs(['stats'], NO_ENV)).toEqual({
      help: false,
      options: { url: 'http://localhost:3000', json: false, command: { name: 'stats' } },
    });
  });

  it('when UAP_API_URL and UAP_API_KEY are set, then they apply unless the flags say otherwise', () => {
    const env = { UAP_API_URL: 'http://api:8080', UAP_API_KEY: 'from-env' };
    expect(parseDlqArgs(['stats'], env)).toMatchObject({ options: { url: 'http://api:8080', key: 'from-env' } });
    expect(parseDlqArgs(['stats', '--url', 'https://x.test', '--key', 'k'], env)).toMatchObject({
      options: { url: 'https://x.test', key: 'k' },
    });
  });

  it('when list has filters, then they are validated and --user becomes userId', () => {
    const parsed = parseDlqArgs(
      [
        'list',
        '--reason',
        'schema-violation',
        '--type',
        'SEARCH',
        '--user',
        'alice',
        '--status',
        'dead,parked',
        '--status',
        'dead',
        '--from',
        '2026-11-01T00:00:00Z',
        '--to',
        '2026-12-01T00:00:00+01:00',
        '--limit',
        '50',
        '--all',
        '--json',
      ],
      NO_ENV,
    );
    expect(parsed).toEqual({
      help: false,
      options: {
        url: 'http://localhost:3000',
        json: true,
        command: {
          name: 'list',
          filter: {
            reason: 'schema-violation',
            type: 'SEARCH',
            userId: 'alice',
            status: ['dead', 'parked'],
            from: '2026-11-01T00:00:00Z',
            to: '2026-12-01T00:00:00+01:00',
          },
          limit: 50,
          all: true,
        },
      },
    });
  });

  it('when replay has ids and limits, then ids are deduplicated and numbers parsed', () => {
    const parsed = parseDlqArgs(
      ['replay', '--id', '0-42', '--id', '3-7', '--id', '0-42', '--dry-run', '--max', '100', '--rate', '20'],
      NO_ENV,
    );
    expect(parsed).toMatchObject({
      options: {
        command: { name: 'replay', filter: {}, letterIds: ['0-42', '3-7'], dryRun: true, max: 100, rate: 20 },
      },
    });
  });

  it('when show is given a letter id, then it is the command argument', () => {
    expect(parseDlqArgs(['show', '2-1187'], NO_ENV)).toMatchObject({
      options: { command: { name: 'show', letterId: '2-1187' } },
    });
  });

  it.each([
    [[], 'a command is needed'],
    [['purge'], 'unknown command "purge"'],
    [['show'], 'show takes one letter id'],
    [['show', 'abc'], 'not a letter id'],
    [['stats', 'extra'], 'stats takes no arguments'],
    [['stats', '--all'], '--all is not an option of stats'],
    [['show', '0-1', '--reason', 'x'], '--reason is not an option of show'],
    [['list', '--id', '0-1'], '--id is not an option of list'],
    [['list', '--dry-run'], '--dry-run is not an option of list'],
    [['list', '--type', 'tele-port'], '--type'],
    [['list', '--status', 'dead,gone'], '--status'],
    [['list', '--reason', 'Schema Violation'], '--reason: must be a reason slug'],
    [['list', '--from', '2026-11-01'], '--from'],
    [['list', '--from', '2026-12-01T00:00:00Z', '--to', '2026-11-01T00:00:00Z'], '--from must be before --to'],
    [['list', '--limit', '101'], '--limit'],
    [['list', '--limit', 'ten'], '--limit'],
    [['list', '--all', '--cursor', 'abc'], '--all and --cursor'],
    [['replay', '--max', '0'], '--max'],
    [['replay', '--rate', '10001'], '--rate'],
    [['replay', '--id', '42'], '--id: must be a letter id'],
    [['stats', '--url', 'ftp://x'], '--url'],
    [['stats', '--bogus'], 'bogus'],
  ])('when the arguments are %j, then the error says %s', (argv, message) => {
    expect(parseDlqArgs(argv, NO_ENV)).toEqual({ help: false, error: expect.stringContaining(message) });
  });

  it('when --help is given, then help is asked for whatever else is there', () => {
    expect(parseDlqArgs(['replay', '--help'], NO_ENV)).toEqual({ help: true });
    expect(parseDlqArgs(['-h'], NO_ENV)).toEqual({ help: true });
  });
});
