import { parseStrict, usageExitCode } from './strict-args';

describe('parseStrict', () => {
  it('when every flag is known, then their values are returned', () => {
    expect(parseStrict(['--name', 'x', '--on'], { name: { type: 'string' }, on: { type: 'boolean' } })).toEqual({
      values: { name: 'x', on: true },
    });
  });

  it('when a flag is unknown, then its message is returned instead of thrown', () => {
    expect(parseStrict(['--nope'], { name: { type: 'string' } })).toEqual({
      error: expect.stringContaining("Unknown option '--nope'"),
    });
  });
});

describe('usageExitCode', () => {
  afterEach(() => jest.restoreAllMocks());

  it('when help is asked for, then it is printed on stdout and the exit code is 0', () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(usageExitCode('tool', { help: true }, 'HELP')).toBe(0);
    expect(log).toHaveBeenCalledWith('HELP');
  });

  it('when the options are wrong, then the error and the help go to stderr and the exit code is 2', () => {
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(usageExitCode('tool', { help: false, error: 'bad' }, 'HELP')).toBe(2);
    expect(error).toHaveBeenCalledWith('tool: bad\n\nHELP');
  });
});
