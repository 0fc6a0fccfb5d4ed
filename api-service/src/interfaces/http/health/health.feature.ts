import { z } from 'zod';
import type { HttpFeature } from '../http-feature';
import { json } from '../openapi/openapi-kit';
import { HEALTH_ROUTES, healthRouter, type ReadinessCheck } from './health.router';

const LivenessSchema = z.strictObject({ status: z.literal('ok') });
const ReadinessSchema = z
  .strictObject({
    status: z.enum(['ready', 'not-ready']),
    checks: z.record(z.string(), z.enum(['up', 'down'])),
  })
  .meta({ id: 'Readiness' });

/** GET /healthz (alive) and GET /readyz (broker and store usable). */
export function healthFeature(readiness: ReadinessCheck[]): HttpFeature {
  return {
    routes: HEALTH_ROUTES,
    mount: (app) => app.use(healthRouter(readiness)),
    document: ({ registry }) => {
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
    },
  };
}
