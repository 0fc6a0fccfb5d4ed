import { parseExportArgs } from './export-options';

const NO_ENV = {};

describe('export options', () => {
  it('when only --out is given, then the format is ndjson, the url localhost:3000 and no key is sent', () => {
    expect(parseExportArgs(['--out', 'a.ndjson'], NO_ENV)).toEqual({
      help: false,
      options: { url: 'http://localhost:3000', out: 'a.ndjson', format: 'ndjson', query: {} },
    });
  });

  it('when filters are given, then they are validated, types (any name) merged and --user becomes userId', () => {
    const parsed = parseExportArgs(
      [
        '--format',
        'csv',
        '--out',
        'x.csv',
        '--user',
        'alice',
        '--type',
        'LOGIN,SEARCH',
        '--type',
        'LOGIN,VIDEO_PLAY',
        '--from',
        '2026-01-01T00:00:00Z',
        '--to',
        '2026-02-01T00:00:00+01:00',
        '--sort',
        'asc',
      ],
      NO_ENV,
    );
    expect(parsed).toEqual({
      help: false,
      options: {
        url: 'http://localhost:3000',
        out: 'x.csv',
        format: 'csv',
        query: {
          userId: 'alice',
          type: 'LOGIN,SEARCH,VIDEO_PLAY',
          from: '2026-01-01T00:00:00Z',
          to: '2026-02-01T00:00:00+01:00',
          sort: 'asc',
        },
      },
    });
  });

  it('when UAP_API_URL and UAP_API_KEY are set, then they apply unless the flags say otherwise', () => {
    const env = { UAP_API_URL: 'http://api:8080', UAP_API_KEY: 'from-env' };
    expect(parseExportArgs(['--out', 'f'], env)).toMatchObject({
      options: { url: 'http://api:8080', key: 'from-env' },
    });
    expect(parseExportArgs(['--out', 'f', '--url', 'https://x.test', '--key', 'k'], env)).toMatchObject({
      options: { url: 'https://x.test', key: 'k' },
    });
  });

  it.each([
    [[], '--out <file> is required'],
    [['--out', 'f', '--format', 'xlsx'], '--format'],
    [['--out', 'f', '--type', 'no-pe'], '--type'],
    [['--out', 'f', '--from', 'yesterday'], '--from'],
    [['--out', 'f', '--from', '2026-02-01T00:00:00Z', '--to', '2026-01-01T00:00:00Z'], '--from must be before --to'],
    [['--out', 'f', '--url', 'ftp://x'], '--url'],
    [['--out', 'f', '--limit', '5'], "Unknown option '--limit'"],
    [['--out', 'f', 'extra'], 'unexpected argument'],
  ])('when given %j, then it is a usage error mentioning %s', (argv, message) => {
    const parsed = parseExportArgs(argv, NO_ENV);
    expect(parsed).toMatchObject({ help: false, error: expect.stringContaining(message) });
  });

  it('when -h is given, then help is asked for', () => {
    expect(parseExportArgs(['-h'], NO_ENV)).toEqual({ help: true });
  });
});
