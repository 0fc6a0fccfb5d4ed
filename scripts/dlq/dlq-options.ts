import { parseArgs } from 'node:util';
import { ActivityTypeSchema, DEAD_LETTER_STATUSES, IsoDateTimeSchema, UserIdSchema } from '@uap/shared/contract';
import { z } from 'zod';

export const HELP = `Usage: npm run dlq -- <command> [options]

Looks at dead letters and replays them, through the API (never Kafka). Needs a key with the admin scope.

Commands:
  list                   dead letters, newest first
  show <letterId>        one letter: error, headers and payload
  stats                  counts by reason and status
  replay                 re-validate the selected letters with the current contract and republish those that pass

Filters (list, replay):
  --reason <slug>        e.g. schema-violation, invalid-json, unknown-schema-version, store-rejected
  --type <TYPE>          activity type of the payload
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

export interface DlqOptions {
  url: string;
  key?: string;
  json: boolean;
  command: DlqCommand;
}

export type ParsedArgs = { help: true } | { help: false; options: DlqOptions } | { help: false; error: string };

const FILTER_FLAGS = ['reason', 'type', 'user', 'status', 'from', 'to'];
const COMMAND_FLAGS: Record<CommandName, string[]> = {
  list: [...FILTER_FLAGS, 'limit', 'cursor', 'all'],
  show: [],
  stats: ['from', 'to'],
  replay: [...FILTER_FLAGS, 'id', 'dry-run', 'max', 'rate'],
};

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const FLAG_SCHEMAS: Record<string, z.ZodType> = {
  url: z.url({ protocol: /^https?$/ }),
  key: z.string().min(1),
  reason: z.string().regex(REASON_PATTERN, 'must be a reason slug like schema-violation'),
  type: ActivityTypeSchema,
  user: UserIdSchema,
  status: z.array(z.enum(DEAD_LETTER_STATUSES)).max(3),
  from: IsoDateTimeSchema,
  to: IsoDateTimeSchema,
  limit: int(1, 100),
  cursor: z.string().regex(/^[A-Za-z0-9_-]{1,512}$/, 'must be a page.nextCursor value'),
  id: z.array(z.string().regex(LETTER_ID_PATTERN, 'must be a letter id like 0-42')).max(1000),
  max: int(1, 1_000_000),
  rate: int(1, 10_000),
};

function flagValue(flag: string, raw: unknown, errors: string[]): unknown {
  const schema = FLAG_SCHEMAS[flag];
  if (!schema || raw === undefined) return raw;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) errors.push(`--${flag}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/** Parses `<command> [options]`; env supplies UAP_API_URL and UAP_API_KEY when the flags are absent. */
export function parseDlqArgs(argv: string[], env: Record<string, string | undefined>): ParsedArgs {
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
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return { help: false, error: (err as Error).message };
  }
  if (values['help']) return { help: true };
  const [name, ...rest] = positionals;
  if (name === undefined) return { help: false, error: `a command is needed: ${COMMANDS.join(', ')}` };
  if (!(COMMANDS as readonly string[]).includes(name)) {
    return { help: false, error: `unknown command "${name}"; use one of ${COMMANDS.join(', ')}` };
  }
  const command = name as CommandName;
  const errors: string[] = [];
  const common = ['url', 'key', 'json', 'help'];
  for (const flag of Object.keys(values)) {
    if (!common.includes(flag) && !COMMAND_FLAGS[command].includes(flag)) {
      errors.push(`--${flag} is not an option of ${command}`);
    }
  }
  const expectedPositionals = command === 'show' ? 1 : 0;
  if (rest.length !== expectedPositionals) {
    errors.push(command === 'show' ? 'show takes one letter id, e.g. show 0-42' : `${command} takes no arguments`);
  }
  const v = (flag: string) => flagValue(flag, values[flag], errors);
  const statusRaw = values['status'] as string[] | undefined;
  const status = flagValue(
    'status',
    statusRaw && [...new Set(statusRaw.flatMap((s) => s.split(',')).map((s) => s.trim()))],
    errors,
  ) as string[] | undefined;
  const filter = stripUndefined<LetterFilter>({
    reason: v('reason') as string | undefined,
    type: v('type') as string | undefined,
    userId: v('user') as string | undefined,
    status,
    from: v('from') as string | undefined,
    to: v('to') as string | undefined,
  });
  if (filter.from && filter.to && Date.parse(filter.from) >= Date.parse(filter.to)) {
    errors.push('--from must be before --to (from is inclusive, to exclusive)');
  }
  const url = flagValue('url', values['url'] ?? (env['UAP_API_URL'] || 'http://localhost:3000'), errors) as string;
  const key = flagValue('key', values['key'] ?? (env['UAP_API_KEY'] || undefined), errors) as string | undefined;
  const letterId = rest[0] ?? '';
  if (command === 'show' && rest.length === 1 && !LETTER_ID_PATTERN.test(letterId)) {
    errors.push(`"${letterId.slice(0, 40)}" is not a letter id like 0-42`);
  }
  const ids = v('id') as string[] | undefined;
  const cmd = ((): DlqCommand => {
    switch (command) {
      case 'list':
        return stripUndefined({
          name: 'list',
          filter,
          limit: v('limit') as number | undefined,
          cursor: v('cursor') as string | undefined,
          all: values['all'] === true,
        });
      case 'show':
        return { name: 'show', letterId };
      case 'stats':
        return stripUndefined({ name: 'stats', from: filter.from, to: filter.to });
      case 'replay':
        return stripUndefined({
          name: 'replay',
          filter,
          letterIds: ids && [...new Set(ids)],
          dryRun: values['dry-run'] === true,
          max: v('max') as number | undefined,
          rate: v('rate') as number | undefined,
        });
    }
  })();
  if (cmd.name === 'list' && cmd.all && cmd.cursor) errors.push('--all and --cursor do not go together');
  if (errors.length > 0) return { help: false, error: [...new Set(errors)].join('\n') };
  return { help: false, options: stripUndefined({ url, key, json: values['json'] === true, command: cmd }) };
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
