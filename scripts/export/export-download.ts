import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { apiTransport } from '../cli/cli-api';
import type { Progress } from '../cli/cli-io';
import type { ExportOptions } from './export-options';
import { ExportProgress } from './export-progress';

export type ExportResult =
  | { outcome: 'done'; rows: number; bytes: number }
  /** The stream broke after it began; the partial file is kept as <out>.partial. */
  | { outcome: 'cut-off'; rows: number; bytes: number; message: string; partial?: string };

export interface DownloadIo {
  /** Rows, bytes and rate as the download goes (stderr). */
  progress: Progress;
  /** Where `--out -` writes. */
  stdout: Writable;
  progressEveryMs?: number;
  signal?: AbortSignal;
}

export const EXPORT_PATH = '/api/v1/activities/export';

/**
 * GET the export and pipe it to the file through a counting pass-through: pipeline() carries the file's
 * backpressure back to the socket, so memory stays constant however large the export. The file is
 * written as <out>.partial and renamed only once the response ended cleanly, so a file named <out>
 * is always complete; the API cuts a failed export off without the final chunk, which fails the read.
 * A refusal throws the SDK's UapHttpError and no answer throws fetch's error, both before anything is written.
 */
export async function downloadExport(options: ExportOptions, io: DownloadIo): Promise<ExportResult> {
  const accept = options.format === 'csv' ? 'text/csv' : 'application/x-ndjson';
  const response = await apiTransport(options).open(EXPORT_PATH, {
    query: { format: options.format, ...options.query },
    headers: { accept: `${accept}, application/problem+json` },
    timeoutMs: null,
    ...(io.signal ? { signal: io.signal } : {}),
  });
  // Only a 204 or 205 has no body at all: an empty export.
  const body = response.body ? Readable.fromWeb(response.body as WebReadableStream<Uint8Array>) : Readable.from([]);
  const progress = new ExportProgress(options.format);
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      progress.add(chunk);
      callback(null, chunk);
    },
  });
  const toStdout = options.out === '-';
  const partial = `${options.out}.partial`;
  const sink = toStdout ? io.stdout : createWriteStream(partial);
  const timer = setInterval(() => io.progress.show(progress.line()), io.progressEveryMs ?? 1_000);
  // A broken response ends the source without an error, so the file is flushed and closed as .partial;
  // a failing file (disk full) still fails the pipeline and surfaces as an error.
  let cutOff: Error | undefined;
  async function* guarded(source: Readable): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of source) yield chunk as Buffer;
    } catch (err) {
      cutOff = err as Error;
    }
  }
  try {
    await pipeline(guarded(body), counter, sink, { end: !toStdout });
  } finally {
    clearInterval(timer);
    io.progress.show(progress.line());
    io.progress.end();
  }
  if (cutOff) {
    const cause = (cutOff as { cause?: { message?: string } }).cause;
    return {
      outcome: 'cut-off',
      rows: progress.dataRows,
      bytes: progress.bytes,
      message: cause?.message ?? cutOff.message,
      ...(toStdout ? {} : { partial }),
    };
  }
  if (!toStdout)
    await rename(partial, options.out).catch(async (err: unknown) => {
      await rm(partial, { force: true });
      throw err;
    });
  return { outcome: 'done', rows: progress.dataRows, bytes: progress.bytes };
}
