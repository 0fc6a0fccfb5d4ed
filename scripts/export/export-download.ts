import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ExportOptions } from './export-options';
import { ExportProgress } from './export-progress';

/** RFC 9457 problem details as the API sends them. */
export interface Problem {
  title?: string;
  status?: number;
  detail?: string;
  errors?: Array<{ path: string; message: string }>;
}

export type ExportResult =
  | { outcome: 'done'; rows: number; bytes: number }
  /** The API answered with an error status before streaming: nothing was written. */
  | { outcome: 'http-error'; status: number; problem: Problem }
  /** No answer at all: refused, unreachable, timed out. Nothing was written. */
  | { outcome: 'connection-error'; message: string }
  /** The stream broke after it began; the partial file is kept as <out>.partial. */
  | { outcome: 'cut-off'; rows: number; bytes: number; message: string; partial?: string };

export interface DownloadIo {
  /** Redraws the progress line (stderr). */
  progress: (line: string) => void;
  /** Where `--out -` writes. */
  stdout: Writable;
  progressEveryMs?: number;
  signal?: AbortSignal;
}

export function exportUrl(options: ExportOptions): URL {
  const url = new URL('/api/v1/activities/export', options.url);
  url.searchParams.set('format', options.format);
  for (const [name, value] of Object.entries(options.query)) url.searchParams.set(name, value);
  return url;
}

/**
 * GET the export and pipe it to the file through a counting pass-through: pipeline() carries the file's
 * backpressure back to the socket, so memory stays constant however large the export. The file is
 * written as <out>.partial and renamed only once the response ended cleanly, so a file named <out>
 * is always complete; the API cuts a failed export off without the final chunk, which fails the read.
 */
export async function downloadExport(options: ExportOptions, io: DownloadIo): Promise<ExportResult> {
  const url = exportUrl(options);
  let response: Response;
  try {
    response = await fetch(url, {
      headers: {
        accept:
          options.format === 'csv'
            ? 'text/csv, application/problem+json'
            : 'application/x-ndjson, application/problem+json',
        ...(options.key ? { 'x-api-key': options.key } : {}),
      },
      ...(io.signal ? { signal: io.signal } : {}),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return {
      outcome: 'connection-error',
      message: `GET ${url.origin}${url.pathname}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
    };
  }
  if (!response.ok || !response.body) {
    const text = await response.text().catch(() => '');
    let problem: Problem;
    try {
      problem = JSON.parse(text) as Problem;
    } catch {
      problem = { detail: text.slice(0, 200) || response.statusText };
    }
    return { outcome: 'http-error', status: response.status, problem };
  }

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
  const timer = setInterval(() => io.progress(progress.line()), io.progressEveryMs ?? 1_000);
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
    await pipeline(guarded(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>)), counter, sink, {
      end: !toStdout,
    });
  } finally {
    clearInterval(timer);
    io.progress(progress.line());
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
