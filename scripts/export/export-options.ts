import { ActivityTypeSchema, IsoDateTimeSchema, UserIdSchema } from '@uap/shared/contract';
import { z } from 'zod';
import {
  compact,
  MAX_TYPES_PER_FILTER,
  parseCli,
  TYPE_NAME_HELP,
  type ApiTarget,
  type Env,
  type ParsedArgs,
} from '../cli/cli-args';

export const HELP = `Usage: npm run export -- --out <file> [--format ndjson|csv] [filters] [--url <url>] [--key <key>]

Streams every matching activity from GET /api/v1/activities/export into a file, in list order
(occurredAt, then eventId; newest first unless --sort asc), in constant memory. Needs a key with the read scope.

Options:
  --out <file>           where to write (required); "-" writes to stdout
  --format <f>           ndjson (default) or csv
  --user <userId>        only this user's activities
  --type <TYPE>          activity type (repeatable, or comma-separated; at most ${MAX_TYPES_PER_FILTER}):
                         ${TYPE_NAME_HELP}
  --from <iso>, --to <iso>   occurredAt range, from inclusive, to exclusive
  --sort <desc|asc>      default desc
  --url <url>            API base URL   (default $UAP_API_URL, else http://localhost:3000)
  --key <key>            API key        (default $UAP_API_KEY), sent as X-API-Key
  -h, --help             show this help

Progress (rows, bytes, rate) goes to stderr.
Exit status: 0 done, 1 the export was cut off (the server or the connection failed mid-way; the file is
incomplete), 2 usage, connection or HTTP error (nothing written).`;

export interface ExportOptions extends ApiTarget {
  out: string;
  format: 'ndjson' | 'csv';
  query: { userId?: string; type?: string; from?: string; to?: string; sort?: 'desc' | 'asc' };
}

/** Parses the flags; --url, --key (else UAP_API_URL, UAP_API_KEY) and --help come from the CLI frame. */
export function parseExportArgs(argv: string[], env: Env): ParsedArgs<ExportOptions> {
  return parseCli(
    argv,
    env,
    {
      out: { type: 'string', short: 'o' },
      format: { type: 'string' },
      user: { type: 'string' },
      type: { type: 'string', multiple: true },
      from: { type: 'string' },
      to: { type: 'string' },
      sort: { type: 'string' },
    },
    (flags) => {
      const [extra] = flags.positionals;
      if (extra !== undefined) flags.fail(`unexpected argument "${extra.slice(0, 40)}"`);
      const query = compact({
        userId: flags.value('user', UserIdSchema),
        type: flags.list('type', z.array(ActivityTypeSchema).min(1).max(MAX_TYPES_PER_FILTER))?.join(','),
        from: flags.value('from', IsoDateTimeSchema),
        to: flags.value('to', IsoDateTimeSchema),
        sort: flags.value('sort', z.enum(['desc', 'asc'])),
      });
      flags.range(query.from, query.to);
      const out = flags.value('out', z.string().min(1));
      if (flags.values['out'] === undefined) flags.fail('--out <file> is required ("-" for stdout)');
      const format = flags.value('format', z.enum(['ndjson', 'csv'])) ?? 'ndjson';
      return out === undefined ? undefined : { out, format, query };
    },
  );
}
