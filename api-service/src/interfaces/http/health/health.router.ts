import { Router } from 'express';
import type { RouteSpec } from '../method-guard.middleware';

/** One named dependency check for /readyz; resolves false (never throws) when the dependency is not usable. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<boolean>;
}

export const HEALTH_ROUTES: RouteSpec[] = [
  { path: '/healthz', methods: ['GET'] },
  { path: '/readyz', methods: ['GET'] },
];

/**
 * /healthz says the process is alive (restart me if not); /readyz says it can do its job right now
 * (send me traffic if so), so it checks the producer and the store.
 */
export function healthRouter(readiness: ReadinessCheck[]): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      readiness.map(async ({ name, check }) => [name, await check().catch(() => false)] as const),
    );
    const ready = results.every(([, ok]) => ok);
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'not-ready',
      checks: Object.fromEntries(results.map(([n, ok]) => [n, ok ? 'up' : 'down'])),
    });
  });
  return router;
}
