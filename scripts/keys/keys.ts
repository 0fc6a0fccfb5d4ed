import { main, type CliProgram } from '../cli/run-cli';
import { runKeys } from './keys-commands';
import { HELP, parseKeysArgs, type KeysOptions } from './keys-options';

export const keys: CliProgram<KeysOptions> = {
  name: 'keys',
  help: HELP,
  parse: (argv, env) => parseKeysArgs(argv, env),
  run: runKeys,
};

if (require.main === module) main(keys);
