import { z } from 'zod';
import { compact, parseCli, type Env } from './cli-args';

/** A small command: `--name <n>` (2-5 letters), `--tag <t>` (repeatable, comma-separated), a from/to range. */
function parse(argv: string[], env: Env = {}) {
  return parseCli(
    argv,
    env,
    {
      name: { type: 'string' },
      tag: { type: 'string', multiple: true },
      from: { type: 'string' },
      to: { type: 'string' },
    },
    (flags) => {
      if (flags.positionals.length > 0) return flags.fail('takes no arguments');
      const from = flags.value('from', z.iso.datetime());
      const to = flags.value('to', z.iso.datetime());
      flags.range(from, to);
      return compact({
        name: flags.value('name', z.string().regex(/^[a-z]{2,5}$/, 'must be 2-5 letters')),
        tags: flags.list('tag', z.array(z.enum(['A', 'B', 'C'])), (tag) => tag.toUpperCase()),
      });
    },
  );
}

describe('parseCli', () => {
  it('when nothing is given, then the API is localhost:3000 and no key is sent', () => {
    expect(parse([])).toEqual({ help: false, options: { url: 'http://localhost:3000' } });
  });

  it('when UAP_API_URL and UAP_API_KEY are set, then they apply unless the flags say otherwise; empty ones do not', () => {
    const env = { UAP_API_URL: 'http://api:8080', UAP_API_KEY: 'from-env' };
    expect(parse([], env)).toEqual({ help: false, options: { url: 'http://api:8080', key: 'from-env' } });
    expect(parse(['--url', 'https://x.test', '--key', 'k'], env)).toEqual({
      help: false,
      options: { url: 'https://x.test', key: 'k' },
    });
    expect(parse([], { UAP_API_URL: '', UAP_API_KEY: '' })).toEqual({
      help: false,
      options: { url: 'http://localhost:3000' },
    });
  });

  it('when a list flag is repeated or comma-separated, then it is split, normalized and deduplicated', () => {
    expect(parse(['--tag', 'a, b', '--tag', 'A'])).toMatchObject({ options: { tags: ['A', 'B'] } });
  });

  it('when a flag is unknown or lacks its value, then parseArgs says so', () => {
    expect(parse(['--bogus'])).toEqual({ help: false, error: expect.stringContaining("Unknown option '--bogus'") });
    expect(parse(['--name'])).toEqual({
      help: false,
      error: expect.stringContaining("'--name <value>' argument missing"),
    });
  });

  it('when several values are wrong, then every error is listed, once', () => {
    const parsed = parse(['--name', 'X', '--tag', 'D', '--url', 'ftp://x', '--key', '', 'extra']);
    expect(parsed).toEqual({ help: false, error: expect.any(String) });
    const lines = (parsed as { error: string }).error.split('\n');
    expect(lines).toEqual([
      'takes no arguments',
      '--url: Invalid URL',
      '--key: Too small: expected string to have >=1 characters',
    ]);
    const values = parse([
      '--name',
      'X',
      '--tag',
      'D',
      '--from',
      '2026-02-01T00:00:00Z',
      '--to',
      '2026-01-01T00:00:00Z',
    ]);
    expect((values as { error: string }).error.split('\n')).toEqual([
      '--from must be before --to (from is inclusive, to exclusive)',
      '--name: must be 2-5 letters',
      expect.stringMatching(/^--tag: /),
    ]);
  });

  it('when --help or -h is given, then help is asked for whatever else is there', () => {
    expect(parse(['--name', 'X', '--help'])).toEqual({ help: true });
    expect(parse(['-h'])).toEqual({ help: true });
  });
});
