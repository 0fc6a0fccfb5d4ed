import type { Logger } from 'pino';
import { z } from 'zod';
import type { HttpFeature } from '../http-feature';
import { BAD_QUERY, problem, rules } from '../openapi/openapi-kit';
import { PROBLEMS } from '../problem';
import { CSV_COLUMNS } from './csv.format';
import {
  EXPORT_FORMATS,
  EXPORT_PATH,
  EXPORT_QUERY_PARAMS,
  EXPORT_ROUTES,
  exportRouter,
  type ExportHttpDeps,
} from './export.router';

/** GET /api/v1/activities/export: every matching activity, streamed as NDJSON or CSV. */
export function exportFeature(deps: ExportHttpDeps & { logger: Logger }): HttpFeature {
  return {
    routes: EXPORT_ROUTES,
    mount: (app) => app.use(exportRouter(deps)),
    document: ({ registry, security, secured, consistency }) => {
      registry.registerPath({
        method: 'get',
        path: EXPORT_PATH,
        tags: ['query'],
        summary: 'Export every matching activity as NDJSON or CSV, streamed',
        ...rules('range-order', 'type-count-cap', ...(consistency?.rules ?? [])),
        description:
          'The list’s filters and sort (default occurredAt desc, then eventId desc), without paging: limit, cursor ' +
          'and page are 400 here. Streamed with backpressure, in constant memory. NDJSON lines are the list’s ' +
          `Activity objects. CSV: a header row, then the columns ${CSV_COLUMNS.join(', ')}, with metadata and ` +
          'context as JSON text, RFC 4180 quoting, CRLF line ends; a cell starting with =, +, -, @, tab or CR gets a ' +
          "leading ' (and quotes) so spreadsheets never run it as a formula. The status is sent with the first rows: " +
          'a store failure later cuts the response off without its final chunk (NDJSON first gets an {"error":…} ' +
          'line), so the transfer reads as incomplete, never as a short but complete file.',
        ...security,
        request: { query: EXPORT_QUERY_PARAMS, ...consistency?.request },
        responses: {
          200: {
            description: 'The export, as an attachment',
            headers: {
              'Content-Disposition': {
                schema: { type: 'string' },
                description: 'attachment; filename="activities-<UTC timestamp>.<ndjson|csv>"',
              },
            },
            content: {
              [EXPORT_FORMATS.ndjson.contentType]: {
                schema: z.string().describe('One Activity JSON object per line'),
              },
              [EXPORT_FORMATS.csv.contentType]: {
                schema: z.string().describe('Header row, then one row per activity'),
              },
            },
          },
          400: BAD_QUERY,
          503: problem(
            PROBLEMS.unavailable,
            'The store is down or slow before the first row was sent; retry after Retry-After',
          ),
          ...secured,
        },
      });
    },
  };
}
