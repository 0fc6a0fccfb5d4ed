import express, { type Express } from 'express';
import { healthRouter, type HealthDeps } from './interfaces/http/health.router';

export type AppDeps = HealthDeps;

/** The worker's HTTP surface: health probes only. Returned without listening, for tests and main. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(healthRouter(deps));
  app.use((req, res) => {
    res.status(404).type('application/problem+json').json({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'The worker serves GET /healthz and GET /readyz only.',
      instance: req.originalUrl,
    });
  });
  return app;
}
