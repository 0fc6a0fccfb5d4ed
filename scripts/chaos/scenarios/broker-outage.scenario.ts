import { setTimeout as sleep } from 'node:timers/promises';
import { waitUntil } from '../../../test/support/wait-until';
import { check, type ScenarioResult } from '../accounting';
import { LoadDriver } from '../load-driver';
import { formatOutcomes, summarizeAttempts } from '../response-stats';
import type { ScenarioKit } from '../scenario-kit';
import { CHAOS_SETTINGS, clientChecks, seconds } from '../scenario-kit';

const OUTAGE_MS = 12_000;

/**
 * 2. Stop the broker for more than 10 s under load. The API must answer 503 within its publish bound
 * (no hang, no other 5xx); the client resends the same batches; every 202'd event must be stored.
 */
export async function brokerOutage(kit: ScenarioKit): Promise<ScenarioResult> {
  const api = await kit.startApi();
  await kit.startWorker('worker-1');
  const client = kit.client(api);
  const load = new LoadDriver(client, { eventsPerSecond: 1_000, batchSize: 100, concurrency: 4 });
  load.start();
  await sleep(5_000);

  const stopping = Date.now();
  await kit.env.services.stopKafka();
  const down = Date.now();
  await sleep(OUTAGE_MS);
  const restarting = Date.now();
  await kit.env.services.startKafka();
  const up = Date.now();
  const recovered = await waitUntil(
    'the API to accept again',
    () => (client.lastAcceptedAt > up ? client.lastAcceptedAt : undefined),
    { timeoutMs: 90_000, intervalMs: 200 },
  ).catch(() => undefined);
  await sleep(5_000);
  await load.stop();

  const outage = summarizeAttempts(client.attempts, { from: stopping, to: up });
  const max503 = summarizeAttempts(client.attempts).maxLatency.get('503') ?? 0;
  const bound = CHAOS_SETTINGS.publishTimeoutMs + CHAOS_SETTINGS.latencyMarginMs;
  kit.notes.push(
    `broker down (process gone) for ${seconds(restarting - down)}; requests started while stopping/down: ${formatOutcomes(outage)}`,
    `slowest 503: ${max503.toFixed(0)} ms (PUBLISH_TIMEOUT_MS ${CHAOS_SETTINGS.publishTimeoutMs}); slowest request during the outage: ${Math.max(0, ...outage.maxLatency.values()).toFixed(0)} ms`,
    recovered === undefined
      ? 'the API never accepted again after the broker returned'
      : `first 202 ${seconds(recovered - up)} after the broker was back`,
    `worker exits during the outage (restarted as an orchestrator would): ${kit.unexpectedExits}`,
  );

  return kit.audit(client, client.sent.size, 0, [
    check('outage ≥ 10 s', restarting - down >= 10_000, `broker process gone for ${seconds(restarting - down)}`),
    check('503 during the outage', (outage.byOutcome.get('503') ?? 0) > 0, formatOutcomes(outage)),
    check('503 is fast', max503 <= bound, `slowest 503 ${max503.toFixed(0)} ms, bound ${bound} ms`),
    check('recovers', recovered !== undefined, 'the API accepts events again once the broker is back'),
    ...clientChecks(client),
  ]);
}
