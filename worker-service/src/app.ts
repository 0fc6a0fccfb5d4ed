import express, { type Express } from 'express';
import { healthRouter, type HealthDeps } from './interfaces/http/health.router';
import type { WorkerMetrics } from './infrastructure/metrics/worker.metrics';
import { metricsRouter } from './interfaces/http/metrics.router';

export interface AppDeps extends HealthDeps {
  /** Served at GET /metrics when given. */
  metrics?: Pick<WorkerMetrics, 'registry'>;
}

/** The worker's HTTP surface: health probes and metrics. Returned without listening, for tests and main. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(healthRouter(deps));
  if (deps.metrics) app.use(metricsRouter(deps.metrics.registry));
  app.use((req, res) => {
    res.status(404).type('application/problem+json').json({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'The worker serves GET /healthz, GET /readyz and GET /metrics only.',
      instance: req.originalUrl,
    });
  });
  return app;
}
