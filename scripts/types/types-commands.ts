import { readFile, writeFile } from 'node:fs/promises';
import { UapHttpError } from '@uap/client';
import { apiTransport, failureLines } from '../cli/cli-api';
import type { ApiTarget } from '../cli/cli-args';
import type { CliIo } from '../cli/cli-io';
import { EXIT } from '../cli/exit-codes';
import { TypesClient, type TypeDetail } from './types-client';
import { generateTypesModule } from './types-codegen';
import {
  applyLine,
  applySummary,
  formatPolicy,
  formatTypeDetail,
  formatTypeList,
  stoppedLines,
  typeRefusalLines,
  type ApplyOutcome,
  type RefusalContext,
} from './types-format';
import type { TypesCommand, TypesOptions } from './types-options';
import { parsePlan } from './types-plan';

const READ_KEY = 'reading activity types needs an API key with the read scope';
const ADMIN_KEY = 'changing activity types needs an API key with the admin scope';

type Command<N extends TypesCommand['name']> = Extract<TypesCommand, { name: N }>;

/** Runs one command against the API; resolves to the process exit code. */
export async function runTypes(options: TypesOptions, io: CliIo): Promise<number> {
  const client = new TypesClient(apiTransport(options, { requestTimeoutMs: 30_000 }));
  const { command } = options;
  const context = contextOf(command);
  try {
    switch (command.name) {
      case 'list': {
        const list = await client.list();
        io.out(options.json ? JSON.stringify(list, null, 2) : formatTypeList(list));
        return EXIT.ok;
      }
      case 'show': {
        const read = await client.read(command.type);
        if (read === undefined) return notFound(command.type, io);
        io.out(options.json ? JSON.stringify(read.detail, null, 2) : formatTypeDetail(read.detail));
        return EXIT.ok;
      }
      case 'apply':
        return await apply(client, command, options, io);
      case 'retire':
        return await retire(client, command, options.json, io);
      case 'policy':
        return await policy(client, command, options.json, io);
      case 'codegen':
        return await codegen(client, command, io);
    }
  } catch (err) {
    const lines = failure(err, options, context);
    if (lines === undefined) throw err;
    io.err(lines.join('\n'));
    return EXIT.error;
  }
}

function contextOf(command: TypesCommand): RefusalContext {
  switch (command.name) {
    case 'show':
      return { name: command.type, needs: READ_KEY };
    case 'retire':
      return { name: command.type, needs: ADMIN_KEY };
    case 'apply':
      return { needs: ADMIN_KEY, breakable: !command.breaking };
    case 'policy':
      return { needs: command.set ? ADMIN_KEY : READ_KEY };
    default:
      return { needs: READ_KEY };
  }
}

function failure(err: unknown, target: ApiTarget, context: RefusalContext): string[] | undefined {
  return err instanceof UapHttpError ? typeRefusalLines(err, context) : failureLines('types', err, target);
}

function notFound(name: string, io: CliIo): number {
  io.err(`types: HTTP 404: there is no activity type ${name} (list shows those there are)`);
  return EXIT.error;
}

/**
 * Each planned type in file order: read it (for its ETag), then PUT it with If-Match of what was read, so
 * that a change someone made in between is refused (412) instead of overwritten. The first refusal stops
 * the run; the registry has no multi-type transaction, so the types before it stay applied.
 */
async function apply(client: TypesClient, command: Command<'apply'>, options: TypesOptions, io: CliIo) {
  let text: string;
  try {
    text = await readFile(command.file, 'utf8');
  } catch (err) {
    io.err(`types: cannot read ${command.file}: ${(err as Error).message}`);
    return EXIT.error;
  }
  const plan = parsePlan(text);
  if ('errors' in plan) {
    io.err(
      [
        `types: ${command.file} is not a tracking plan (nothing was applied):`,
        ...plan.errors.map((e) => `  ${e}`),
      ].join('\n'),
    );
    return EXIT.error;
  }
  const names = plan.types.map((t) => t.name);
  const width = Math.max(...names.map((name) => name.length));
  const applied: ApplyOutcome[] = [];
  for (const [index, type] of plan.types.entries()) {
    try {
      const read = await client.read(type.name);
      const after = await client.put(type, read?.etag, command.breaking);
      const outcome = outcomeOf(read?.detail, after);
      applied.push(outcome);
      if (!options.json) io.out(applyLine(outcome, width));
    } catch (err) {
      const lines = failure(err, options, { ...contextOf(command), name: type.name });
      if (lines === undefined) throw err;
      if (options.json) {
        io.out(JSON.stringify({ applied, stoppedAt: type.name, notTried: names.slice(index + 1) }, null, 2));
      }
      io.err([...lines, ...stoppedLines(type.name, index, names)].join('\n'));
      return EXIT.error;
    }
  }
  io.out(options.json ? JSON.stringify({ applied }, null, 2) : applySummary(applied));
  return EXIT.ok;
}

function outcomeOf(before: TypeDetail | undefined, after: TypeDetail): ApplyOutcome {
  const { name, version, status } = after;
  if (before === undefined) return { name, outcome: 'created', version, status };
  const previous = { version: before.version, status: before.status };
  return { name, outcome: after.version === before.version ? 'unchanged' : 'changed', version, status, previous };
}

async function retire(client: TypesClient, command: Command<'retire'>, json: boolean, io: CliIo) {
  const read = await client.read(command.type);
  if (read === undefined) return notFound(command.type, io);
  const after = await client.retire(command.type, read.etag);
  if (json) io.out(JSON.stringify(after, null, 2));
  else if (after.version === read.detail.version)
    io.out(`${after.name} was already retired (version ${after.version})`);
  else {
    io.out(
      `${after.name} retired: version ${after.version} (new events of it are refused; its stored events stay readable)`,
    );
  }
  return EXIT.ok;
}

async function policy(client: TypesClient, command: Command<'policy'>, json: boolean, io: CliIo) {
  let answer = await client.policy();
  if (command.set) {
    // PUT takes the whole policy: the part not given stays as it is.
    const { unknownTypes, invalidMetadata } = answer;
    answer = await client.setPolicy({ unknownTypes, invalidMetadata, ...command.set });
  }
  io.out(json ? JSON.stringify(answer, null, 2) : formatPolicy(answer, command.set !== undefined));
  return EXIT.ok;
}

async function codegen(client: TypesClient, command: Command<'codegen'>, io: CliIo) {
  const { types } = await client.list();
  const code = generateTypesModule(types);
  if (command.out === undefined) {
    io.out(code.replace(/\n$/, ''));
    return EXIT.ok;
  }
  try {
    await writeFile(command.out, code);
  } catch (err) {
    io.err(`types: cannot write ${command.out}: ${(err as Error).message}`);
    return EXIT.error;
  }
  const count = (status: string) => types.filter((t) => t.status === status).length;
  const planned = types.length - count('retired');
  io.err(
    `types: wrote ${command.out}: ${planned} type${planned === 1 ? '' : 's'} (${count('deprecated')} deprecated)` +
      (count('retired') > 0 ? `; ${count('retired')} retired left out` : ''),
  );
  return EXIT.ok;
}
