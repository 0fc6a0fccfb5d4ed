import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A command line read: `--help` asked for, the options, or why they cannot be used. */
export type ParsedArgs<T> = { help: true } | { help: false; options: T } | { help: false; error: string };

type Options = NonNullable<ParseArgsConfig['options']>;
type StrictValues<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: false }>
>['values'];

/**
 * `node:util` parseArgs, strict: an unknown flag, a flag without its value and a positional argument are errors,
 * returned as their message instead of thrown.
 */
export function parseStrict<O extends Options>(
  args: string[],
  options: O,
): { values: StrictValues<O>; error?: undefined } | { values?: undefined; error: string } {
  try {
    return { values: parseArgs({ args, options, strict: true, allowPositionals: false }).values };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Answers a command line that gave no options: the help on stdout (exit 0), or the error and the help on stderr (2). */
export function usageExitCode(
  command: string,
  parsed: { help: true } | { help: false; error: string },
  help: string,
): number {
  if (parsed.help) {
    console.log(help);
    return 0;
  }
  console.error(`${command}: ${parsed.error}\n\n${help}`);
  return 2;
}
