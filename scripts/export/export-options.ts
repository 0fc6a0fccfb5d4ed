import { parseArgs } from 'node:util';
import { ActivityTypeSchema, IsoDateTimeSchema, UserIdSchema } from '@uap/shared/contract';
import { z } from 'zod';

export const HELP = `Usage: npm run export -- --out <file> [--format ndjson|csv] [filters] [--url <url>] [--key <key>]

Streams every matching activity from GET /api/v1/activities/export into a file, in list order
(occurredAt, then eventId; newest first unless --sort asc), in constant memory. Needs a key with the read scope.

Options:
  --out <file>           where to write (required); "-" writes to stdout
  --format <f>           ndjson (default) or csv
  --user <userId>        only this user's activities
  --type <TYPE>          activity type (repeatable, or comma-separated)
  --from <iso>, --to <iso>   occurredAt range, from inclusive, to exclusive
  --sort <desc|asc>      default desc
  --url <url>            API base URL   (default $UAP_API_URL, else http://localhost:3000)
  --key <key>            API key        (default $UAP_API_KEY), sent as X-API-Key
  -h, --help             show this help

Progress (rows, bytes, rate) goes to stderr.
Exit status: 0 done, 1 the export was cut off (the server or the connection failed mid-way; the file is
incomplete), 2 usage, connection or HTTP error (nothing written).`;

export interface ExportOptions {
  url: string;
  key?: string;
  out: string;
  format: 'ndjson' | 'csv';
  query: { userId?: string; type?: string; from?: string; to?: string; sort?: 'desc' | 'asc' };
}

export type ParsedArgs = { help: true } | { help: false; options: ExportOptions } | { help: false; error: string };

const FLAG_SCHEMAS = {
  url: z.url({ protocol: /^https?$/ }),
  key: z.string().min(1),
  out: z.string().min(1),
  format: z.enum(['ndjson', 'csv']),
  user: UserIdSchema,
  type: z.array(ActivityTypeSchema).min(1),
  from: IsoDateTimeSchema,
  to: IsoDateTimeSchema,
  sort: z.enum(['desc', 'asc']),
} as const;

/** Parses the flags; env supplies UAP_API_URL and UAP_API_KEY when the flags are absent. */
export function parseExportArgs(argv: string[], env: Record<string, string | undefined>): ParsedArgs {
  let values: Record<string, string | boolean | string[] | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        key: { type: 'string' },
        out: { type: 'string', short: 'o' },
        format: { type: 'string' },
        user: { type: 'string' },
        type: { type: 'string', multiple: true },
        from: { type: 'string' },
        to: { type: 'string' },
        sort: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return { help: false, error: (err as Error).message };
  }
  if (values['help']) return { help: true };
  const errors: string[] = [];
  if (positionals.length > 0) errors.push(`unexpected argument "${positionals[0]!.slice(0, 40)}"`);
  const flag = <K extends keyof typeof FLAG_SCHEMAS>(
    name: K,
    raw: unknown,
  ): z.infer<(typeof FLAG_SCHEMAS)[K]> | undefined => {
    if (raw === undefined) return undefined;
    const parsed = FLAG_SCHEMAS[name].safeParse(raw);
    if (!parsed.success) errors.push(`--${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return parsed.data as z.infer<(typeof FLAG_SCHEMAS)[K]> | undefined;
  };
  const typesRaw = values['type'] as string[] | undefined;
  const types = flag('type', typesRaw && [...new Set(typesRaw.flatMap((t) => t.split(',')).map((t) => t.trim()))]);
  const query = stripUndefined({
    userId: flag('user', values['user']),
    type: types?.join(','),
    from: flag('from', values['from']),
    to: flag('to', values['to']),
    sort: flag('sort', values['sort']),
  });
  if (query.from && query.to && Date.parse(query.from) >= Date.parse(query.to)) {
    errors.push('--from must be before --to (from is inclusive, to exclusive)');
  }
  const out = flag('out', values['out']);
  if (values['out'] === undefined) errors.push('--out <file> is required ("-" for stdout)');
  const format = flag('format', values['format']) ?? 'ndjson';
  const url = flag('url', values['url'] ?? (env['UAP_API_URL'] || 'http://localhost:3000'));
  const key = flag('key', values['key'] ?? (env['UAP_API_KEY'] || undefined));
  if (errors.length > 0 || out === undefined || url === undefined) return { help: false, error: errors.join('\n') };
  return { help: false, options: stripUndefined({ url, key, out, format, query }) };
}

function stripUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as never;
}
