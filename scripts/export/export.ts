import { downloadExport, type ExportResult } from './export-download';
import { HELP, parseExportArgs } from './export-options';

/** One line per problem: title, detail, then each invalid field. */
export function describeResult(result: ExportResult, out: string): { code: number; lines: string[] } {
  switch (result.outcome) {
    case 'done':
      return { code: 0, lines: [`export: wrote ${result.rows} rows to ${out}`] };
    case 'http-error': {
      const { title, detail, errors } = result.problem;
      return {
        code: 2,
        lines: [
          `export: HTTP ${result.status}${title ? ` ${title}` : ''}${detail ? `: ${detail}` : ''}`,
          ...(errors ?? []).map((e) => `  ${e.path}: ${e.message}`),
        ],
      };
    }
    case 'connection-error':
      return { code: 2, lines: [`export: no answer from the API (${result.message})`] };
    case 'cut-off':
      return {
        code: 1,
        lines: [
          `export: the export was cut off after ${result.rows} rows (${result.message}); it is incomplete` +
            (result.partial ? `, kept as ${result.partial}` : ''),
        ],
      };
  }
}

async function main(): Promise<number> {
  const parsed = parseExportArgs(process.argv.slice(2), process.env);
  if (parsed.help) {
    console.log(HELP);
    return 0;
  }
  if ('error' in parsed) {
    console.error(`export: ${parsed.error}\n\n${HELP}`);
    return 2;
  }
  const tty = process.stderr.isTTY === true;
  const result = await downloadExport(parsed.options, {
    stdout: process.stdout,
    // On a terminal the line is redrawn in place; in a pipe or log, one line per tick.
    progress: (line) => process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`),
  });
  if (tty) process.stderr.write('\n');
  const { code, lines } = describeResult(result, parsed.options.out);
  for (const line of lines) console.error(line);
  return code;
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
