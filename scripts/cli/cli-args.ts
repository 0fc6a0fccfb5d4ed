import { parseArgs } from 'node:util';
import { z } from 'zod';

export type Env = Record<string, string | undefined>;

/** A command line read: `--help` asked for, the options, or why they cannot be used. */
export type ParsedArgs<O> = { help: true } | { help: false; options: O } | { help: false; error: string };

/** Where the API is and the key to show it: what every CLI takes besides its own options. */
export interface ApiTarget {
  url: string;
  key?: string;
}

/** What --url and --key fall back to. */
export const API_ENV = { url: 'UAP_API_URL', key: 'UAP_API_KEY' } as const;
const DEFAULT_API_URL = 'http://localhost:3000';
/** Distinct activity types one filter may name: the api's cap (QUERY_LIMITS.maxTypes), said before asking. */
export const MAX_TYPES_PER_FILTER = 50;
export const TYPE_NAME_HELP = 'any activity type name, built-in or registered at runtime (e.g. LOGIN, VIDEO_PLAY)';

export type FlagSpec = { type: 'string' | 'boolean'; multiple?: boolean; short?: string };
type Values = Record<string, string | boolean | Array<string | boolean> | undefined>;

const COMMON_FLAGS = {
  url: { type: 'string' },
  key: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Record<string, FlagSpec>;
const UrlSchema = z.url({ protocol: /^https?$/ });
const KeySchema = z.string().min(1);

/**
 * The flags of one command line. Each read validates its value and notes what is wrong instead of
 * stopping, so that a user sees every mistake at once.
 */
export class Flags {
  private readonly errors: string[] = [];

  constructor(
    readonly values: Values,
    readonly positionals: readonly string[],
  ) {}

  /** A flag's value checked by `schema`: undefined when absent or invalid (then it is an error). */
  value<T>(name: string, schema: z.ZodType<T>, raw: unknown = this.values[name]): T | undefined {
    if (raw === undefined) return undefined;
    const parsed = schema.safeParse(raw);
    if (!parsed.success) this.fail(`--${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return parsed.data;
  }

  /** A repeatable flag that also takes comma-separated values: split, trimmed, `normalize`d and deduplicated. */
  list<T>(name: string, schema: z.ZodType<T>, normalize: (item: string) => string = (item) => item): T | undefined {
    const raw = this.values[name] as string[] | undefined;
    const items = raw && [...new Set(raw.flatMap((value) => value.split(',')).map((item) => normalize(item.trim())))];
    return this.value(name, schema, items);
  }

  on(name: string): boolean {
    return this.values[name] === true;
  }

  /** Notes a usage error; returns undefined so a builder can `return flags.fail(…)`. */
  fail(message: string): undefined {
    this.errors.push(message);
    return undefined;
  }

  /** A time range as the API takes it: from inclusive, to exclusive. */
  range(from: string | undefined, to: string | undefined): void {
    if (from && to && Date.parse(from) >= Date.parse(to)) {
      this.fail('--from must be before --to (from is inclusive, to exclusive)');
    }
  }

  get problems(): string[] {
    return [...new Set(this.errors)];
  }
}

/**
 * `node:util` parseArgs, strict (an unknown flag or a flag without its value is an error), with what
 * every CLI takes: --url and --key, falling back to $UAP_API_URL (else localhost:3000) and $UAP_API_KEY,
 * and -h/--help. `build` turns the command's own flags into its options, or fails through `flags`.
 */
export function parseCli<O extends object>(
  argv: readonly string[],
  env: Env,
  flags: Record<string, FlagSpec>,
  build: (flags: Flags) => O | undefined,
): ParsedArgs<O & ApiTarget> {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: { ...flags, ...COMMON_FLAGS },
    });
  } catch (err) {
    return { help: false, error: (err as Error).message };
  }
  if (parsed.values['help']) return { help: true };
  const read = new Flags(parsed.values, parsed.positionals);
  const options = build(read);
  const url = read.value('url', UrlSchema, parsed.values['url'] ?? (env[API_ENV.url] || DEFAULT_API_URL));
  const key = read.value('key', KeySchema, parsed.values['key'] ?? (env[API_ENV.key] || undefined));
  const problems = read.problems;
  if (problems.length > 0 || options === undefined || url === undefined) {
    return { help: false, error: problems.join('\n') };
  }
  return { help: false, options: { ...options, url, ...(key === undefined ? {} : { key }) } };
}

/** The object without its undefined properties, so options compare and print as given. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
