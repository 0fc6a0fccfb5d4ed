import { parseArgs } from 'node:util';
import { ACTIVITY_TYPES, ActivityTypeSchema, UserIdSchema, type ActivityType } from '@uap/shared/contract';
import { z } from 'zod';

export const HELP = `Usage: npm run tail -- [options]

Prints the live activity stream (GET /api/v1/activities/stream) as it happens, one line per activity.
Reconnects by itself and resumes after the last activity printed, so nothing is missed or printed twice
(as long as the server still holds that position; if not, it says "reset" on stderr).

Options:
  --type <TYPE[,TYPE]>   only these activity types (repeatable): ${ACTIVITY_TYPES.join(', ')}
  --user <userId>        only this user's activities
  --json                 one JSON object per line (ndjson), as the list endpoint shows an activity
  --url <url>            API base URL  (default $UAP_API_URL, else http://localhost:3000)
  --key <key>            API key with the read scope (default $UAP_API_KEY), sent as X-API-Key
  -h, --help             show this help

Notices (reconnecting, dropped, reset) go to stderr; activities to stdout.
Exit status: 0 stopped with Ctrl-C, 2 usage error or refused by the API (400, 401, 403, 404).`;

export interface TailOptions {
  url: string;
  key?: string;
  json: boolean;
  types?: ActivityType[];
  userId?: string;
}

export type ParsedTailArgs = { help: true } | { help: false; options: TailOptions } | { help: false; error: string };

const FLAG_SCHEMAS = {
  url: z.url({ protocol: /^https?$/ }),
  key: z.string().min(1),
  type: z.array(ActivityTypeSchema).min(1).max(ACTIVITY_TYPES.length),
  user: UserIdSchema,
} as const;

/** Parses the tail options; env supplies UAP_API_URL and UAP_API_KEY when the flags are absent. */
export function parseTailArgs(argv: string[], env: Record<string, string | undefined>): ParsedTailArgs {
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
        json: { type: 'boolean' },
        type: { type: 'string', multiple: true },
        user: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return { help: false, error: (err as Error).message };
  }
  if (values['help']) return { help: true };
  const errors: string[] = [];
  if (positionals.length > 0) errors.push(`tail takes no arguments (got "${positionals[0]!.slice(0, 40)}")`);
  const check = <T>(flag: keyof typeof FLAG_SCHEMAS, raw: unknown): T | undefined => {
    if (raw === undefined) return undefined;
    const parsed = FLAG_SCHEMAS[flag].safeParse(raw);
    if (!parsed.success) errors.push(`--${flag}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return parsed.data as T | undefined;
  };
  const typesRaw = values['type'] as string[] | undefined;
  const types = check<ActivityType[]>(
    'type',
    typesRaw && [...new Set(typesRaw.flatMap((t) => t.split(',')).map((t) => t.trim().toUpperCase()))],
  );
  const userId = check<string>('user', values['user']);
  const url = check<string>('url', values['url'] ?? (env['UAP_API_URL'] || 'http://localhost:3000'));
  const key = check<string>('key', values['key'] ?? (env['UAP_API_KEY'] || undefined));
  if (errors.length > 0 || url === undefined) return { help: false, error: errors.join('\n') };
  return {
    help: false,
    options: {
      url,
      json: values['json'] === true,
      ...(key === undefined ? {} : { key }),
      ...(types === undefined ? {} : { types }),
      ...(userId === undefined ? {} : { userId }),
    },
  };
}
