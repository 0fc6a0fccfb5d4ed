import { Router } from 'express';

export interface HealthDeps {
  hasJoinedGroup: () => boolean;
  pingStore: () => Promise<void>;
  stats: () => object;
  /**
   * The group's partitions whose committed offset has not moved past the stall threshold while they have
   * lag, whichever member owns them; any makes the worker not ready.
   */
  stalledPartitions: () => object[];
  /** The chunks this process is recording now: where a stall in this process would sit. */
  chunksInHand: () => object[];
  /**
   * Whether this replica's activity type catalog is current (read to the registry's end within the lease). A
   * stale one keeps checking raw producers' events with what it has: reported here and in the metrics, but it
   * does not make the worker not ready, which is about consuming and writing.
   */
  activityTypes?: () => { current: boolean; position: number; confirmedAgoMs: number | undefined };
  pingTimeoutMs?: number;
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Liveness says the process answers; readiness says it is consuming and can write. */
export function healthRouter(deps: HealthDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const consumer = deps.hasJoinedGroup() ? 'joined' : 'not-joined';
    let store = 'ok';
    try {
      await withTimeout(deps.pingStore(), deps.pingTimeoutMs ?? 2_000);
    } catch (err) {
      store = `unavailable: ${(err as Error).message}`;
    }
    const stalled = deps.stalledPartitions();
    const ready = consumer === 'joined' && store === 'ok' && stalled.length === 0;
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'not-ready',
      consumer,
      store,
      stalled,
      ...(deps.activityTypes ? { activityTypes: deps.activityTypes() } : {}),
      inHand: deps.chunksInHand(),
      stats: deps.stats(),
    });
  });
  return router;
}
