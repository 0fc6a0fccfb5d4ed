import { failureLines } from '../cli/cli-api';
import type { CliIo } from '../cli/cli-io';
import { EXIT } from '../cli/exit-codes';
import { main, type CliProgram } from '../cli/run-cli';
import { downloadExport, type DownloadIo, type ExportResult } from './export-download';
import { HELP, parseExportArgs, type ExportOptions } from './export-options';

/** Downloads the export and says how it went on stderr; resolves to the exit code. */
export async function runExport(
  options: ExportOptions,
  io: CliIo,
  deps: Omit<DownloadIo, 'progress'>,
): Promise<number> {
  let result: ExportResult;
  try {
    result = await downloadExport(options, { ...deps, progress: io.progress });
  } catch (err) {
    const lines = failureLines('export', err, options);
    if (lines === undefined) throw err;
    lines.forEach((line) => io.err(line));
    return EXIT.error;
  }
  if (result.outcome === 'done') {
    io.err(`export: wrote ${result.rows} rows to ${options.out}`);
    return EXIT.ok;
  }
  io.err(
    `export: the export was cut off after ${result.rows} rows (${result.message}); it is incomplete` +
      (result.partial ? `, kept as ${result.partial}` : ''),
  );
  return EXIT.incomplete;
}

export const exportCli: CliProgram<ExportOptions> = {
  name: 'export',
  help: HELP,
  parse: parseExportArgs,
  run: (options, io) => runExport(options, io, { stdout: process.stdout }),
};

if (require.main === module) main(exportCli);
