import cors from 'cors';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import type { IngestActivityUseCase } from './application/ingest-activity.use-case';
import type { QueryActivitiesUseCase } from './application/query-activities.use-case';
import type { DeadLettersUseCase } from './application/dead-letters.use-case';
import type { ReplayDeadLettersUseCase } from './application/replay-dead-letters.use-case';
import { DEAD_LETTER_ROUTES, deadLettersRouter } from './interfaces/http/dead-letters.router';
import type { EraseUserUseCase } from './application/erase-user.use-case';
import { ERASURE_ROUTES, erasuresRouter } from './interfaces/http/erasures.router';
import {
  STREAM_PATH,
  STREAM_ROUTES,
  activityStreamRouter,
  type StreamHttpDeps,
} from './interfaces/http/activity-stream.router';
import {
  RECEIPT_ROUTES,
  CONSISTENCY_HEADERS,
  readFreshness,
  receiptsRouter,
  type ReceiptsHttpDeps,
} from './interfaces/http/receipts.router';
import { ACTIVITY_INGEST_ROUTES, activitiesRouter, type BodyLimits } from './interfaces/http/activities.router';
import type { ApiKeyEntry } from './domain/api-key';
import { apiKeyAuth } from './interfaces/http/auth.middleware';
import { ACTIVITY_QUERY_ROUTES, activityQueriesRouter } from './interfaces/http/activity-queries.router';
import { EXPORT_ROUTES, exportRouter, type ExportHttpDeps } from './interfaces/http/export.router';
import type { ActivityStatsUseCase } from './application/activity-stats.use-case';
import { STATS_ROUTES, activityStatsRouter } from './interfaces/http/activity-stats.router';
import { errorHandler } from './interfaces/http/error-handler.middleware';
import { HEALTH_ROUTES, healthRouter, type ReadinessCheck } from './interfaces/http/health.router';
import { methodGuard, type RouteSpec } from './interfaces/http/method-guard.middleware';
import { PROBLEMS, requestIdOf, sendProblem } from './interfaces/http/problem';
import { DOCS_ROUTES, docsRouter } from './interfaces/http/docs.router';
import { DASHBOARD_ROUTES, dashboardRouter } from './interfaces/http/dashboard.router';
import { WHOAMI_ROUTES, whoamiRouter } from './interfaces/http/whoami.router';
import { httpMetrics, METRICS_ROUTES, metricsRouter } from './interfaces/http/metrics.middleware';
import { buildOpenApiDocument } from './interfaces/http/openapi.document';
import { createApiMetrics, type ApiMetrics } from './infrastructure/metrics/api.metrics';
import { rateLimiter } from './interfaces/http/rate-limit.middleware';
import { REQUEST_ID_HEADER, requestId } from './interfaces/http/request-id.middleware';

export interface AppConfig {
  /** Express `trust proxy`: decides which address `req.ip` (and so `context.ip`) reports. */
  trustProxy: boolean | number | string[];
  bodyLimits: BodyLimits;
  retryAfterSeconds: number;
  /** API keys, rate limit and CORS; absent means all off (unit tests of other concerns). */
  security?: SecurityConfig;
}

export interface SecurityConfig {
  /** 'disabled' only when main decided so (development without keys, or AUTH_DISABLED) and logged it. */
  apiKeys: readonly ApiKeyEntry[] | 'disabled';
  /** Served without a key and never rate limited: probes, metrics, docs. */
  publicPaths: readonly string[];
  rateLimit: { windowMs: number; max: number };
  /** Allowed browser origins; empty = no CORS headers at all. */
  corsOrigins: readonly string[];
}

export interface AppDeps {
  logger: Logger;
  ingest: IngestActivityUseCase;
  /** The read endpoints; optional so ingest-only tests need no reader (the method guard then refuses GETs). */
  queries?: QueryActivitiesUseCase;
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
  readiness: ReadinessCheck[];
  config: AppConfig;
  /**
   * Prometheus series on the process registry (main); absent means a fresh registry of this app's own.
   * 'off' (METRICS_ENABLED=false): no GET /metrics and no per-request instrumentation.
   */
  metrics?: ApiMetrics | 'off';
}

/** Every route the app serves; the method guard and the OpenAPI test both read this list. */
export function appRoutes(
  deps: Pick<AppDeps, 'queries' | 'deadLetters' | 'receipts' | 'stream' | 'erasures' | 'exports' | 'stats' | 'metrics'>,
): RouteSpec[] {
  return [
    ...HEALTH_ROUTES,
    ...(deps.metrics === 'off' ? [] : METRICS_ROUTES),
    ...DOCS_ROUTES,
    ...DASHBOARD_ROUTES,
    ...WHOAMI_ROUTES,
    ...ACTIVITY_INGEST_ROUTES,
    ...(deps.exports ? EXPORT_ROUTES : []),
    ...(deps.stats ? STATS_ROUTES : []),
    ...(deps.queries ? ACTIVITY_QUERY_ROUTES : []),
    ...(deps.deadLetters ? DEAD_LETTER_ROUTES : []),
    ...(deps.receipts ? RECEIPT_ROUTES : []),
    ...(deps.stream ? STREAM_ROUTES : []),
    ...(deps.erasures ? ERASURE_ROUTES : []),
  ];
}

/** Builds the HTTP app without listening, so tests drive it with supertest and main.ts owns the socket. */
export function createApp(deps: AppDeps): Express {
  const { config } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);

  // Every route the app serves; the guard answers 404/405 for everything else before any router runs.
  const routes = appRoutes(deps);
  const metrics = deps.metrics === 'off' ? undefined : (deps.metrics ?? createApiMetrics());

  app.use(requestId());
  if (metrics) app.use(httpMetrics(metrics, ACTIVITY_INGEST_ROUTES));
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
        methods: ['GET', 'HEAD', 'POST', 'DELETE'],
        allowedHeaders: [
          'Authorization',
          'X-API-Key',
          'Content-Type',
          REQUEST_ID_HEADER,
          CONSISTENCY_HEADERS.token,
          CONSISTENCY_HEADERS.maxWait,
        ],
        exposedHeaders: [
          REQUEST_ID_HEADER,
          'Retry-After',
          'RateLimit',
          'RateLimit-Policy',
          'Location',
          CONSISTENCY_HEADERS.stale,
          CONSISTENCY_HEADERS.lag,
          CONSISTENCY_HEADERS.watermark,
        ],
        maxAge: 600,
      }),
    );
  }
  app.use(methodGuard(routes));
  if (security) {
    const tickets = deps.stream?.tickets;
    const auth = apiKeyAuth({
      apiKeys: security.apiKeys,
      publicPaths: security.publicPaths,
      ...(tickets ? { tickets: { path: STREAM_PATH, redeem: (ticket: string) => tickets.redeem(ticket) } } : {}),
    });
    app.use(auth.identify);
    app.use(rateLimiter({ ...security.rateLimit, exemptPaths: security.publicPaths }));
    app.use(auth.authorize);
  }

  app.use(healthRouter(deps.readiness));
  if (metrics) app.use(metricsRouter(metrics));
  app.use(
    docsRouter(
      buildOpenApiDocument({
        ingest: deps.ingest,
        bodyLimits: config.bodyLimits,
        queries: deps.queries !== undefined,
        deadLetters: deps.deadLetters !== undefined,
        receipts: deps.receipts !== undefined,
        stream: deps.stream !== undefined,
        erasures: deps.erasures !== undefined,
        exports: deps.exports !== undefined,
        stats: deps.stats !== undefined,
        metrics: metrics !== undefined,
        apiKeys: config.security !== undefined && config.security.apiKeys !== 'disabled',
      }),
    ),
  );
  app.use(dashboardRouter());
  app.use(
    whoamiRouter({
      authentication: config.security && config.security.apiKeys !== 'disabled' ? 'api-key' : 'disabled',
    }),
  );
  app.use('/api/v1/activities', activitiesRouter(deps.ingest, config.bodyLimits));
  // Before the reads: /api/v1/activities/stream would otherwise be taken for an eventId.
  if (deps.stream) app.use(activityStreamRouter(deps.stream));
  if (deps.receipts) {
    app.use(['/api/v1/activities', '/api/v1/users'], readFreshness(deps.receipts));
    app.use(receiptsRouter(deps.receipts));
  }
  // Before the reads too: /api/v1/activities/export and /stats are not eventIds.
  if (deps.exports) app.use(exportRouter({ ...deps.exports, logger: deps.logger }));
  if (deps.stats) app.use(activityStatsRouter(deps.stats));
  if (deps.queries) {
    const receipts = deps.receipts?.receipts;
    app.use(activityQueriesRouter(deps.queries, receipts ? { receiptOf: (record) => receipts.receiptOf(record) } : {}));
  }
  if (deps.deadLetters) app.use(deadLettersRouter(deps.deadLetters));
  if (deps.erasures) app.use(erasuresRouter(deps.erasures));

  // The method guard answers unknown paths; this only catches what a router declined, so it never is express's HTML 404.
  app.use((req, res) => sendProblem(req, res, PROBLEMS.notFound, `No route for ${req.method} ${req.path}`));
  app.use(errorHandler({ logger: deps.logger, retryAfterSeconds: config.retryAfterSeconds }));
  return app;
}
