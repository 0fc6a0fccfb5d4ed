import { StreamFollower } from './stream-follower';
import { HELP, parseTailArgs } from './tail-options';

async function main(): Promise<number> {
  const parsed = parseTailArgs(process.argv.slice(2), process.env);
  if (parsed.help) {
    console.log(HELP);
    return 0;
  }
  if ('error' in parsed) {
    console.error(`tail: ${parsed.error}\n\n${HELP}`);
    return 2;
  }
  const interrupt = new AbortController();
  process.once('SIGINT', () => interrupt.abort());
  process.once('SIGTERM', () => interrupt.abort());
  // `npm run tail | head` closes stdout: stop quietly, as Ctrl-C would.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') interrupt.abort();
    else throw err;
  });
  return new StreamFollower(
    parsed.options,
    {
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
    },
    { signal: interrupt.signal },
  ).run();
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 2;
    },
  );
}
