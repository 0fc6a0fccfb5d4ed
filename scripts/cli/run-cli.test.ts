import { parseCli } from './cli-args';
import { runCli, type CliProgram } from './run-cli';
import { memoryIo } from './testing/memory-io';

const echo: CliProgram<{ url: string; loud: boolean }> = {
  name: 'echo',
  help: 'Usage: echo [--loud]',
  parse: (argv, env) => parseCli(argv, env, { loud: { type: 'boolean' } }, (flags) => ({ loud: flags.on('loud') })),
  run: async (options, io) => {
    io.out(options.loud ? options.url.toUpperCase() : options.url);
    return 0;
  },
};

describe('runCli', () => {
  it('when --help is given, then the help goes to stdout and the exit code is 0', async () => {
    const { io, out, err } = memoryIo();
    expect(await runCli(echo, ['--help'], {}, io)).toBe(0);
    expect(out).toEqual(['Usage: echo [--loud]']);
    expect(err).toEqual([]);
  });

  it('when a flag is unknown, then the message and the help go to stderr and the exit code is 2', async () => {
    const { io, out, stderr } = memoryIo();
    expect(await runCli(echo, ['--quiet'], {}, io)).toBe(2);
    expect(out).toEqual([]);
    expect(stderr()).toMatch(/^echo: Unknown option '--quiet'.*\n\nUsage: echo \[--loud\]$/s);
  });

  it('when the arguments are good, then the program runs with them and its exit code is returned', async () => {
    const { io, out } = memoryIo();
    expect(await runCli(echo, ['--loud'], { UAP_API_URL: 'http://api.test' }, io)).toBe(0);
    expect(out).toEqual(['HTTP://API.TEST']);
  });
});
