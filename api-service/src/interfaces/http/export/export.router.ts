import { Router, type Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ExportActivitiesUseCase } from '../../../application/export-activities.use-case';
import type { ActivityRecord } from '../../../application/ports/activity-reader.port';
import { listShape, toActivityDto, toActivityFilters } from '../queries/activity-queries.router';
import { CSV_HEADER, csvRecord } from './csv.format';
import type { RouteSpec } from '../method-guard.middleware';
import { parseQuery, stringParam } from '../query-params';

export const EXPORT_PATH = '/api/v1/activities/export';
export const EXPORT_ROUTES: RouteSpec[] = [{ path: EXPORT_PATH, methods: ['GET'] }];

export const EXPORT_FORMATS = {
  ndjson: { contentType: 'application/x-ndjson', extension: 'ndjson' },
  csv: { contentType: 'text/csv; charset=utf-8', extension: 'csv' },
} as const;
type ExportFormat = keyof typeof EXPORT_FORMATS;

// The list's filters and sort, with the same grammar; limit, cursor and page make no sense for "everything".
const EXPORT_PARAMS = z.strictObject({
  format: stringParam('format', z.enum(['ndjson', 'csv']))
    .optional()
    .meta({ description: 'ndjson (default): one Activity JSON object per line; csv: fixed columns with a header.' }),
  userId: listShape.userId.optional(),
  sourceId: listShape.sourceId.optional(),
  type: listShape.type.optional(),
  from: listShape.from.optional(),
  to: listShape.to.optional(),
  sort: listShape.sort.optional(),
});
const EXPORT_PARAM_NAMES = Object.keys(EXPORT_PARAMS.shape);

/** The export's query-string schema, for the OpenAPI document. */
export const EXPORT_QUERY_PARAMS = EXPORT_PARAMS;

/** What one written chunk left in the response's buffer; tests assert the export never piles rows up. */
export interface ExportChunkStats {
  rows: number;
  bytes: number;
  /** res.writableLength right after the write: bytes the socket has not taken yet. */
  buffered: number;
}

export interface ExportHttpDeps {
  exporter: ExportActivitiesUseCase;
  /** Test hook, called after every chunk written. */
  onChunk?: (stats: ExportChunkStats) => void;
}

function formatRows(format: ExportFormat, rows: ActivityRecord[]): string {
  return format === 'csv'
    ? rows.map((r) => csvRecord(toActivityDto(r))).join('')
    : rows.map((r) => `${JSON.stringify(toActivityDto(r))}\n`).join('');
}

/** `20260101T100000Z`: sortable, and without the colons some file systems refuse. */
function fileTimestamp(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** Resolves when the socket took the buffer ('drain') or the client went away ('close'). */
function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * GET /api/v1/activities/export: every matching activity, streamed as NDJSON or CSV.
 *
 * Backpressure: a page is read only after the previous one was handed to the socket and, when
 * res.write() returned false, after 'drain'. So the process holds one page (plus the socket's buffer)
 * whatever the export's size and however slow the client; a client that disconnects stops the reads.
 *
 * The first page is read before anything is sent, so a store that is down answers 503 as a problem.
 * A failure after that cannot change the status any more: the response is cut off without its final
 * chunk (an NDJSON export first gets an {"error":…} line), so clients see an incomplete transfer
 * instead of a short file that looks complete.
 */
export function exportRouter(deps: ExportHttpDeps & { logger: Logger }): Router {
  const router = Router();
  const log = deps.logger.child({ component: 'export' });
  router.get(EXPORT_PATH, async (req, res) => {
    const params = parseQuery(EXPORT_PARAMS, EXPORT_PARAM_NAMES, req.query);
    const filters = toActivityFilters(params);
    const format: ExportFormat = params.format ?? 'ndjson';
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    const pages = deps.exporter.pages({ filters, sort: params.sort ?? 'desc' }, gone.signal);

    // Before the headers: a store failure here is still a proper 503 through the error handler.
    let next = await pages.next();
    const { contentType, extension } = EXPORT_FORMATS[format];
    res.status(200);
    res.set({
      'Content-Type': contentType,
      'Content-Disposition': `attachment; filename="activities-${fileTimestamp(new Date())}.${extension}"`,
      'Cache-Control': 'no-store',
    });
    if (format === 'csv') res.write(CSV_HEADER);
    let rows = 0;
    try {
      while (!next.done && !gone.signal.aborted) {
        const chunk = formatRows(format, next.value);
        rows += next.value.length;
        const flowing = res.write(chunk);
        deps.onChunk?.({ rows: next.value.length, bytes: Buffer.byteLength(chunk), buffered: res.writableLength });
        if (!flowing) await drained(res);
        if (gone.signal.aborted) break;
        next = await pages.next();
      }
    } catch (err) {
      log.error({ err, requestId: res.locals['requestId'], rows, format }, 'export failed after %d rows', rows);
      // Ending the socket (not the response) flushes what was written but never sends the final chunk.
      if (format === 'ndjson' && !gone.signal.aborted) {
        const error = {
          title: 'Export failed',
          detail: `the store failed after ${rows} rows; the export is incomplete`,
        };
        res.write(`${JSON.stringify({ error })}\n`);
      }
      res.socket?.end();
      return;
    } finally {
      await pages.return(undefined);
    }
    if (gone.signal.aborted) {
      log.info({ requestId: res.locals['requestId'], rows }, 'export ended by the client after %d rows', rows);
      return;
    }
    res.end();
  });
  return router;
}
