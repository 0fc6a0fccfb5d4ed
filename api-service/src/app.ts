import cors from 'cors';
import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import type { IngestActivityUseCase } from './application/ingest-activity.use-case';
import type { IngestSegmentUseCase } from './application/ingest-segment.use-case';
import type { QueryActivitiesUseCase } from './application/query-activities.use-case';
import type { UserProfileUseCase } from './application/user-profile.use-case';
import type { DeadLettersUseCase } from './application/dead-letters.use-case';
import type { ReplayDeadLettersUseCase } from './application/replay-dead-letters.use-case';
import type { EraseUserUseCase } from './application/erase-user.use-case';
import type { ActivityStatsUseCase } from './application/activity-stats.use-case';
import type { InsightsUseCase } from './application/insights.use-case';
import type { ManageActivityTypesUseCase } from './application/manage-activity-types.use-case';
import type { ListViolationsUseCase } from './application/list-violations.use-case';
import type { AuditTrailUseCase } from './application/audit-trail.use-case';
import type { ManageAccessUseCase } from './application/manage-access.use-case';
import type { ActivityRecord } from './application/ports/activity-reader.port';
import type { KeyRing } from './domain/access/key-ring';
import { createApiMetrics, type ApiMetrics } from './infrastructure/metrics/api.metrics';
import { activityTypesFeature } from './interfaces/http/activity-types/activity-types.feature';
import { auditFeature } from './interfaces/http/audit/audit.feature';
import { auditTrail } from './interfaces/http/audit/audit.middleware';
import { authFailureLimiter } from './interfaces/http/auth-failure-limit.middleware';
import { apiKeyAuth } from './interfaces/http/auth.middleware';
import { errorHandler } from './interfaces/http/error-handler.middleware';
import type { HttpFeature } from './interfaces/http/http-feature';
import { methodGuard, type RouteSpec } from './interfaces/http/method-guard.middleware';
import { PROBLEMS, requestIdOf, sendProblem } from './interfaces/http/problem';
import { rateLimiter, sourceRateLimiter } from './interfaces/http/rate-limit.middleware';
import type { SourceLookup } from './interfaces/http/request-source';
import { REQUEST_ID_HEADER, requestId } from './interfaces/http/request-id.middleware';
import { buildOpenApiDocument } from './interfaces/http/openapi/openapi.document';
import { dashboardFeature } from './interfaces/http/dashboard/dashboard.feature';
import { deadLettersFeature } from './interfaces/http/dead-letters/dead-letters.feature';
import { docsFeature } from './interfaces/http/docs/docs.feature';
import { erasuresFeature } from './interfaces/http/erasures/erasures.feature';
import type { ExportHttpDeps } from './interfaces/http/export/export.router';
import { exportFeature } from './interfaces/http/export/export.feature';
import { healthFeature } from './interfaces/http/health/health.feature';
import { keysFeature } from './interfaces/http/keys/keys.feature';
import { sourcesFeature } from './interfaces/http/sources/sources.feature';
import type { ReadinessCheck } from './interfaces/http/health/health.router';
import type { BodyLimits } from './interfaces/http/ingest/activities.router';
import { ACTIVITY_INGEST_ROUTES } from './interfaces/http/ingest/activities.router';
import { ingestFeature } from './interfaces/http/ingest/ingest.feature';
import { segmentFeature } from './interfaces/http/segment/segment.feature';
import { SEGMENT_ROUTES } from './interfaces/http/segment/segment.router';
import { httpMetrics } from './interfaces/http/metrics/metrics.middleware';
import { metricsFeature } from './interfaces/http/metrics/metrics.feature';
import { queriesFeature } from './interfaces/http/queries/queries.feature';
import { CONSISTENCY_HEADERS, type ReceiptsHttpDeps } from './interfaces/http/receipts/receipts.router';
import { receiptsFeature } from './interfaces/http/receipts/receipts.feature';
import { statsFeature } from './interfaces/http/stats/stats.feature';
import { insightsFeature } from './interfaces/http/insights/insights.feature';
import { STREAM_PATH, type StreamHttpDeps } from './interfaces/http/stream/activity-stream.router';
import { streamFeature } from './interfaces/http/stream/stream.feature';
import { violationsFeature } from './interfaces/http/violations/violations.feature';
import { whoamiFeature } from './interfaces/http/whoami/whoami.feature';

export interface AppConfig {
  /** Express `trust proxy`: decides which address `req.ip` (and so `context.ip`) reports. */
  trustProxy: boolean | number | string[];
  bodyLimits: BodyLimits;
  retryAfterSeconds: number;
  /** API keys, rate limit and CORS; absent means all off (unit tests of other concerns). */
  security?: SecurityConfig;
}

export interface SecurityConfig {
  /**
   * The keys accepted (bootstrap and runtime, from the access catalog; staticKeyRing(entries) for API_KEYS alone);
   * 'disabled' only when main decided so (development without keys, or AUTH_DISABLED) and logged it.
   */
  apiKeys: KeyRing | 'disabled';
  /** Served without a key and never rate limited: probes, metrics, docs. */
  publicPaths: readonly string[];
  rateLimit: { windowMs: number; max: number };
  /** Locks out an address after `limit` answers 401 within `windowMs`; absent (or limit 0): no lockout. */
  authFailureLimit?: { limit: number; windowMs: number };
  /**
   * The sources keys are bound to, from the access catalog at request time: their policy (paused, allowed types,
   * rate limit) applies to the keys' requests. Absent: a key's sourceId is stamped on its events, no policy applies.
   */
  sourceOf?: SourceLookup;
  /** Allowed browser origins; empty = no CORS headers at all. */
  corsOrigins: readonly string[];
}

export interface AppDeps {
  logger: Logger;
  ingest: IngestActivityUseCase;
  /** The Segment HTTP Tracking API (/v1, ingest scope); optional so tests of other concerns need not wire it. */
  segment?: IngestSegmentUseCase;
  /** The read endpoints; optional so ingest-only tests need no reader (the method guard then refuses GETs). */
  queries?: QueryActivitiesUseCase;
  /** A user's profile (GET /api/v1/users/{userId}), served with the reads; optional like them. */
  profiles?: UserProfileUseCase;
  /** The dead-letter index and its replays (admin scope); optional like the reads. */
  deadLetters?: { deadLetters: DeadLettersUseCase; replays: ReplayDeadLettersUseCase };
  /** Receipts, freshness and read-your-writes; optional like the reads. */
  receipts?: ReceiptsHttpDeps;
  /** The live stream (SSE) and its tickets. */
  stream?: StreamHttpDeps;
  /** Erasing a user's activities (admin scope). */
  erasures?: EraseUserUseCase;
  /** The streamed export (read scope); optional like the reads. */
  exports?: ExportHttpDeps;
  /** Counts per bucket and type (read scope); optional like the reads. */
  stats?: ActivityStatsUseCase;
  /** Active users, top values and funnels (read scope); optional like the reads. */
  insights?: InsightsUseCase;
  /** The activity type registry's API (reads: read scope; changes: admin scope). */
  activityTypes?: ManageActivityTypesUseCase;
  /** The stored events the registry let in unplanned or flagged (read scope); optional like the reads. */
  violations?: ListViolationsUseCase;
  /** The audit trail: records the routes' declared admin actions, and GET /api/v1/audit (admin scope). */
  audit?: AuditTrailUseCase;
  /** Keys and sources managed at runtime (admin scope); absent: API_KEYS alone, no /api/v1/keys or /sources. */
  access?: ManageAccessUseCase;
  readiness: ReadinessCheck[];
  config: AppConfig;
  /**
   * Prometheus series on the process registry (main); absent means a fresh registry of this app's own.
   * 'off' (METRICS_ENABLED=false): no GET /metrics and no per-request instrumentation.
   */
  metrics?: ApiMetrics | 'off';
}

/**
 * The HTTP features this app serves, in mount order: an optional dependency left out leaves its feature
 * out, routes and document included. Order matters where paths overlap: the stream, receipts' read
 * middleware, export and stats come before the reads, whose /api/v1/activities/:eventId would take them, and the
 * violations listing before the activity types.
 */
export function appFeatures(
  deps: AppDeps,
  metrics: ApiMetrics | undefined,
  sourceLimit?: RequestHandler,
): HttpFeature[] {
  const { config } = deps;
  const sourceOf = config.security?.sourceOf;
  const apiKeys = config.security !== undefined && config.security.apiKeys !== 'disabled';
  const receipts = deps.receipts?.receipts;
  const features: HttpFeature[] = [
    healthFeature(deps.readiness),
    ...(metrics ? [metricsFeature(metrics)] : []),
    // Rebuilt when the registry moved: the ingest bodies are documented from it.
    docsFeature({
      build: () => buildOpenApiDocument(features, { apiKeys }),
      revision: () => deps.ingest.types.position,
    }),
    dashboardFeature(),
    whoamiFeature({ authentication: apiKeys ? 'api-key' : 'disabled' }),
    ingestFeature(deps.ingest, config.bodyLimits, sourceOf),
    // The source limit again where a body's writeKey names the key, after the app-level middleware ran.
    ...(deps.segment ? [segmentFeature(deps.segment, { sourceOf, afterWriteKey: sourceLimit })] : []),
    ...(deps.stream ? [streamFeature(deps.stream)] : []),
    ...(deps.receipts ? [receiptsFeature(deps.receipts)] : []),
    ...(deps.exports ? [exportFeature({ ...deps.exports, logger: deps.logger })] : []),
    ...(deps.stats ? [statsFeature(deps.stats)] : []),
    ...(deps.insights ? [insightsFeature(deps.insights)] : []),
    ...(deps.queries
      ? [
          queriesFeature(deps.queries, {
            ...(receipts ? { receiptOf: (record: ActivityRecord) => receipts.receiptOf(record) } : {}),
            ...(deps.profiles ? { profiles: deps.profiles } : {}),
          }),
        ]
      : []),
    ...(deps.deadLetters ? [deadLettersFeature(deps.deadLetters)] : []),
    ...(deps.erasures ? [erasuresFeature(deps.erasures)] : []),
    ...(deps.audit ? [auditFeature(deps.audit)] : []),
    ...(deps.access ? [keysFeature(deps.access), sourcesFeature(deps.access)] : []),
    // Before the registry's, whose /api/v1/activity-types/:name would take /api/v1/activity-types/violations.
    ...(deps.violations ? [violationsFeature(deps.violations)] : []),
    ...(deps.activityTypes ? [activityTypesFeature(deps.activityTypes)] : []),
  ];
  return features;
}

/** Every route the app serves; the method guard and the OpenAPI tests both read this list. */
export function appRoutes(deps: AppDeps): RouteSpec[] {
  return appFeatures(deps, metricsOf(deps)).flatMap((feature) => feature.routes);
}

function metricsOf(deps: AppDeps): ApiMetrics | undefined {
  return deps.metrics === 'off' ? undefined : (deps.metrics ?? createApiMetrics());
}

/** Builds the HTTP app without listening, so tests drive it with supertest and main.ts owns the socket. */
export function createApp(deps: AppDeps): Express {
  const { config } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);

  const metrics = metricsOf(deps);
  const sourceOf = config.security?.sourceOf;
  const sourceLimit = sourceOf ? sourceRateLimiter(sourceOf) : undefined;
  const features = appFeatures(deps, metrics, sourceLimit);

  app.use(requestId());
  if (metrics) app.use(httpMetrics(metrics, [...ACTIVITY_INGEST_ROUTES, ...SEGMENT_ROUTES]));
  app.use(
    pinoHttp({
      logger: deps.logger.child({ component: 'http' }),
      genReqId: (_req, res) => requestIdOf(res as express.Response),
      // Probes run every few seconds; logging them would drown the request log.
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      // One line per request on the hot path: the default serializers write every header twice
      // (~1.3 KB a line), which cost more CPU than validating the event. Keep what support needs.
      serializers: {
        req: (req: {
          id: unknown;
          method: string;
          url: string;
          remoteAddress?: string;
          headers: Record<string, unknown>;
        }) => ({
          id: req.id,
          method: req.method,
          // A stream ticket in the URL is a credential: it never reaches the log.
          url: req.url.replace(/([?&]ticket=)[^&]*/g, '$1[redacted]'),
          remoteAddress: req.remoteAddress,
          userAgent: req.headers['user-agent'],
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(helmet());
  const security = config.security;
  // Before the method guard, which would answer a CORS preflight (OPTIONS) with 405.
  if (security && security.corsOrigins.length > 0) {
    app.use(
      cors({
        origin: security.corsOrigins.includes('*') ? '*' : [...security.corsOrigins],
        methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
        allowedHeaders: [
          'Authorization',
          'X-API-Key',
          'Content-Type',
          'If-Match',
          'If-None-Match',
          REQUEST_ID_HEADER,
          CONSISTENCY_HEADERS.token,
          CONSISTENCY_HEADERS.maxWait,
          // RudderStack's JavaScript SDK sends the visitor's id in this header too (the body has it as well).
          'AnonymousId',
        ],
        exposedHeaders: [
          REQUEST_ID_HEADER,
          'Retry-After',
          'RateLimit',
          'RateLimit-Policy',
          'Location',
          'ETag',
          CONSISTENCY_HEADERS.stale,
          CONSISTENCY_HEADERS.lag,
          CONSISTENCY_HEADERS.watermark,
        ],
        maxAge: 600,
      }),
    );
  }
  // Every route the app serves; the guard answers 404/405 for everything else before any router runs.
  app.use(methodGuard(features.flatMap((feature) => feature.routes)));
  // Before authorize, so that a 403 is recorded too; it records once the answer is out (the key is known by then).
  const audit = deps.audit;
  if (audit) {
    app.use(
      auditTrail({
        routes: features.flatMap((feature) => feature.routes),
        record: (entry) => audit.record(entry),
        requireKey: config.security !== undefined && config.security.apiKeys !== 'disabled',
        logger: deps.logger,
        ...(metrics ? { onWriteFailure: () => metrics.auditWriteFailures.inc() } : {}),
      }),
    );
  }
  if (security) {
    const tickets = deps.stream?.tickets;
    const auth = apiKeyAuth({
      apiKeys: security.apiKeys,
      publicPaths: security.publicPaths,
      writeKeyPaths: features.flatMap((feature) => feature.writeKeyPaths ?? []),
      ...(tickets ? { tickets: { path: STREAM_PATH, redeem: (ticket: string) => tickets.redeem(ticket) } } : {}),
    });
    app.use(auth.identify);
    // Right after identify: a locked-out address is refused before anything else runs; it counts final 401s.
    if (security.apiKeys !== 'disabled') {
      app.use(
        authFailureLimiter({
          ...(security.authFailureLimit ?? { limit: 0, windowMs: 60_000 }),
          exemptPaths: security.publicPaths,
          ...(metrics ? { metrics } : {}),
        }),
      );
    }
    app.use(rateLimiter({ ...security.rateLimit, exemptPaths: security.publicPaths }));
    if (sourceLimit) app.use(sourceLimit);
    app.use(auth.authorize);
  }

  for (const feature of features) feature.mount(app);

  // The method guard answers unknown paths; this only catches what a router declined, so it never is express's HTML 404.
  app.use((req, res) => sendProblem(req, res, PROBLEMS.notFound, `No route for ${req.method} ${req.path}`));
  app.use(errorHandler({ logger: deps.logger, retryAfterSeconds: config.retryAfterSeconds }));
  return app;
}
