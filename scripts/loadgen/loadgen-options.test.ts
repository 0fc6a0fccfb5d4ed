import { parseLoadgenArgs } from './loadgen-options';

describe('loadgen options', () => {
  it('when no flags are given, then the defaults apply', () => {
    const parsed = parseLoadgenArgs([], false);
    expect(parsed).toMatchObject({
      help: false,
      options: {
        url: 'http://127.0.0.1:3000',
        users: 1000,
        rate: 200,
        duration: 10,
        batchSize: 1,
        concurrency: 8,
        progress: false,
      },
    });
  });

  it('when a mix is given, then it becomes weighted types, a type registered at runtime included', () => {
    const parsed = parseLoadgenArgs(['--mix', 'SEARCH=3,LOGIN=1,VIDEO_PLAY=2', '--batch-size', '50'], true);
    expect(parsed).toMatchObject({
      options: {
        mix: [
          ['SEARCH', 3],
          ['LOGIN', 1],
          ['VIDEO_PLAY', 2],
        ],
        batchSize: 50,
        progress: true,
      },
    });
  });

  it.each([
    [['--rate', '-1'], '--rate'],
    [['--batch-size', '501'], '--batch-size'],
    [['--concurrency', '0'], '--concurrency'],
    [['--duration', 'abc'], '--duration'],
    [['--mix', 'teleport=1'], '--mix'],
    [['--mix', 'LOGIN'], '--mix'],
    [['--url', 'not a url'], '--url'],
    [['--bogus'], 'bogus'],
  ])('when the flags are %j, then an error names %s', (argv, name) => {
    const parsed = parseLoadgenArgs(argv, false);
    expect(parsed).toMatchObject({ help: false, error: expect.stringContaining(name) });
  });

  it('when --help is given, then help is asked for', () => {
    expect(parseLoadgenArgs(['--help'], false)).toEqual({ help: true });
  });
});
