import type { Env, ParsedArgs } from './cli-args';
import { processIo, type CliIo } from './cli-io';
import { EXIT } from './exit-codes';

/** One command: its name (the prefix of its messages), its help, how it reads a command line, and what it does. */
export interface CliProgram<O> {
  name: string;
  help: string;
  parse(argv: string[], env: Env): ParsedArgs<O>;
  /** Resolves to the exit code (see EXIT). */
  run(options: O, io: CliIo): Promise<number>;
}

/** The help on stdout (exit 0), a usage error with the help on stderr (exit 2), or the program's own run. */
export async function runCli<O>(program: CliProgram<O>, argv: string[], env: Env, io: CliIo): Promise<number> {
  const parsed = program.parse(argv, env);
  if (parsed.help) {
    io.out(program.help);
    return EXIT.ok;
  }
  if ('error' in parsed) {
    io.err(`${program.name}: ${parsed.error}\n\n${program.help}`);
    return EXIT.error;
  }
  return program.run(parsed.options, io);
}

/** The entry point of a CLI file: runs it on this process; a crash prints its stack and exits 2. */
export function main<O>(program: CliProgram<O>): void {
  runCli(program, process.argv.slice(2), process.env, processIo()).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = EXIT.error;
    },
  );
}

/** Aborted by any of these process signals, for a command that stops cleanly on Ctrl-C instead of dying. */
export function interruptOn(...signals: NodeJS.Signals[]): AbortController {
  const controller = new AbortController();
  for (const signal of signals) process.once(signal, () => controller.abort());
  return controller;
}
