import { SEGMENT_CALLS, type SegmentCall } from '@uap/shared/contract';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { IngestRequest } from '../../../application/ingest-activity.use-case';
import type { IngestSegmentUseCase, SegmentOutcome } from '../../../application/ingest-segment.use-case';
import { SEGMENT_LIMITS } from '../../../domain/segment/segment-message.schema';
import { authorizeWriteKey } from '../auth.middleware';
import { requestContext } from '../ingest/activities.router';
import { jsonBody, type JsonBodyOptions } from '../json-body.middleware';
import type { RouteSpec } from '../method-guard.middleware';
import { INGESTED_LOCAL, type IngestedCounts } from '../metrics/metrics.middleware';
import { PROBLEMS, requestIdOf, sendProblem } from '../problem';
import { requestSource, type SourceLookup } from '../request-source';

export const SEGMENT_PATHS = [...SEGMENT_CALLS.map((call) => `/v1/${call}`), '/v1/batch'] as const;
/**
 * The paths Segment's browser SDK (analytics.js) posts to: each call's first letter (`/v1/t`, …), `/v1/b` for its
 * batching strategy. The same operations as the long paths, which the OpenAPI document describes (and names these).
 */
type SegmentPath = `/v1/${SegmentCall | 'batch'}`;
export const SEGMENT_SHORT_PATHS: Readonly<Record<SegmentPath, string>> = {
  '/v1/track': '/v1/t',
  '/v1/page': '/v1/p',
  '/v1/screen': '/v1/s',
  '/v1/identify': '/v1/i',
  '/v1/group': '/v1/g',
  '/v1/alias': '/v1/a',
  '/v1/batch': '/v1/b',
};
const bothPaths = (path: SegmentPath): string[] => [path, SEGMENT_SHORT_PATHS[path]];
export const SEGMENT_ROUTES: RouteSpec[] = [...SEGMENT_CALLS, 'batch' as const].flatMap((name): RouteSpec[] => {
  const path: SegmentPath = `/v1/${name}`;
  return [
    { path, methods: ['POST'] },
    { path: SEGMENT_SHORT_PATHS[path], methods: ['POST'], documentedAs: path },
  ];
});
/** Every path the surface serves, aliases included: where the write key may come in the body. */
export const SEGMENT_ALL_PATHS: readonly string[] = SEGMENT_ROUTES.map((route) => route.path);

// As Segment's API reads bodies: gzip or deflate, and JSON whatever the Content-Type says (see JsonBodyOptions).
const BODY: JsonBodyOptions = { deflate: true, anyMediaType: true };

/** The write key a body may carry (analytics-node sends it there as well as in the Basic header). */
const writeKeyOf = (body: unknown): unknown => (body as { writeKey?: unknown } | null | undefined)?.writeKey;

function ingestRequest(req: Request, res: Response, sourceOf: SourceLookup | undefined): IngestRequest {
  return {
    body: req.body as unknown,
    requestId: requestIdOf(res),
    context: requestContext(req),
    source: requestSource(res, sourceOf),
  };
}

export interface SegmentRouterOptions {
  /** The source of a key bound to one: its id is stamped on the events, its policy applies. */
  sourceOf?: SourceLookup | undefined;
  /**
   * Runs once the key is known, also when it came as the body's writeKey (after the app-level middleware ran): the
   * source's rate limit, which counts a request once wherever it ran first.
   */
  afterWriteKey?: RequestHandler | undefined;
}

/** What Segment answers, so SDKs read it as done; warnings only when there are some (SDKs ignore the body). */
function success(outcome: SegmentOutcome) {
  return { success: true as const, ...(outcome.warnings ? { warnings: outcome.warnings } : {}) };
}

/**
 * The Segment HTTP Tracking API: `POST /v1/{track,page,screen,identify,group,alias,batch}`. 200 only after the
 * broker acknowledged the events (acks=all), like the REST dialect's 202. The write key is checked once the body
 * is read, since it may be in the body.
 */
export function segmentRouter(segment: IngestSegmentUseCase, options: SegmentRouterOptions = {}): Router {
  const router = Router();
  const { sourceOf } = options;
  const authorize: RequestHandler[] = [
    authorizeWriteKey(writeKeyOf),
    ...(options.afterWriteKey ? [options.afterWriteKey] : []),
  ];
  for (const call of SEGMENT_CALLS) {
    router.post(
      bothPaths(`/v1/${call}`),
      ...jsonBody(SEGMENT_LIMITS.messageBytes, BODY),
      ...authorize,
      async (req, res) => {
        res.status(200).json(success(await segment.ingestCall(call, ingestRequest(req, res, sourceOf))));
      },
    );
  }
  router.post(bothPaths('/v1/batch'), ...jsonBody(SEGMENT_LIMITS.batchBytes, BODY), ...authorize, async (req, res) => {
    const outcome = await segment.ingestBatch(ingestRequest(req, res, sourceOf));
    const counts: IngestedCounts = { accepted: outcome.accepted, refused: outcome.refusedIndexes.length };
    res.locals[INGESTED_LOCAL] = counts;
    if (outcome.refusedIndexes.length === 0) {
      res.status(200).json(success(outcome));
      return;
    }
    const refused = outcome.refusedIndexes.length;
    sendProblem(
      req,
      res,
      PROBLEMS.validation,
      `${refused} of ${refused + outcome.accepted} messages were refused, each named by index in errors; the ` +
        `other ${outcome.accepted} are stored`,
      {
        errors: outcome.errors,
        members: {
          accepted: outcome.accepted,
          refused,
          refusedIndexes: outcome.refusedIndexes,
          ...(outcome.warnings ? { warnings: outcome.warnings } : {}),
        },
      },
    );
  });
  return router;
}
