import {
  OpenApiGeneratorV31,
  OpenAPIRegistry,
  type ResponseConfig,
  type RouteConfig,
} from '@asteasolutions/zod-to-openapi';
import { ACTIVITY_INPUT_VARIANTS, EventIdSchema, UserIdSchema } from '@uap/shared/contract';
import { z } from 'zod';
import type { IngestActivityUseCase } from '../../application/ingest-activity.use-case';
import type { BodyLimits } from './activities.router';
import { ACTIVITY_QUERY_PARAMS, ActivityDetailDtoSchema, ActivityListDtoSchema } from './activity-queries.router';
import { DASHBOARD_ASSETS, DASHBOARD_PATH } from './dashboard.router';
import { WHOAMI_PATH, WHOAMI_PARAMS, WhoAmISchema } from './whoami.router';
import { STREAM_PARAMS, StreamTicketSchema } from './activity-stream.router';
import { ERASURE_PARAMS, ErasureSchema } from './erasures.router';
import { EXPORT_FORMATS, EXPORT_PATH, EXPORT_QUERY_PARAMS } from './export.router';
import { ActivityStatsDtoSchema, STATS_PATH, STATS_QUERY_PARAMS } from './activity-stats.router';
import { STATS_LIMITS } from '../../domain/activity-stats';
import { CSV_COLUMNS } from './csv.format';
import { DOCS_ASSETS } from './docs.router';
import { CONSISTENCY_HEADERS, FreshnessSchema, RECEIPT_PARAMS, ReceiptStatusSchema } from './receipts.router';
import { RECEIPT_LIMITS } from '../../application/receipts.use-case';
import { scopeFor } from '../../domain/api-key';
import { BEYOND_SCHEMA_RULES, type BeyondSchemaRule } from '../../domain/domain-error';
import {
  DEAD_LETTER_PARAMS,
  DeadLetterDetailSchema,
  DeadLetterListSchema,
  DeadLetterStatsSchema,
  ReplayJobSchema,
  ReplayRequestSchema,
} from './dead-letters.router';
import { OPENAPI_EXAMPLES, type OperationExample } from './openapi.examples';
import { PROBLEM_CONTENT_TYPE, ProblemDetailsSchema, type ProblemKind, PROBLEMS } from './problem';

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

export interface OpenApiOptions {
  /** The use case's own schemas, so the document shows the limits this process enforces. */
  ingest: Pick<IngestActivityUseCase, 'single' | 'batch' | 'issuesReceipts'>;
  /** False when GET /metrics is not served (METRICS_ENABLED=false). */
  metrics?: boolean;
  bodyLimits: BodyLimits;
  /** Whether the read endpoints are mounted. */
  queries: boolean;
  /** Whether the dead-letter endpoints are mounted. */
  deadLetters?: boolean;
  /** Whether receipts and freshness are served. */
  receipts?: boolean;
  /** Whether the live stream is served. */
  stream?: boolean;
  /** Whether erasures are served. */
  erasures?: boolean;
  /** Whether the streamed export is served. */
  exports?: boolean;
  /** Whether the stats endpoint is served. */
  stats?: boolean;
  /** Whether API keys are required (then the /api/v1 routes document 401/403/429). */
  apiKeys: boolean;
  version?: string;
}

const ReceiptTokenSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/)
  .describe('Opaque and signed: the event’s topic partition and offset. GET /api/v1/receipts/{receipt}.');
const SingleAcceptedSchema = z
  .strictObject({ eventId: EventIdSchema, status: z.literal('accepted'), receipt: ReceiptTokenSchema })
  .meta({ id: 'SingleAccepted' });
const BatchAcceptedSchema = z
  .strictObject({
    accepted: z.int().min(1),
    eventIds: z.array(EventIdSchema),
    receipts: z.array(ReceiptTokenSchema).describe('One per event, in the order of eventIds.'),
    consistencyToken: z
      .string()
      .describe('The highest offset per partition this request touched: send it as X-Consistency-Token on a read.'),
  })
  .meta({ id: 'BatchAccepted' });
// The answers of an api that issues no receipts (RECEIPTS_ENABLED=false): the document states what this one sends.
const SingleAcceptedWithoutReceiptSchema = SingleAcceptedSchema.omit({ receipt: true }).meta({
  id: 'SingleAcceptedWithoutReceipt',
});
const BatchAcceptedWithoutReceiptsSchema = BatchAcceptedSchema.omit({ receipts: true }).meta({
  id: 'BatchAcceptedWithoutReceipts',
});
/** One Server-Sent Event of the live stream, as a client's parser sees it (comments are not events). */
const StreamEventSchema = z
  .strictObject({
    event: z.enum(['activity', 'dropped', 'reset', 'reconnect']),
    id: z.string().optional().describe('activity and reset: the resume position (send it back as Last-Event-ID)'),
    data: z
      .string()
      .describe(
        'JSON. activity: an Activity (as the list shows it, without persistedAt); dropped: {count}; ' +
          'reset: {reason}; reconnect: {reason, retryMs}',
      ),
    retry: z.int().min(0).optional().describe('The reconnect delay hint, in ms'),
  })
  .meta({ id: 'StreamEvent' });
const LivenessSchema = z.strictObject({ status: z.literal('ok') });
const ReadinessSchema = z
  .strictObject({
    status: z.enum(['ready', 'not-ready']),
    checks: z.record(z.string(), z.enum(['up', 'down'])),
  })
  .meta({ id: 'Readiness' });

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });

function problem(kind: ProblemKind, description: string): ResponseConfig {
  return {
    description: `${description} (problem type urn:uap:problem:${kind.slug})`,
    content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemDetailsSchema } },
  };
}

const UNAVAILABLE = problem(PROBLEMS.unavailable, 'The broker or store is down or slow; retry after Retry-After');
const BAD_QUERY = problem(PROBLEMS.validation, 'Invalid or unknown query parameter, or a cursor of another query');

function securedResponses(): RouteConfig['responses'] {
  return {
    401: problem(PROBLEMS.unauthorized, 'Missing, malformed or unknown API key'),
    403: problem(PROBLEMS.forbidden, 'The API key lacks the scope for this method'),
    429: problem(PROBLEMS.tooManyRequests, 'Rate limit exceeded; retry after Retry-After'),
  };
}

/** Express `/a/:id` to OpenAPI `/a/{id}`. */
export function toOpenApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/**
 * The rules an operation applies that its schema cannot state (see BEYOND_SCHEMA_RULES). A 400 that
 * breaks one of them names it in `errors[].rule`; any other 400 means the request broke the schema.
 */
function rules(...names: BeyondSchemaRule[]) {
  return { 'x-rules-beyond-schema': names.map((rule) => ({ rule, description: BEYOND_SCHEMA_RULES[rule] })) };
}

/**
 * The OpenAPI 3.1 document, generated from the same zod schemas that validate requests and shape
 * responses. Every route of createApp must be registered here; a test holds the two lists together.
 */
export function buildOpenApiDocument(options: OpenApiOptions): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  const secured = options.apiKeys ? securedResponses() : {};
  if (options.apiKeys) {
    registry.registerComponent('securitySchemes', 'bearerKey', { type: 'http', scheme: 'bearer' });
    registry.registerComponent('securitySchemes', 'apiKeyHeader', { type: 'apiKey', in: 'header', name: 'X-API-Key' });
  }
  const security: Array<Record<string, string[]>> | undefined = options.apiKeys
    ? [{ bearerKey: [] }, { apiKeyHeader: [] }]
    : undefined;
  // Answered for any path before routing, so they belong to no single operation.
  const generic = (kind: ProblemKind, description: string) => ({
    description: `${description} (problem type urn:uap:problem:${kind.slug})`,
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
  });
  registry.registerComponent('responses', 'NotFound', generic(PROBLEMS.notFound, 'No route for this path'));
  registry.registerComponent(
    'responses',
    'MethodNotAllowed',
    generic(PROBLEMS.methodNotAllowed, 'The path exists but not for this method; see the Allow header'),
  );
  registry.registerComponent('responses', 'InternalError', generic(PROBLEMS.internal, 'A bug on our side'));

  const ingestBody = (schema: z.ZodType, limit: number) => ({
    description:
      `JSON, at most ${limit} bytes. May be sent with Content-Encoding: gzip (x-gzip); the limit then applies to the ` +
      'decompressed bytes, and inflation stops with 413 the moment they pass it. Any other encoding is 415.',
    required: true,
    content: json(schema),
  });
  const ingestErrors: RouteConfig['responses'] = {
    400: problem(
      PROBLEMS.validation,
      'Invalid event(s), malformed JSON or corrupt gzip; `errors` lists every invalid field',
    ),
    413: problem(PROBLEMS.payloadTooLarge, 'Body over the byte limit, compressed or decompressed'),
    415: problem(
      PROBLEMS.unsupportedMediaType,
      'Body not sent as application/json, or in a Content-Encoding other than gzip (then Accept-Encoding: gzip)',
    ),
    503: UNAVAILABLE,
    ...secured,
  };
  const singleLinks = {
    ...(options.receipts && options.ingest.issuesReceipts
      ? { GetReceipt: { operationId: 'getReceipt', parameters: { receipt: '$response.body#/receipt' } } }
      : {}),
    ...(options.queries
      ? { GetActivity: { operationId: 'getActivity', parameters: { eventId: '$response.body#/eventId' } } }
      : {}),
  };
  registry.registerPath({
    method: 'post',
    path: '/api/v1/activities',
    tags: ['ingest'],
    summary: 'Ingest one activity',
    ...rules('future-occurred-at', 'metadata-content'),
    description:
      'Answers 202 only after the broker acknowledged the event. Resend with the same eventId to retry safely.',
    ...(security ? { security } : {}),
    request: { body: ingestBody(options.ingest.single, options.bodyLimits.singleBytes) },
    responses: {
      202: options.ingest.issuesReceipts
        ? {
            description: 'Accepted and durable; Location points at its receipt',
            headers: { Location: { schema: { type: 'string' }, description: '/api/v1/receipts/{receipt}' } },
            content: json(SingleAcceptedSchema),
            links: singleLinks,
          }
        : {
            description: 'Accepted and durable',
            content: json(SingleAcceptedWithoutReceiptSchema),
            links: singleLinks,
          },
      ...ingestErrors,
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/v1/activities/batch',
    tags: ['ingest'],
    summary: 'Ingest a batch of activities (all or nothing)',
    ...rules('future-occurred-at', 'metadata-content'),
    description: 'One invalid event rejects the whole batch; a valid batch is published in one acknowledged send.',
    ...(security ? { security } : {}),
    request: { body: ingestBody(options.ingest.batch, options.bodyLimits.batchBytes) },
    responses: {
      202: {
        description: 'All accepted and durable',
        content: json(options.ingest.issuesReceipts ? BatchAcceptedSchema : BatchAcceptedWithoutReceiptsSchema),
        ...(options.receipts && options.ingest.issuesReceipts
          ? {
              links: {
                GetFirstReceipt: { operationId: 'getReceipt', parameters: { receipt: '$response.body#/receipts/0' } },
              },
            }
          : {}),
      },
      ...ingestErrors,
    },
  });

  const readHeaders = options.receipts
    ? {
        [CONSISTENCY_HEADERS.lag]: {
          schema: { type: 'integer' as const },
          description: 'Events accepted but not yet processed',
        },
        [CONSISTENCY_HEADERS.watermark]: {
          schema: { type: 'string' as const },
          description: 'Every event accepted before this time is processed (ISO-8601), or "unknown"',
        },
        [CONSISTENCY_HEADERS.stale]: {
          schema: { type: 'string' as const, enum: ['true', 'false'] },
          description: 'With X-Consistency-Token: true when the wait ran out before the group caught up',
        },
      }
    : undefined;
  const consistencyRules: BeyondSchemaRule[] = options.receipts ? ['token-not-issued'] : [];
  const consistencyRequest = options.receipts
    ? {
        headers: z.object({
          [CONSISTENCY_HEADERS.token]: ReceiptTokenSchema.optional().describe(
            'A receipt or a batch consistencyToken: the read waits until the worker processed past it.',
          ),
          [CONSISTENCY_HEADERS.maxWait]: z
            .int()
            .min(0)
            .max(RECEIPT_LIMITS.maxWaitMs)
            .optional()
            .describe('How long to wait for X-Consistency-Token, in ms (default 2000, at most 10000).'),
        }),
      }
    : {};
  if (options.queries) {
    // The next page is the same query with the page's cursor: the cursor is bound to the filters and sort.
    const sameQuery = (names: string[]) => Object.fromEntries(names.map((name) => [name, `$request.query.${name}`]));
    const nextPage = (operationId: string, names: string[]) => ({
      NextPage: {
        operationId,
        parameters: { ...sameQuery(names), cursor: '$response.body#/page/nextCursor' },
        description: 'The following page, while page.nextCursor is not null',
      },
    });
    const listResponses = (links: NonNullable<ResponseConfig['links']>): RouteConfig['responses'] => ({
      200: {
        description: 'One page, in (occurredAt, eventId) order',
        ...(readHeaders ? { headers: readHeaders } : {}),
        content: json(ActivityListDtoSchema),
        links,
      },
      400: BAD_QUERY,
      503: UNAVAILABLE,
      ...secured,
    });
    registry.registerPath({
      method: 'get',
      path: '/api/v1/activities',
      operationId: 'listActivities',
      tags: ['query'],
      summary: 'List activities with filters and cursor (or offset) paging',
      ...rules('range-order', 'cursor-not-issued', 'cursor-with-page', 'offset-cap', ...consistencyRules),
      ...(security ? { security } : {}),
      request: { query: ACTIVITY_QUERY_PARAMS.list, ...consistencyRequest },
      responses: listResponses(nextPage('listActivities', ['userId', 'type', 'from', 'to', 'sort', 'limit'])),
    });
    registry.registerPath({
      method: 'get',
      path: toOpenApiPath('/api/v1/activities/:eventId'),
      operationId: 'getActivity',
      tags: ['query'],
      summary: 'One activity by eventId',
      ...rules(...consistencyRules),
      ...(security ? { security } : {}),
      request: {
        params: z.object({ eventId: EventIdSchema }),
        query: ACTIVITY_QUERY_PARAMS.byId,
        ...consistencyRequest,
      },
      responses: {
        200: {
          description: 'The activity, with the receipt of its stored copy',
          ...(readHeaders ? { headers: readHeaders } : {}),
          content: json(ActivityDetailDtoSchema),
        },
        400: BAD_QUERY,
        404: problem(PROBLEMS.notFound, 'No activity with this eventId (yet: the worker stores it shortly after 202)'),
        503: UNAVAILABLE,
        ...secured,
      },
    });
    registry.registerPath({
      method: 'get',
      path: toOpenApiPath('/api/v1/users/:userId/activities'),
      operationId: 'listUserActivities',
      tags: ['query'],
      summary: 'List one user’s activities',
      ...rules('range-order', 'cursor-not-issued', 'cursor-with-page', 'offset-cap', ...consistencyRules),
      ...(security ? { security } : {}),
      request: {
        params: z.object({ userId: UserIdSchema }),
        query: ACTIVITY_QUERY_PARAMS.byUser,
        ...consistencyRequest,
      },
      responses: listResponses({
        NextPage: {
          operationId: 'listUserActivities',
          parameters: {
            ...sameQuery(['type', 'from', 'to', 'sort', 'limit']),
            userId: '$request.path.userId',
            cursor: '$response.body#/page/nextCursor',
          },
          description: 'The following page, while page.nextCursor is not null',
        },
      }),
    });
  }

  if (options.exports) {
    registry.registerPath({
      method: 'get',
      path: EXPORT_PATH,
      tags: ['query'],
      summary: 'Export every matching activity as NDJSON or CSV, streamed',
      ...rules('range-order', ...consistencyRules),
      description:
        'The list’s filters and sort (default occurredAt desc, then eventId desc), without paging: limit, cursor ' +
        'and page are 400 here. Streamed with backpressure, in constant memory. NDJSON lines are the list’s ' +
        `Activity objects. CSV: a header row, then the columns ${CSV_COLUMNS.join(', ')}, with metadata and context ` +
        'as JSON text, RFC 4180 quoting, CRLF line ends; a cell starting with =, +, -, @, tab or CR gets a leading ' +
        "' (and quotes) so spreadsheets never run it as a formula. The status is sent with the first rows: a store " +
        'failure later cuts the response off without its final chunk (NDJSON first gets an {"error":…} line), so ' +
        'the transfer reads as incomplete, never as a short but complete file.',
      ...(security ? { security } : {}),
      request: { query: EXPORT_QUERY_PARAMS, ...consistencyRequest },
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
            [EXPORT_FORMATS.ndjson.contentType]: { schema: z.string().describe('One Activity JSON object per line') },
            [EXPORT_FORMATS.csv.contentType]: { schema: z.string().describe('Header row, then one row per activity') },
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
  }

  if (options.stats) {
    registry.registerPath({
      method: 'get',
      path: STATS_PATH,
      operationId: 'getActivityStats',
      tags: ['query'],
      summary: 'Counts per time bucket and type, exact',
      ...rules('range-order', 'stats-bucket-cap', 'stats-count-cap', ...consistencyRules),
      description:
        'Counts of the stored activities whose occurredAt lies in [from, to), per UTC bucket and type: equal to ' +
        'counting the events themselves. Whole minutes come from per-minute rollups the worker maintains exactly ' +
        'once; partial minutes at unaligned ends, and a userId filter, are counted from the events (at most ' +
        `${STATS_LIMITS.maxEventsCounted} of them, else 400). With retention on, from is clamped to the retention ` +
        'horizon (the response says which range it counted). Same freshness headers and X-Consistency-Token as the list.',
      ...(security ? { security } : {}),
      request: { query: STATS_QUERY_PARAMS, ...consistencyRequest },
      responses: {
        200: {
          description: 'Counts of [from, to): per type, one count per bucket of the range, empty ones included',
          ...(readHeaders ? { headers: readHeaders } : {}),
          content: json(ActivityStatsDtoSchema),
        },
        400: problem(
          PROBLEMS.validation,
          'Invalid or unknown parameter, from not before to, more than ' +
            `${STATS_LIMITS.maxBuckets} buckets, or too many events to count one by one`,
        ),
        503: UNAVAILABLE,
        ...secured,
      },
    });
  }

  if (options.erasures) {
    const erasureErrors: RouteConfig['responses'] = {
      400: BAD_QUERY,
      503: UNAVAILABLE,
      ...secured,
      ...(options.apiKeys ? { 403: problem(PROBLEMS.forbidden, 'The API key lacks the admin scope') } : {}),
    };
    registry.registerPath({
      method: 'delete',
      path: toOpenApiPath('/api/v1/users/:userId/activities'),
      tags: ['data lifecycle'],
      summary: 'Erase a user’s activities (stored events, dead-letter index entries, and events still in the topic)',
      description:
        'The erasure record keeps a keyed hash of the userId and the time, never the userId. Events of the user ' +
        'accepted after the erasure are stored as usual. Poll Location for the state and counts.',
      ...(security ? { security } : {}),
      request: { params: z.object({ userId: UserIdSchema }), query: ERASURE_PARAMS.none },
      responses: {
        202: {
          description: 'Erasing; Location points at the erasure',
          headers: { Location: { schema: { type: 'string' }, description: '/api/v1/erasures/{erasureId}' } },
          content: json(ErasureSchema),
          links: { GetErasure: { operationId: 'getErasure', parameters: { erasureId: '$response.body#/erasureId' } } },
        },
        ...erasureErrors,
      },
    });
    registry.registerPath({
      method: 'get',
      path: toOpenApiPath('/api/v1/erasures/:erasureId'),
      operationId: 'getErasure',
      tags: ['data lifecycle'],
      summary: 'An erasure: state and counts',
      ...(security ? { security } : {}),
      request: { params: z.object({ erasureId: ERASURE_PARAMS.erasureId }), query: ERASURE_PARAMS.none },
      responses: {
        200: { description: 'The erasure', content: json(ErasureSchema) },
        404: problem(PROBLEMS.notFound, 'No such erasure'),
        ...erasureErrors,
      },
    });
  }

  if (options.stream) {
    registry.registerPath({
      method: 'get',
      path: '/api/v1/activities/stream',
      tags: ['stream'],
      summary: 'Live activities as Server-Sent Events, with the list’s userId and type filters; resumable',
      ...rules('token-not-issued'),
      description:
        'Events: `activity` (data: the same JSON as the list; `id:` is a resume token), `dropped` (data: {count}) when ' +
        'this client fell behind its queue, `reset` when the resume position is older than the window (reload with the ' +
        'list API; the stream continues live), `reconnect` at the end of the connection’s lifetime or on shutdown. ' +
        'Comments every 15 s keep it alive; `retry:` hints the reconnect delay. Resume with the Last-Event-ID header ' +
        '(or lastEventId): no gap, no repeat, within at least the last 10,000 events or 60 s while the stream is read, and ' +
        'from the topic itself (its retention) once nobody was subscribed and it stopped reading. Browsers authenticate ' +
        'with ?ticket= from POST /api/v1/stream-tickets; a key is never accepted in the URL. ' +
        'from, to, cursor, page and limit are 400 here.',
      ...(security ? { security } : {}),
      request: { query: STREAM_PARAMS.stream },
      responses: {
        200: {
          description: 'The event stream; the schema is that of one event (its fields as parsed by EventSource)',
          content: { 'text/event-stream': { schema: StreamEventSchema } },
        },
        400: BAD_QUERY,
        429: problem(
          PROBLEMS.tooManyRequests,
          'Too many open streams, in all or for this key; retry after Retry-After',
        ),
        503: problem(
          PROBLEMS.unavailable,
          'The stream could not start reading the topic (the broker is down), or the server is shutting down; retry after Retry-After',
        ),
        ...secured,
      },
    });
    registry.registerPath({
      method: 'post',
      path: '/api/v1/stream-tickets',
      tags: ['stream'],
      summary: 'A single-use ticket to open the live stream from a browser (60 s to connect)',
      ...(security ? { security } : {}),
      request: { query: STREAM_PARAMS.none },
      responses: { 201: { description: 'The ticket', content: json(StreamTicketSchema) }, 400: BAD_QUERY, ...secured },
    });
  }

  if (options.receipts) {
    registry.registerPath({
      method: 'get',
      path: toOpenApiPath('/api/v1/receipts/:receipt'),
      operationId: 'getReceipt',
      tags: ['receipts'],
      summary: 'Is it stored yet? The fate of one accepted event',
      ...rules('token-not-issued'),
      description:
        'pending (with `behind`), persisted, duplicate (another copy of the eventId was stored) or dead_lettered. ' +
        'With waitFor=final, waits until the status is final or timeoutMs has passed, then answers 200 either way.',
      ...(security ? { security } : {}),
      request: { params: z.object({ receipt: ReceiptTokenSchema }), query: RECEIPT_PARAMS.receipt },
      responses: {
        200: { description: 'The receipt’s status', content: json(ReceiptStatusSchema) },
        400: problem(PROBLEMS.validation, 'A forged, altered or malformed receipt, or a bad parameter'),
        503: UNAVAILABLE,
        ...secured,
      },
    });
    registry.registerPath({
      method: 'get',
      path: '/api/v1/freshness',
      tags: ['receipts'],
      summary:
        'How fresh reads are: per partition committed and end offsets, lag, watermark and whether it is stalled, and the worst',
      ...(security ? { security } : {}),
      request: { query: RECEIPT_PARAMS.none },
      responses: {
        200: { description: 'The latest snapshot', content: json(FreshnessSchema) },
        400: BAD_QUERY,
        503: UNAVAILABLE,
        ...secured,
      },
    });
  }

  if (options.deadLetters) {
    const admin = {
      tags: ['dead letters'],
      ...(security ? { security } : {}),
    };
    const adminErrors: RouteConfig['responses'] = {
      503: UNAVAILABLE,
      ...secured,
      ...(options.apiKeys ? { 403: problem(PROBLEMS.forbidden, 'The API key lacks the admin scope') } : {}),
    };
    const jobParams = z.object({ jobId: z.string().regex(/^rj_[A-Za-z0-9_-]{12}$/) });
    registry.registerPath({
      ...admin,
      method: 'get',
      path: '/api/v1/dead-letters',
      summary: 'List dead letters, newest first, with filters and cursor paging',
      ...rules('range-order', 'cursor-not-issued'),
      description: 'Raw payloads can hold personal data: admin scope only.',
      request: { query: DEAD_LETTER_PARAMS.list },
      responses: {
        200: {
          description: 'One page',
          content: json(DeadLetterListSchema),
          links: {
            GetDeadLetter: {
              operationId: 'getDeadLetter',
              parameters: { letterId: '$response.body#/data/0/letterId' },
            },
          },
        },
        400: BAD_QUERY,
        ...adminErrors,
      },
    });
    registry.registerPath({
      ...admin,
      method: 'get',
      path: '/api/v1/dead-letters/stats',
      summary: 'Dead letters per reason and per status',
      ...rules('range-order'),
      request: { query: DEAD_LETTER_PARAMS.stats },
      responses: {
        200: { description: 'Counts', content: json(DeadLetterStatsSchema) },
        400: BAD_QUERY,
        ...adminErrors,
      },
    });
    registry.registerPath({
      ...admin,
      method: 'get',
      path: toOpenApiPath('/api/v1/dead-letters/:letterId'),
      operationId: 'getDeadLetter',
      summary: 'One dead letter: payload (decoded when it parses), headers, error',
      request: {
        params: z.object({ letterId: z.string().regex(/^[0-9]{1,10}-[0-9]{1,19}$/) }),
        query: DEAD_LETTER_PARAMS.none,
      },
      responses: {
        200: { description: 'The letter', content: json(DeadLetterDetailSchema) },
        400: BAD_QUERY,
        404: problem(PROBLEMS.notFound, 'No letter with this id'),
        ...adminErrors,
      },
    });
    registry.registerPath({
      ...admin,
      method: 'post',
      path: '/api/v1/dead-letters/replays',
      summary: 'Start a replay (or a dry run) of the selected letters',
      ...rules('range-order'),
      description:
        'Each letter is re-validated with the current contract; valid ones are republished with their original key, ' +
        'eventId and headers (plus replay-job and replay-count) and marked replayed once the broker acknowledged. ' +
        'Stored exactly once through the worker’s eventId dedup, also when a job is resumed or run twice.',
      request: { query: DEAD_LETTER_PARAMS.none, body: { required: true, content: json(ReplayRequestSchema) } },
      responses: {
        202: {
          description: 'Started; Location points at the job',
          headers: { Location: { schema: { type: 'string' }, description: 'The job resource' } },
          content: json(ReplayJobSchema),
          links: {
            GetReplayJob: { operationId: 'getReplayJob', parameters: { jobId: '$response.body#/jobId' } },
            CancelReplayJob: { operationId: 'cancelReplayJob', parameters: { jobId: '$response.body#/jobId' } },
          },
        },
        400: problem(PROBLEMS.validation, 'Invalid request body'),
        409: problem(PROBLEMS.conflict, 'A running replay job has an overlapping filter'),
        413: problem(PROBLEMS.payloadTooLarge, 'Body over 64 KB'),
        415: problem(PROBLEMS.unsupportedMediaType, 'Body not sent as application/json'),
        ...adminErrors,
      },
    });
    registry.registerPath({
      ...admin,
      method: 'get',
      path: toOpenApiPath('/api/v1/dead-letters/replays/:jobId'),
      operationId: 'getReplayJob',
      summary: 'A replay job: state, counts, per-partition progress, samples of what still fails',
      request: { params: jobParams, query: DEAD_LETTER_PARAMS.none },
      responses: {
        200: { description: 'The job', content: json(ReplayJobSchema) },
        400: BAD_QUERY,
        404: problem(PROBLEMS.notFound, 'No such job'),
        ...adminErrors,
      },
    });
    registry.registerPath({
      ...admin,
      method: 'delete',
      path: toOpenApiPath('/api/v1/dead-letters/replays/:jobId'),
      operationId: 'cancelReplayJob',
      summary: 'Cancel a running replay job (letters not reached stay dead; none is lost)',
      request: { params: jobParams, query: DEAD_LETTER_PARAMS.none },
      responses: {
        200: { description: 'The job, cancelled', content: json(ReplayJobSchema) },
        400: BAD_QUERY,
        404: problem(PROBLEMS.notFound, 'No such job'),
        409: problem(PROBLEMS.conflict, 'The job has already ended'),
        ...adminErrors,
      },
    });
  }

  registry.registerPath({
    method: 'get',
    path: WHOAMI_PATH,
    tags: ['operations'],
    summary: 'The calling key’s scopes (never the key), so a client can hide what it cannot use',
    description:
      'Any valid key may ask, whatever its scopes; without a key the answer has no scopes (a wrong key is 401). ' +
      'Without API keys configured: every scope, keyId null.',
    // No security requirement: the key is optional here (without one the answer has no scopes); a wrong one is 401.
    request: { query: WHOAMI_PARAMS.none },
    responses: {
      200: { description: 'The key’s scopes', content: json(WhoAmISchema) },
      400: BAD_QUERY,
      ...(options.apiKeys
        ? {
            401: problem(PROBLEMS.unauthorized, 'Missing, malformed or unknown API key'),
            429: problem(PROBLEMS.tooManyRequests, 'Rate limit exceeded; retry after Retry-After'),
          }
        : {}),
    },
  });
  registry.registerPath({
    method: 'get',
    path: DASHBOARD_PATH,
    tags: ['operations'],
    summary: 'The browser dashboard (served locally, no CDN; the page asks for a key and keeps it in sessionStorage)',
    responses: {
      200: {
        description: 'HTML page; its scripts and styles are files under /dashboard/ (strict CSP, no inline script)',
        content: { 'text/html': { schema: z.string() } },
      },
      503: problem(PROBLEMS.unavailable, 'The dashboard was not built (npm run build bundles it)'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: toOpenApiPath(`${DASHBOARD_PATH}/:asset`),
    tags: ['operations'],
    summary: 'Static assets of the dashboard',
    request: { params: z.object({ asset: z.enum(DASHBOARD_ASSETS) }) },
    responses: {
      200: {
        description: 'The asset',
        content: {
          'text/javascript': { schema: z.string() },
          'text/css': { schema: z.string() },
          'image/svg+xml': { schema: z.string() },
          'application/json': { schema: z.object({}).loose().describe('A source map') },
        },
      },
      404: problem(PROBLEMS.notFound, 'No such asset, or the dashboard was not built'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/healthz',
    tags: ['operations'],
    summary: 'Liveness: the process answers',
    responses: { 200: { description: 'Alive', content: json(LivenessSchema) } },
  });
  registry.registerPath({
    method: 'get',
    path: '/readyz',
    tags: ['operations'],
    summary: 'Readiness: broker and store reachable',
    responses: {
      200: { description: 'Ready', content: json(ReadinessSchema) },
      503: { description: 'Not ready; `checks` says which dependency is down', content: json(ReadinessSchema) },
    },
  });
  if (options.metrics !== false) {
    registry.registerPath({
      method: 'get',
      path: '/metrics',
      tags: ['operations'],
      summary: 'Prometheus metrics (text exposition format)',
      responses: { 200: { description: 'Metrics', content: { 'text/plain': { schema: z.string() } } } },
    });
  }
  registry.registerPath({
    method: 'get',
    path: '/openapi.json',
    tags: ['operations'],
    summary: 'This document',
    responses: { 200: { description: 'OpenAPI 3.1 document', content: json(z.object({}).loose()) } },
  });
  registry.registerPath({
    method: 'get',
    path: '/docs',
    tags: ['operations'],
    summary: 'Interactive API docs (Swagger UI, served locally)',
    responses: { 200: { description: 'HTML page', content: { 'text/html': { schema: z.string() } } } },
  });
  registry.registerPath({
    method: 'get',
    path: toOpenApiPath('/docs/:asset'),
    tags: ['operations'],
    summary: 'Static assets of the docs page',
    request: { params: z.object({ asset: z.enum(DOCS_ASSETS) }) },
    responses: {
      200: {
        description: 'The asset',
        content: {
          'text/javascript': { schema: z.string() },
          'text/css': { schema: z.string() },
          'image/png': { schema: z.string().meta({ contentMediaType: 'image/png' }) },
        },
      },
      404: problem(PROBLEMS.notFound, 'No such asset'),
    },
  });

  // The ingest body's oneOf points at these; they carry their component id (see ACTIVITY_INPUT_VARIANTS).
  const variants = Object.values(ACTIVITY_INPUT_VARIANTS).map((schema) => ({ type: 'schema' as const, schema }));
  const document = new OpenApiGeneratorV31([...registry.definitions, ...variants]).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'User Activity Platform API',
      version: options.version ?? '1.0.0',
      description:
        'Ingest user activities (202 only once durable on Kafka), query what the worker stored. ' +
        'Every error is RFC 9457 application/problem+json.',
    },
    servers: [{ url: '/' }],
  });
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const operation = item[method];
      if (!operation) continue;
      // The scope comes from the function the auth middleware asks, so the document cannot drift from it.
      if (operation.security) {
        const scope = scopeFor(method, path);
        operation.security = operation.security.map((requirement) =>
          Object.fromEntries(Object.keys(requirement).map((scheme) => [scheme, scope === null ? [] : [scope]])),
        );
        const needs = scope === null ? 'Any API key, or none.' : `Needs an API key with the \`${scope}\` scope.`;
        operation.description = `${operation.description ? `${operation.description}\n\n` : ''}${needs}`;
      }
      addExample(operation, OPENAPI_EXAMPLES[`${method} ${path}`]);
    }
  }
  return document;
}

type Operation = NonNullable<NonNullable<OpenApiDocument['paths']>[string]['get']>;

function addExample(operation: Operation, example: OperationExample | undefined): void {
  if (!example) return;
  const body = operation.requestBody && 'content' in operation.requestBody ? operation.requestBody.content : undefined;
  if (example.request !== undefined && body?.['application/json']) body['application/json'].example = example.request;
  for (const parameter of operation.parameters ?? []) {
    if ('name' in parameter && example.parameters && parameter.name in example.parameters) {
      parameter.example = example.parameters[parameter.name];
    }
  }
  const response = example.response && operation.responses?.[example.response.status];
  if (response && 'content' in response && response.content) {
    const [first] = Object.values(response.content as Record<string, { example?: unknown }>);
    if (first) first.example = example.response!.body;
  }
}
