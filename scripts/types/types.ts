import { main, type CliProgram } from '../cli/run-cli';
import { runTypes } from './types-commands';
import { HELP, parseTypesArgs, type TypesOptions } from './types-options';

export const types: CliProgram<TypesOptions> = {
  name: 'types',
  help: HELP,
  parse: parseTypesArgs,
  run: runTypes,
};

if (require.main === module) main(types);
