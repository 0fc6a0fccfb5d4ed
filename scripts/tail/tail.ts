import { interruptOn, main, type CliProgram } from '../cli/run-cli';
import { StreamFollower } from './stream-follower';
import { HELP, parseTailArgs, type TailOptions } from './tail-options';

export const tail: CliProgram<TailOptions> = {
  name: 'tail',
  help: HELP,
  parse: parseTailArgs,
  run: (options, io) => {
    const interrupt = interruptOn('SIGINT', 'SIGTERM');
    // `npm run tail | head` closes stdout: stop quietly, as Ctrl-C would.
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') interrupt.abort();
      else throw err;
    });
    return new StreamFollower(options, io, { signal: interrupt.signal }).run();
  },
};

if (require.main === module) main(tail);
