import { z } from 'zod';
import type { ApiMetrics } from '../../../infrastructure/metrics/api.metrics';
import type { HttpFeature } from '../http-feature';
import { METRICS_ROUTES, metricsRouter } from './metrics.middleware';

/** GET /metrics; the per-request instrumentation (httpMetrics) is mounted by createApp, ahead of every feature. */
export function metricsFeature(metrics: ApiMetrics): HttpFeature {
  return {
    routes: METRICS_ROUTES,
    mount: (app) => app.use(metricsRouter(metrics)),
    document: ({ registry }) => {
      registry.registerPath({
        method: 'get',
        path: '/metrics',
        tags: ['operations'],
        summary: 'Prometheus metrics (text exposition format)',
        responses: { 200: { description: 'Metrics', content: { 'text/plain': { schema: z.string() } } } },
      });
    },
  };
}
