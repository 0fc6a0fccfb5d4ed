import type { Request, RequestHandler } from 'express';
import { Router } from 'express';
import type { ApiMetrics } from '../../../infrastructure/metrics/api.metrics';
import { apiKeyOf } from '../auth.middleware';
import type { RouteSpec } from '../method-guard.middleware';

export const METRICS_ROUTES: RouteSpec[] = [{ path: '/metrics', methods: ['GET'] }];

/** How many events a request carried, as far as its body could be read (`events`, or a Segment `batch`). */
function eventsIn(req: Request): number {
  const body = req.body as { events?: unknown; batch?: unknown } | undefined;
  const events = body?.events ?? body?.batch;
  return Array.isArray(events) && events.length > 0 ? events.length : 1;
}

/** Set by a route that accepted part of a request (a Segment batch): what to count instead of the whole body. */
export const INGESTED_LOCAL = 'ingested';
export interface IngestedCounts {
  accepted: number;
  refused: number;
}

/**
 * Times every request and, for the ingest routes, counts accepted and rejected events. Installed
 * before the method guard; reads what the guard (`res.locals.route`) and sendProblem
 * (`res.locals.problem`) left behind once the response is finished.
 */
export function httpMetrics(metrics: ApiMetrics, ingestRoutes: RouteSpec[]): RequestHandler {
  const ingest = new Set(ingestRoutes.flatMap((r) => r.methods.map((m) => `${m.toUpperCase()} ${r.path}`)));
  // The events of keys without a source (most, in most deployments) are tallied as numbers, reported at scrape time.
  const countBySource = (sourceId: string | undefined, outcome: 'accepted' | 'refused', events: number) => {
    if (sourceId === undefined) metrics.unsourcedEvents[outcome] += events;
    else metrics.sourceEvents.inc({ source: sourceId, outcome }, events);
  };
  return (req, res, next) => {
    const end = metrics.httpDuration.startTimer();
    res.once('finish', () => {
      const route = typeof res.locals['route'] === 'string' ? res.locals['route'] : 'unmatched';
      end({ method: req.method, route, status_code: String(res.statusCode) });
      if (!ingest.has(`${req.method} ${route}`)) return;
      const counted = res.locals[INGESTED_LOCAL] as IngestedCounts | undefined;
      const reason = typeof res.locals['problem'] === 'string' ? res.locals['problem'] : `http-${res.statusCode}`;
      const sourceId = apiKeyOf(res)?.sourceId;
      if (counted !== undefined) {
        if (counted.accepted > 0) metrics.eventsAccepted.inc(counted.accepted);
        if (counted.refused > 0) metrics.eventsRejected.inc({ reason }, counted.refused);
        if (counted.accepted > 0) countBySource(sourceId, 'accepted', counted.accepted);
        if (counted.refused > 0) countBySource(sourceId, 'refused', counted.refused);
      } else if (res.statusCode === 202 || res.statusCode === 200) {
        const events = eventsIn(req);
        metrics.eventsAccepted.inc(events);
        countBySource(sourceId, 'accepted', events);
      } else if (res.statusCode >= 400) {
        const events = eventsIn(req);
        metrics.eventsRejected.inc({ reason }, events);
        countBySource(sourceId, 'refused', events);
      }
    });
    next();
  };
}

/** Prometheus text exposition of this process's registry. */
export function metricsRouter(metrics: ApiMetrics): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
