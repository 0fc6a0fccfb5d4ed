import { runDlq } from './dlq-commands';
import { HELP, parseDlqArgs } from './dlq-options';

async function main(): Promise<number> {
  const parsed = parseDlqArgs(process.argv.slice(2), process.env);
  if (parsed.help) {
    console.log(HELP);
    return 0;
  }
  if ('error' in parsed) {
    console.error(`dlq: ${parsed.error}\n\n${HELP}`);
    return 2;
  }
  // Ctrl-C stops watching, not the job: runDlq says how to follow or cancel it on the server.
  const interrupt = new AbortController();
  process.once('SIGINT', () => interrupt.abort());
  return runDlq(
    parsed.options,
    {
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
      draw: (text) => process.stderr.write(text),
      progressTty: process.stderr.isTTY === true,
    },
    { signal: interrupt.signal },
  );
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
