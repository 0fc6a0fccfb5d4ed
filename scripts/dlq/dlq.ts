import { interruptOn, main, type CliProgram } from '../cli/run-cli';
import { runDlq } from './dlq-commands';
import { HELP, parseDlqArgs, type DlqOptions } from './dlq-options';

export const dlq: CliProgram<DlqOptions> = {
  name: 'dlq',
  help: HELP,
  parse: parseDlqArgs,
  // Ctrl-C stops watching, not the job: runDlq says how to follow or cancel it on the server.
  run: (options, io) => runDlq(options, io, { signal: interruptOn('SIGINT').signal }),
};

if (require.main === module) main(dlq);
