import { ActivityTypeSchema, SOURCE_ID_PATTERN } from '@uap/shared/contract';
import { z } from 'zod';
import { compact, parseCli, type ApiTarget, type Env, type Flags, type ParsedArgs } from '../cli/cli-args';
import {
  KEY_SCOPES,
  KEY_STATUS_FILTERS,
  type CreateKeyRequest,
  type CreateSourceRequest,
  type KeyStatusFilter,
  type RotateKeyRequest,
  type SourceChange,
} from './keys-client';

export const HELP = `Usage: npm run keys -- <command> [options]
       npm run keys -- sources <command> [options]

Manages API keys and the sources they send for, through the API, at runtime: no restart, every replica
follows within seconds. Needs a key with the admin scope. A new key is printed once, alone on stdout (so
that KEY=$(npm run -s keys -- create …) takes it); the API keeps only its hash and cannot show it again.

Keys (a key is named by its id or its prefix uapk_<id>, as list prints it; never by the key itself):
  list                   every key: prefix, label, scopes, source, created, last used, expires, status
                         --status <${KEY_STATUS_FILTERS.join('|')}>, --source <id>
  show <id>              one key, with who created it and what it was rotated from or to
  create                 a new key: --label <text> (1-100 characters), --scope <${KEY_SCOPES.join(',')}> (repeatable or
                         comma-separated), --source <id> (its events carry the source and follow its policy),
                         --expires <iso instant | 90d | 12h> (default: never)
  rotate <id>            a successor with the same label, scopes, source and expiry; the old key keeps working for
                         --grace <seconds | 30m | 24h | 7d> (default: the server's, 24 h; 0 ends it now);
                         --expires gives the successor another expiry
  revoke <id>            refuse the key from now on, on every replica within about 2 s; it cannot be undone

Sources (an id is lower kebab case: web, ios, backend):
  sources list           each source: status, rate limit, allowed types, active keys
  sources create <id>    --name <text> (1-100), --rate-limit <requests per minute per api replica>,
                         --types <TYPE,...> (default: every type the registry accepts), --paused
  sources update <id>    --name, --rate-limit <n | none>, --types <TYPE,... | all>: what is not given stays
  sources pause <id>     refuse its keys' events with 403 source-paused until resumed
  sources resume <id>

Common:
  --url <url>            API base URL   (default $UAP_API_URL, else http://localhost:3000)
  --key <key>            admin API key  (default $UAP_API_KEY), sent as X-API-Key
  --json                 print the API's JSON document (for create and rotate: with the new key in it)
  -h, --help             show this help

Exit status: 0 done, 2 usage, connection or HTTP error (the problem's title, detail and fields are printed).`;

export const KEY_COMMANDS = ['list', 'show', 'create', 'rotate', 'revoke'] as const;
export const SOURCE_COMMANDS = ['list', 'create', 'update', 'pause', 'resume'] as const;
type KeyCommandName = (typeof KEY_COMMANDS)[number];
type SourceCommandName = `sources ${(typeof SOURCE_COMMANDS)[number]}`;
type CommandName = KeyCommandName | SourceCommandName;

export type KeysCommand =
  | { name: 'list'; status?: KeyStatusFilter; sourceId?: string }
  | { name: 'show'; id: string }
  | { name: 'create'; request: CreateKeyRequest }
  | { name: 'rotate'; id: string; request: RotateKeyRequest }
  | { name: 'revoke'; id: string }
  | { name: 'sources list' }
  | { name: 'sources create'; request: CreateSourceRequest }
  | { name: 'sources update'; id: string; change: SourceChange }
  | { name: 'sources pause'; id: string }
  | { name: 'sources resume'; id: string };

export interface KeysOptions extends ApiTarget {
  json: boolean;
  command: KeysCommand;
}

const SOURCE_FLAGS = ['name', 'rate-limit', 'types'];
const COMMAND_FLAGS: Record<CommandName, string[]> = {
  list: ['status', 'source'],
  show: [],
  create: ['label', 'scope', 'source', 'expires'],
  rotate: ['grace', 'expires'],
  revoke: [],
  'sources list': [],
  'sources create': [...SOURCE_FLAGS, 'paused'],
  'sources update': SOURCE_FLAGS,
  'sources pause': [],
  'sources resume': [],
};
const COMMON_FLAGS = ['url', 'key', 'json', 'help'];
/** The commands that name one key or one source, and how. */
const ARGUMENT: Partial<Record<CommandName, string>> = {
  show: 'show takes one key id, e.g. show uapk_0123456789abcdef',
  rotate: 'rotate takes one key id, e.g. rotate uapk_0123456789abcdef',
  revoke: 'revoke takes one key id, e.g. revoke uapk_0123456789abcdef',
  'sources create': 'sources create takes one source id, e.g. sources create ios --name "iOS app"',
  'sources update': 'sources update takes one source id, e.g. sources update ios --rate-limit 600',
  'sources pause': 'sources pause takes one source id, e.g. sources pause ios',
  'sources resume': 'sources resume takes one source id, e.g. sources resume ios',
};

/** Bootstrap keys (API_KEYS) are named by 12 hex digits of their hash, runtime keys by 16 random ones. */
const KEY_ID = /^(?:uapk_)?([0-9a-f]{12}|[0-9a-f]{16})$/;
/** A whole runtime key: refused as an argument, so that it is not left in a shell history or a process list. */
const KEY_SECRET = /^uapk_[0-9a-f]{16}_/;
/** The most the API lets a rotated key live on: 30 days. */
const MAX_GRACE_SECONDS = 2_592_000;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };
const DURATION = /^(\d{1,7})([smhd])?$/;

const SCHEMAS = {
  label: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  scopes: z.array(z.enum(KEY_SCOPES)).min(1, `needs at least one of ${KEY_SCOPES.join(', ')}`),
  status: z.enum(KEY_STATUS_FILTERS),
  source: z.string().regex(SOURCE_ID_PATTERN, 'must be a source id: lower kebab case, e.g. web, ios, backend'),
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  rateLimit: z.coerce.number().int('must be a whole number').min(1).max(1_000_000),
  types: z.array(ActivityTypeSchema).min(1).max(500),
};

/**
 * Parses `[sources] <command> [options]`; --url, --key (else UAP_API_URL, UAP_API_KEY) and --help come from the
 * CLI frame. `now` turns a relative --expires (90d) into the instant the API takes.
 */
export function parseKeysArgs(argv: string[], env: Env, now: number = Date.now()): ParsedArgs<KeysOptions> {
  return parseCli(
    argv,
    env,
    {
      json: { type: 'boolean' },
      status: { type: 'string' },
      source: { type: 'string' },
      label: { type: 'string' },
      scope: { type: 'string', multiple: true },
      expires: { type: 'string' },
      grace: { type: 'string' },
      name: { type: 'string' },
      'rate-limit': { type: 'string' },
      types: { type: 'string', multiple: true },
      paused: { type: 'boolean' },
    },
    (flags) => {
      const command = commandName(flags);
      if (command === undefined) return undefined;
      for (const flag of Object.keys(flags.values)) {
        if (!COMMON_FLAGS.includes(flag) && !COMMAND_FLAGS[command].includes(flag)) {
          flags.fail(`--${flag} is not an option of ${command}`);
        }
      }
      const rest = flags.positionals.slice(command.split(' ').length);
      const usage = ARGUMENT[command];
      if (rest.length !== (usage ? 1 : 0)) flags.fail(usage ?? `${command} takes no arguments`);
      const parsed = commandOf(command, rest[0] ?? '', flags, now);
      return parsed && { json: flags.on('json'), command: parsed };
    },
  );
}

function commandName(flags: Flags): CommandName | undefined {
  const [first, second] = flags.positionals;
  if (first === undefined) {
    return flags.fail(`a command is needed: ${KEY_COMMANDS.join(', ')}, or sources ${SOURCE_COMMANDS.join('|')}`);
  }
  if (first === 'sources') {
    if (second === undefined) return flags.fail(`sources needs a command: ${SOURCE_COMMANDS.join(', ')}`);
    if (!(SOURCE_COMMANDS as readonly string[]).includes(second)) {
      return flags.fail(`unknown command "sources ${second.slice(0, 40)}"; use one of ${SOURCE_COMMANDS.join(', ')}`);
    }
    return `sources ${second}` as SourceCommandName;
  }
  if (!(KEY_COMMANDS as readonly string[]).includes(first)) {
    return flags.fail(
      `unknown command "${first.slice(0, 40)}"; use one of ${KEY_COMMANDS.join(', ')}, or sources ${SOURCE_COMMANDS.join('|')}`,
    );
  }
  return first as KeyCommandName;
}

function commandOf(command: CommandName, argument: string, flags: Flags, now: number): KeysCommand | undefined {
  switch (command) {
    case 'list':
      return compact<KeysCommand>({
        name: 'list',
        status: flags.value('status', SCHEMAS.status),
        sourceId: flags.value('source', SCHEMAS.source),
      });
    case 'show':
    case 'revoke':
      return { name: command, id: keyId(argument, flags) };
    case 'create': {
      const label = flags.value('label', SCHEMAS.label);
      const scopes = flags.list('scope', SCHEMAS.scopes, (scope) => scope.toLowerCase());
      if (flags.values['label'] === undefined) flags.fail('create needs --label, e.g. --label "iOS app"');
      if (flags.values['scope'] === undefined)
        flags.fail(`create needs --scope, one or more of ${KEY_SCOPES.join(', ')}`);
      if (label === undefined || scopes === undefined) return undefined;
      const request = compact<CreateKeyRequest>({
        label,
        scopes,
        sourceId: flags.value('source', SCHEMAS.source),
        expiresAt: expiresAt(flags, now),
      });
      return { name: 'create', request };
    }
    case 'rotate': {
      const request = compact<RotateKeyRequest>({
        graceSeconds: graceSeconds(flags),
        expiresAt: expiresAt(flags, now),
      });
      return { name: 'rotate', id: keyId(argument, flags), request };
    }
    case 'sources list':
      return { name: 'sources list' };
    case 'sources create': {
      const name = flags.value('name', SCHEMAS.name);
      if (flags.values['name'] === undefined) flags.fail('sources create needs --name, e.g. --name "iOS app"');
      if (name === undefined) return undefined;
      const request = compact<CreateSourceRequest>({
        id: sourceId(argument, flags),
        name,
        status: flags.on('paused') ? 'paused' : undefined,
        rateLimitPerMinute: rateLimit(flags),
        allowedTypes: allowedTypes(flags),
      });
      return { name: 'sources create', request };
    }
    case 'sources update': {
      const change = compact<SourceChange>({
        name: flags.value('name', SCHEMAS.name),
        rateLimitPerMinute: rateLimit(flags),
        allowedTypes: allowedTypes(flags),
      });
      if (Object.keys(flags.values).every((flag) => !SOURCE_FLAGS.includes(flag))) {
        flags.fail('sources update needs --name, --rate-limit or --types (pause and resume change the status)');
      }
      return { name: 'sources update', id: sourceId(argument, flags), change };
    }
    case 'sources pause':
    case 'sources resume':
      return { name: command, id: sourceId(argument, flags) };
  }
}

/** The key's id, from the id or the prefix; a whole key is refused without being echoed. */
function keyId(argument: string, flags: Flags): string {
  if (argument === '') return '';
  if (KEY_SECRET.test(argument)) {
    flags.fail('that is a key itself, not its id: name it by its prefix (uapk_ and 16 hex digits), as list prints it');
    return '';
  }
  const match = KEY_ID.exec(argument);
  if (!match) {
    flags.fail(`"${argument.slice(0, 40)}" is not a key id: uapk_ and 16 hex digits, or 12 hex digits for API_KEYS`);
    return '';
  }
  return match[1]!;
}

function sourceId(argument: string, flags: Flags): string {
  if (argument !== '' && !SOURCE_ID_PATTERN.test(argument)) {
    flags.fail(`"${argument.slice(0, 40)}" is not a source id: lower kebab case, e.g. web, ios, backend`);
  }
  return argument;
}

/** 0, 3600, 30m, 24h, 7d: seconds, at most 30 days. */
function graceSeconds(flags: Flags): number | undefined {
  const raw = flags.values['grace'];
  if (typeof raw !== 'string') return undefined;
  const seconds = durationSeconds(raw);
  if (seconds === undefined || seconds > MAX_GRACE_SECONDS) {
    return flags.fail('--grace: must be seconds or a duration like 30m, 24h, 7d, at most 30d');
  }
  return seconds;
}

/** An instant with its offset, or a duration from now (90d, 12h); it must lie ahead. */
function expiresAt(flags: Flags, now: number): string | undefined {
  const raw = flags.values['expires'];
  if (typeof raw !== 'string') return undefined;
  const seconds = durationSeconds(raw);
  const iso = z.iso.datetime({ offset: true }).safeParse(raw);
  const at = seconds !== undefined ? now + seconds * 1000 : iso.success ? Date.parse(raw) : undefined;
  if (at === undefined) return flags.fail('--expires: must be an ISO instant with its offset, or a duration like 90d');
  if (at <= now) return flags.fail('--expires: must lie in the future');
  return new Date(at).toISOString();
}

function durationSeconds(raw: string): number | undefined {
  const match = DURATION.exec(raw.trim());
  return match ? Number(match[1]) * UNIT_SECONDS[match[2] ?? 's']! : undefined;
}

/** A number per minute; `none` clears it (update). */
function rateLimit(flags: Flags): number | null | undefined {
  return flags.values['rate-limit'] === 'none' ? null : flags.value('rate-limit', SCHEMAS.rateLimit);
}

/** Type names; `all` clears the list (update): every type the registry accepts. */
function allowedTypes(flags: Flags): string[] | null | undefined {
  const raw = flags.values['types'] as string[] | undefined;
  if (raw?.length === 1 && raw[0] === 'all') return null;
  return flags.list('types', SCHEMAS.types);
}
