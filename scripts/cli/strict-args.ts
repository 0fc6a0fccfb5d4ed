import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EXIT } from './exit-codes';

// For the tools that do not talk to the API (bench, chaos): no --url or --key, and no positionals.

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
    return EXIT.ok;
  }
  console.error(`${command}: ${parsed.error}\n\n${help}`);
  return EXIT.error;
}
