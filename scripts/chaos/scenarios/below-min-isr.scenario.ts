import { setTimeout as sleep } from 'node:timers/promises';
import { waitUntil } from '../../../test/support/wait-until';
import { check, type ScenarioResult } from '../accounting';
import { firstAcceptedAfter, formatOutcomes, summarizeAttempts } from '../response-stats';
import type { ScenarioKit } from '../scenario-kit';
import { CHAOS_SETTINGS, clientChecks, seconds } from '../scenario-kit';

const OUTAGE_MS = 12_000;
const STOPPED = [2, 3] as const;

/**
 * 8 (issue 18's scenario 7). Stop two of the three brokers under load. One in-sync replica is below
 * min.insync.replicas=2, so the broker refuses writes (NOT_ENOUGH_REPLICAS, or no quorum to elect a
 * leader): the API must answer 503, never 202, to every request started while they are down. After
 * they return, 202s resume, the replicas catch up and every 202'd event is stored.
 */
export async function belowMinIsr(kit: ScenarioKit): Promise<ScenarioResult> {
  const { client, load, replication } = await kit.clusterUnderLoad(5_000);

  const stopping = Date.now();
  for (const node of STOPPED) await kit.env.services.stopKafka(node);
  const down = Date.now();
  await sleep(OUTAGE_MS);
  const restarting = Date.now();
  await kit.env.services.startKafka();
  const up = Date.now();
  const recovered = await waitUntil('202s to resume', () => firstAcceptedAfter(client.attempts, up), {
    timeoutMs: 90_000,
    intervalMs: 200,
  }).catch(() => undefined);
  const catchUpMs = await kit.waitFullyReplicated();
  await sleep(5_000);
  await load.stop();

  const belowIsr = summarizeAttempts(client.attempts, { from: down, to: restarting });
  const stoppingWindow = summarizeAttempts(client.attempts, { from: stopping, to: down });
  const max503 = summarizeAttempts(client.attempts).maxLatency.get('503') ?? 0;
  const bound = CHAOS_SETTINGS.publishTimeoutMs + CHAOS_SETTINGS.latencyMarginMs;
  kit.notes.push(
    `nodes ${STOPPED.join(' and ')} stopped (SIGTERM) in ${seconds(down - stopping)}, requests meanwhile: ${formatOutcomes(stoppingWindow)}`,
    `below min ISR for ${seconds(restarting - down)}; requests started then: ${formatOutcomes(belowIsr)}`,
    `slowest 503: ${max503.toFixed(0)} ms (PUBLISH_TIMEOUT_MS ${CHAOS_SETTINGS.publishTimeoutMs})`,
    recovered === undefined
      ? 'no 202 after the brokers returned'
      : `brokers started in ${seconds(up - restarting)}; first 202 ${seconds(recovered - up)} after they were up`,
    catchUpMs === undefined
      ? 'the ISR was not full again within 90 s'
      : `every replica in sync ${seconds(catchUpMs)} after the brokers were up`,
    `worker exits (restarted as an orchestrator would): ${kit.unexpectedExits}`,
  );

  return kit.audit(client, client.sent.size, 0, [
    ...replication,
    check('outage ≥ 10 s', restarting - down >= 10_000, `two brokers down for ${seconds(restarting - down)}`),
    check(
      'never 202 below min ISR',
      (belowIsr.byOutcome.get('202') ?? 0) === 0,
      `requests started with one broker left: ${formatOutcomes(belowIsr)}`,
    ),
    check('503 below min ISR', (belowIsr.byOutcome.get('503') ?? 0) > 0, formatOutcomes(belowIsr)),
    check('503 is fast', max503 <= bound, `slowest 503 ${max503.toFixed(0)} ms, bound ${bound} ms`),
    check('recovers', recovered !== undefined && catchUpMs !== undefined, '202s again and every replica in sync'),
    ...clientChecks(client),
  ]);
}
