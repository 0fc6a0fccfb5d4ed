import { INVALID_METADATA_POLICIES, UNKNOWN_TYPE_POLICIES, type UnplannedPolicy } from '@uap/shared/activity-types';
import { ActivityTypeSchema } from '@uap/shared/contract';
import { z } from 'zod';
import { compact, parseCli, type ApiTarget, type Env, type Flags, type ParsedArgs } from '../cli/cli-args';

export const HELP = `Usage: npm run types -- <command> [options]

Reads and changes the activity type registry (the tracking plan) through the API. Reading needs a key with
the read scope; apply, retire and setting the policy need the admin scope.

Commands:
  list                   every type's current version, and the policy for what is not planned
  show <NAME>            one type: its current version, its event names, its history and its metadata schema
  apply <file.json>      create or change the types the file holds: one {name, description?, metadataSchema,
                         eventNames?, rankableFields?, status?}, an array of them (a tracking plan), or what
                         list --json prints. eventNames: the Segment track event names that map to the type;
                         rankableFields: the metadata paths insights may rank (absent: either is kept as is).
                         Each type is read, then written with If-Match of what was read; the first refusal stops.
  retire <NAME>          retire a type: new events of it are refused, its stored events stay readable
  policy                 the policy for unknown types and for metadata that breaks its schema
  codegen                a TypeScript module with each type's metadata type and typed track() overloads
                         over the SDK (active and deprecated types; retired ones are left out)

apply:   --breaking      make changes that would refuse events the current version accepts (?breaking=true)
policy:  --unknown-types <${UNKNOWN_TYPE_POLICIES.join('|')}>, --invalid-metadata <${INVALID_METADATA_POLICIES.join('|')}>
         set it (the one not given stays as it is)
codegen: --out <file>    where to write the module (default: stdout)

Common:
  --url <url>            API base URL   (default $UAP_API_URL, else http://localhost:3000)
  --key <key>            API key        (default $UAP_API_KEY), sent as X-API-Key
  --json                 print the API's JSON documents instead of text (not codegen)
  -h, --help             show this help

Exit status: 0 done, 2 usage, file, connection or HTTP error (for apply: the types before the refused one
stay applied).`;

export const COMMANDS = ['list', 'show', 'apply', 'retire', 'policy', 'codegen'] as const;
export type CommandName = (typeof COMMANDS)[number];

export type TypesCommand =
  | { name: 'list' }
  | { name: 'show'; type: string }
  | { name: 'apply'; file: string; breaking: boolean }
  | { name: 'retire'; type: string }
  | { name: 'policy'; set?: Partial<UnplannedPolicy> }
  | { name: 'codegen'; out?: string };

export interface TypesOptions extends ApiTarget {
  json: boolean;
  command: TypesCommand;
}

const COMMAND_FLAGS: Record<CommandName, string[]> = {
  list: ['json'],
  show: ['json'],
  apply: ['json', 'breaking'],
  retire: ['json'],
  policy: ['json', 'unknown-types', 'invalid-metadata'],
  codegen: ['out'],
};
const COMMON_FLAGS = ['url', 'key', 'help'];
const ARGUMENT: Partial<Record<CommandName, string>> = {
  show: 'show takes one type name, e.g. show SEARCH',
  retire: 'retire takes one type name, e.g. retire VIDEO_PLAY',
  apply: 'apply takes one file, e.g. apply tracking-plan.json',
};

/** Parses `<command> [options]`; --url, --key (else UAP_API_URL, UAP_API_KEY) and --help come from the CLI frame. */
export function parseTypesArgs(argv: string[], env: Env): ParsedArgs<TypesOptions> {
  return parseCli(
    argv,
    env,
    {
      json: { type: 'boolean' },
      breaking: { type: 'boolean' },
      'unknown-types': { type: 'string' },
      'invalid-metadata': { type: 'string' },
      out: { type: 'string', short: 'o' },
    },
    (flags) => {
      const [name, ...rest] = flags.positionals;
      if (name === undefined) return flags.fail(`a command is needed: ${COMMANDS.join(', ')}`);
      if (!(COMMANDS as readonly string[]).includes(name)) {
        return flags.fail(`unknown command "${name.slice(0, 40)}"; use one of ${COMMANDS.join(', ')}`);
      }
      const command = name as CommandName;
      for (const flag of Object.keys(flags.values)) {
        if (!COMMON_FLAGS.includes(flag) && !COMMAND_FLAGS[command].includes(flag)) {
          flags.fail(`--${flag} is not an option of ${command}`);
        }
      }
      const usage = ARGUMENT[command];
      if (rest.length !== (usage ? 1 : 0)) flags.fail(usage ?? `${command} takes no arguments`);
      return { json: flags.on('json'), command: commandOf(command, rest[0] ?? '', flags) };
    },
  );
}

function commandOf(command: CommandName, argument: string, flags: Flags): TypesCommand {
  switch (command) {
    case 'list':
      return { name: 'list' };
    case 'show':
    case 'retire':
      return { name: command, type: typeName(argument, flags) };
    case 'apply':
      return { name: 'apply', file: argument, breaking: flags.on('breaking') };
    case 'policy': {
      const set = compact<Partial<UnplannedPolicy>>({
        unknownTypes: flags.value('unknown-types', z.enum(UNKNOWN_TYPE_POLICIES)),
        invalidMetadata: flags.value('invalid-metadata', z.enum(INVALID_METADATA_POLICIES)),
      });
      return Object.keys(set).length > 0 ? { name: 'policy', set } : { name: 'policy' };
    }
    case 'codegen': {
      const out = flags.value('out', z.string().min(1, 'must name a file'));
      return compact({ name: 'codegen', out: out === '-' ? undefined : out });
    }
  }
}

function typeName(argument: string, flags: Flags): string {
  const parsed = ActivityTypeSchema.safeParse(argument);
  if (argument !== '' && !parsed.success) {
    flags.fail(`"${argument.slice(0, 70)}" is not a type name: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  }
  return argument;
}
