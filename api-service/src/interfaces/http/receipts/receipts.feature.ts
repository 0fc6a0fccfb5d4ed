import { z } from 'zod';
import { RECEIPT_LIMITS } from '../../../application/receipts.use-case';
import type { HttpFeature } from '../http-feature';
import {
  BAD_QUERY,
  json,
  problem,
  ReceiptTokenSchema,
  rules,
  UNAVAILABLE,
  type ReadConsistencyDocs,
} from '../openapi/openapi-kit';
import { PROBLEMS } from '../problem';
import {
  CONSISTENCY_HEADERS,
  FreshnessSchema,
  RECEIPT_PARAMS,
  RECEIPT_ROUTES,
  ReceiptStatusSchema,
  readFreshness,
  receiptsRouter,
  type ReceiptsHttpDeps,
} from './receipts.router';

// What readFreshness adds to every read of /api/v1/activities, /api/v1/users and /api/v1/insights, whichever feature serves it.
const READ_CONSISTENCY: ReadConsistencyDocs = {
  request: {
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
  },
  responseHeaders: {
    [CONSISTENCY_HEADERS.lag]: { schema: { type: 'integer' }, description: 'Events accepted but not yet processed' },
    [CONSISTENCY_HEADERS.watermark]: {
      schema: { type: 'string' },
      description: 'Every event accepted before this time is processed (ISO-8601), or "unknown"',
    },
    [CONSISTENCY_HEADERS.stale]: {
      schema: { type: 'string', enum: ['true', 'false'] },
      description: 'With X-Consistency-Token: true when the wait ran out before the group caught up',
    },
  },
  rules: ['token-not-issued'],
};

/** Receipts ("is it stored yet?"), freshness, and read-your-writes on the reads mounted after it. */
export function receiptsFeature(deps: ReceiptsHttpDeps): HttpFeature {
  return {
    routes: RECEIPT_ROUTES,
    readConsistency: READ_CONSISTENCY,
    mount: (app) => {
      app.use(['/api/v1/activities', '/api/v1/users', '/api/v1/insights'], readFreshness(deps));
      app.use(receiptsRouter(deps));
    },
    document: ({ registry, security, secured }) => {
      registry.registerPath({
        method: 'get',
        path: '/api/v1/receipts/{receipt}',
        operationId: 'getReceipt',
        tags: ['receipts'],
        summary: 'Is it stored yet? The fate of one accepted event',
        ...rules('token-not-issued'),
        description:
          'pending (with `behind`), persisted, duplicate (another copy of the eventId was stored) or dead_lettered. ' +
          'With waitFor=final, waits until the status is final or timeoutMs has passed, then answers 200 either way.',
        ...security,
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
        ...security,
        request: { query: RECEIPT_PARAMS.none },
        responses: {
          200: { description: 'The latest snapshot', content: json(FreshnessSchema) },
          400: BAD_QUERY,
          503: UNAVAILABLE,
          ...secured,
        },
      });
    },
  };
}
