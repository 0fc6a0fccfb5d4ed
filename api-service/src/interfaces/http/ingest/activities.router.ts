import { RequestContextSchema, type RequestContext } from '@uap/shared/contract';
import { Router, type Request, type Response } from 'express';
import type { IngestActivityUseCase, IngestRequest } from '../../../application/ingest-activity.use-case';
import { jsonBody } from '../json-body.middleware';
import type { RouteSpec } from '../method-guard.middleware';
import { requestIdOf } from '../problem';
import { requestSource, type SourceLookup } from '../request-source';

export interface BodyLimits {
  singleBytes: number;
  batchBytes: number;
}

export const ACTIVITY_INGEST_ROUTES: RouteSpec[] = [
  { path: '/api/v1/activities', methods: ['POST'] },
  { path: '/api/v1/activities/batch', methods: ['POST'] },
];

const { ip: IP_SCHEMA, userAgent: USER_AGENT_SCHEMA } = RequestContextSchema.shape;
const MAX_IP = IP_SCHEMA.unwrap().maxLength ?? 64;
const MAX_USER_AGENT = USER_AGENT_SCHEMA.unwrap().maxLength ?? 512;

/**
 * Who sent it, as far as we can tell: `req.ip` honours the trust-proxy setting. Both are trimmed to
 * the contract's limits so that an overlong User-Agent cannot make the worker reject the event.
 */
export function requestContext(req: Request): RequestContext {
  const userAgent = req.get('user-agent');
  return {
    ...(req.ip === undefined ? {} : { ip: req.ip.slice(0, MAX_IP) }),
    ...(userAgent === undefined ? {} : { userAgent: userAgent.slice(0, MAX_USER_AGENT) }),
  };
}

function ingestRequest(req: Request, res: Response, sourceOf: SourceLookup | undefined): IngestRequest {
  return {
    body: req.body as unknown,
    requestId: requestIdOf(res),
    context: requestContext(req),
    source: requestSource(res, sourceOf),
  };
}

/**
 * Mounted at /api/v1/activities. Answers 202 only after the broker acknowledged the events. `sourceOf` finds the
 * source of a key bound to one, whose id the events carry and whose policy applies.
 */
export function activitiesRouter(ingest: IngestActivityUseCase, limits: BodyLimits, sourceOf?: SourceLookup): Router {
  const router = Router();
  router.post('/', ...jsonBody(limits.singleBytes), async (req, res) => {
    const accepted = await ingest.ingestOne(ingestRequest(req, res, sourceOf));
    if (accepted.receipt !== undefined) res.location(`/api/v1/receipts/${accepted.receipt}`);
    res.status(202).json(accepted);
  });
  router.post('/batch', ...jsonBody(limits.batchBytes), async (req, res) => {
    res.status(202).json(await ingest.ingestBatch(ingestRequest(req, res, sourceOf)));
  });
  return router;
}
