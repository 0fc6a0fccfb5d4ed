import { ActivityTypeSchema, UserIdSchema, type ActivityType } from '@uap/shared/contract';
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

export const HELP = `Usage: npm run tail -- [options]

Prints the live activity stream (GET /api/v1/activities/stream) as it happens, one line per activity.
Reconnects by itself and resumes after the last activity printed, so nothing is missed or printed twice
(as long as the server still holds that position; if not, it says "reset" on stderr).

Options:
  --type <TYPE[,TYPE]>   only these activity types (repeatable, at most ${MAX_TYPES_PER_FILTER}): ${TYPE_NAME_HELP}
  --user <userId>        only this user's activities
  --json                 one JSON object per line (ndjson), as the list endpoint shows an activity
  --url <url>            API base URL  (default $UAP_API_URL, else http://localhost:3000)
  --key <key>            API key with the read scope (default $UAP_API_KEY), sent as X-API-Key
  -h, --help             show this help

Notices (reconnecting, dropped, reset) go to stderr; activities to stdout.
Exit status: 0 stopped with Ctrl-C, 2 usage error or refused by the API (400, 401, 403, 404).`;

export interface TailOptions extends ApiTarget {
  json: boolean;
  types?: ActivityType[];
  userId?: string;
}

/** Parses the tail options; --url, --key (else UAP_API_URL, UAP_API_KEY) and --help come from the CLI frame. */
export function parseTailArgs(argv: string[], env: Env): ParsedArgs<TailOptions> {
  return parseCli(
    argv,
    env,
    { json: { type: 'boolean' }, type: { type: 'string', multiple: true }, user: { type: 'string' } },
    (flags) => {
      const [extra] = flags.positionals;
      if (extra !== undefined) flags.fail(`tail takes no arguments (got "${extra.slice(0, 40)}")`);
      return compact({
        json: flags.on('json'),
        types: flags.list('type', z.array(ActivityTypeSchema).min(1).max(MAX_TYPES_PER_FILTER), (t) => t.toUpperCase()),
        userId: flags.value('user', UserIdSchema),
      });
    },
  );
}
