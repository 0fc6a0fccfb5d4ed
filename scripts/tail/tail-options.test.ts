import { parseTailArgs } from './tail-options';

const NO_ENV = {};

describe('tail options', () => {
  it('when nothing is given, then it follows every activity on localhost:3000 without a key', () => {
    expect(parseTailArgs([], NO_ENV)).toEqual({ help: false, options: { url: 'http://localhost:3000', json: false } });
  });

  it('when UAP_API_URL and UAP_API_KEY are set, then they apply unless the flags say otherwise', () => {
    const env = { UAP_API_URL: 'http://api:8080', UAP_API_KEY: 'from-env' };
    expect(parseTailArgs([], env)).toMatchObject({ options: { url: 'http://api:8080', key: 'from-env' } });
    expect(parseTailArgs(['--url', 'https://x.test', '--key', 'k'], env)).toMatchObject({
      options: { url: 'https://x.test', key: 'k' },
    });
  });

  it('when --type is repeated or comma-separated, then the types are validated, upper-cased and deduplicated', () => {
    expect(parseTailArgs(['--type', 'SEARCH,login', '--type', 'SEARCH', '--user', 'alice', '--json'], NO_ENV)).toEqual({
      help: false,
      options: { url: 'http://localhost:3000', json: true, types: ['SEARCH', 'LOGIN'], userId: 'alice' },
    });
  });

  it('when --type names a type registered at runtime, then it is taken like a built-in one', () => {
    expect(parseTailArgs(['--type', 'video_play,LOGIN'], NO_ENV)).toMatchObject({
      options: { types: ['VIDEO_PLAY', 'LOGIN'] },
    });
  });

  it.each([
    [['--type', 'TELE-PORT'], '--type'],
    [['--type', Array.from({ length: 51 }, (_, i) => `T${i}`).join(',')], '--type'],
    [['--type', ''], '--type'],
    [['--user', 'al ice'], '--user'],
    [['--url', 'ftp://x'], '--url'],
    [['--key', ''], '--key'],
    [['SEARCH'], 'tail takes no arguments'],
    [['--bogus'], 'bogus'],
    [['--user'], 'user'],
  ])('when the arguments are %j, then the error says %s', (argv, message) => {
    expect(parseTailArgs(argv, NO_ENV)).toEqual({ help: false, error: expect.stringContaining(message) });
  });

  it('when --help is given, then help is asked for whatever else is there', () => {
    expect(parseTailArgs(['--type', 'X', '--help'], NO_ENV)).toEqual({ help: true });
    expect(parseTailArgs(['-h'], NO_ENV)).toEqual({ help: true });
  });
});
