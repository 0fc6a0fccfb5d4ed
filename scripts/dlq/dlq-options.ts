import { ActivityTypeSchema, DEAD_LETTER_STATUSES, IsoDateTimeSchema, UserIdSchema } from '@uap/shared/contract';
import { z } from 'zod';
import {
  compact,
  parseCli,
  TYPE_NAME_HELP,
  type ApiTarget,
  type Env,
  type Flags,
  type ParsedArgs,
} from '../cli/cli-args';

export const HELP = `Usage: npm run dlq -- <command> [options]

Looks at dead letters and replays them, through the API (never Kafka). Needs a key with the admin scope.

Commands:
  list                   dead letters, newest first
  show <letterId>        one letter: error, headers and payload
  stats                  counts by reason and status
  replay                 re-validate the selected letters with the current contract and republish those that pass

Filters (list, replay):
  --reason <slug>        e.g. schema-violation, invalid-json, unknown-schema-version, store-rejected
  --type <TYPE>          activity type of the payload: ${TYPE_NAME_HELP}
  --user <userId>        user named by the payload
  --status <s[,s]>       dead, replayed, parked (repeatable; replay takes dead by default)
  --from <iso>, --to <iso>   failedAt range, from inclusive, to exclusive (stats takes these too)

list:    --limit <1-100> (page size), --cursor <c> (page.nextCursor), --all (follow every page)
replay:  --id <letterId> (repeatable; the only way to take parked letters), --dry-run (count only, change nothing),
         --max <n> (take at most n letters), --rate <n> (publishes per second, default 500 on the server)

Common:
  --url <url>            API base URL   (default $UAP_API_URL, else http://localhost:3000)
  --key <key>            admin API key  (default $UAP_API_KEY), sent as X-API-Key
  --json                 print one JSON document instead of text
  -h, --help             show this help

Exit status: 0 done (for replay: nothing still failing), 1 replay left letters failing or ended cancelled/failed,
2 usage, connection or HTTP error, 130 interrupted (a replay job keeps running on the server).`;

export const COMMANDS = ['list', 'show', 'stats', 'replay'] as const;
export type CommandName = (typeof COMMANDS)[number];

/** The same slug rule the API applies to dlq-reason values. */
const REASON_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** `<dlq partition>-<dlq offset>`, as the worker's indexer writes it. */
const LETTER_ID_PATTERN = /^[0-9]{1,10}-[0-9]{1,19}$/;

export interface LetterFilter {
  reason?: string;
  type?: string;
  userId?: string;
  status?: string[];
  from?: string;
  to?: string;
}

export type DlqCommand =
  | { name: 'list'; filter: LetterFilter; limit?: number; cursor?: string; all: boolean }
  | { name: 'show'; letterId: string }
  | { name: 'stats'; from?: string; to?: string }
  | { name: 'replay'; filter: LetterFilter; letterIds?: string[]; dryRun: boolean; max?: number; rate?: number };

export interface DlqOptions extends ApiTarget {
  json: boolean;
  command: DlqCommand;
}

const FILTER_FLAGS = ['reason', 'type', 'user', 'status', 'from', 'to'];
const COMMAND_FLAGS: Record<CommandName, string[]> = {
  list: [...FILTER_FLAGS, 'limit', 'cursor', 'all'],
  show: [],
  stats: ['from', 'to'],
  replay: [...FILTER_FLAGS, 'id', 'dry-run', 'max', 'rate'],
};
const COMMON_FLAGS = ['url', 'key', 'json', 'help'];

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const SCHEMAS = {
  reason: z.string().regex(REASON_PATTERN, 'must be a reason slug like schema-violation'),
  status: z.array(z.enum(DEAD_LETTER_STATUSES)).max(3),
  limit: int(1, 100),
  cursor: z.string().regex(/^[A-Za-z0-9_-]{1,512}$/, 'must be a page.nextCursor value'),
  id: z.array(z.string().regex(LETTER_ID_PATTERN, 'must be a letter id like 0-42')).max(1000),
  max: int(1, 1_000_000),
  rate: int(1, 10_000),
};

/** Parses `<command> [options]`; --url, --key (else UAP_API_URL, UAP_API_KEY) and --help come from the CLI frame. */
export function parseDlqArgs(argv: string[], env: Env): ParsedArgs<DlqOptions> {
  return parseCli(
    argv,
    env,
    {
      json: { type: 'boolean' },
      reason: { type: 'string' },
      type: { type: 'string' },
      user: { type: 'string' },
      status: { type: 'string', multiple: true },
      from: { type: 'string' },
      to: { type: 'string' },
      limit: { type: 'string' },
      cursor: { type: 'string' },
      all: { type: 'boolean' },
      id: { type: 'string', multiple: true },
      'dry-run': { type: 'boolean' },
      max: { type: 'string' },
      rate: { type: 'string' },
    },
    (flags) => {
      const [name, ...rest] = flags.positionals;
      if (name === undefined) return flags.fail(`a command is needed: ${COMMANDS.join(', ')}`);
      if (!(COMMANDS as readonly string[]).includes(name)) {
        return flags.fail(`unknown command "${name}"; use one of ${COMMANDS.join(', ')}`);
      }
      const command = name as CommandName;
      for (const flag of Object.keys(flags.values)) {
        if (!COMMON_FLAGS.includes(flag) && !COMMAND_FLAGS[command].includes(flag)) {
          flags.fail(`--${flag} is not an option of ${command}`);
        }
      }
      if (rest.length !== (command === 'show' ? 1 : 0)) {
        flags.fail(command === 'show' ? 'show takes one letter id, e.g. show 0-42' : `${command} takes no arguments`);
      }
      const letterId = rest[0] ?? '';
      if (command === 'show' && rest.length === 1 && !LETTER_ID_PATTERN.test(letterId)) {
        flags.fail(`"${letterId.slice(0, 40)}" is not a letter id like 0-42`);
      }
      return { json: flags.on('json'), command: commandOf(command, letterId, flags) };
    },
  );
}

function commandOf(command: CommandName, letterId: string, flags: Flags): DlqCommand {
  const filter = compact<LetterFilter>({
    reason: flags.value('reason', SCHEMAS.reason),
    type: flags.value('type', ActivityTypeSchema),
    userId: flags.value('user', UserIdSchema),
    status: flags.list('status', SCHEMAS.status),
    from: flags.value('from', IsoDateTimeSchema),
    to: flags.value('to', IsoDateTimeSchema),
  });
  flags.range(filter.from, filter.to);
  switch (command) {
    case 'list': {
      const cursor = flags.value('cursor', SCHEMAS.cursor);
      if (flags.on('all') && cursor) flags.fail('--all and --cursor do not go together');
      return compact({
        name: 'list',
        filter,
        limit: flags.value('limit', SCHEMAS.limit),
        cursor,
        all: flags.on('all'),
      });
    }
    case 'show':
      return { name: 'show', letterId };
    case 'stats':
      return compact({ name: 'stats', from: filter.from, to: filter.to });
    case 'replay': {
      const ids = flags.value('id', SCHEMAS.id);
      return compact({
        name: 'replay',
        filter,
        letterIds: ids && [...new Set(ids)],
        dryRun: flags.on('dry-run'),
        max: flags.value('max', SCHEMAS.max),
        rate: flags.value('rate', SCHEMAS.rate),
      });
    }
  }
}
