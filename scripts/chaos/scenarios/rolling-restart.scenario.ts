import { setTimeout as sleep } from 'node:timers/promises';
import { check, type ScenarioResult } from '../accounting';
import { formatOutcomes, summarizeAttempts } from '../response-stats';
import type { ScenarioKit } from '../scenario-kit';
import { CHAOS_SETTINGS, clientChecks, seconds } from '../scenario-kit';

const NODES = [1, 2, 3] as const;

/**
 * 9 (issue 18's scenario 8). A rolling restart, as an upgrade does it: one broker at a time is stopped
 * (SIGTERM: controlled shutdown hands its leaderships over), started again, and the next one waits
 * until every replica is back in sync. Under load, nothing 202'd may be lost.
 */
export async function rollingRestart(kit: ScenarioKit): Promise<ScenarioResult> {
  const { client, load, replication } = await kit.clusterUnderLoad(5_000);

  const began = Date.now();
  const steps: string[] = [];
  let allInSync = true;
  for (const node of NODES) {
    const t0 = Date.now();
    await kit.env.services.stopKafka(node);
    const t1 = Date.now();
    await kit.env.services.startKafka(node);
    const t2 = Date.now();
    const catchUpMs = await kit.waitFullyReplicated();
    if (catchUpMs === undefined) allInSync = false;
    const during = summarizeAttempts(client.attempts, { from: t0, to: Date.now() });
    steps.push(
      `node ${node}: stopped in ${seconds(t1 - t0)}, started in ${seconds(t2 - t1)}, ` +
        `${catchUpMs === undefined ? 'ISR NOT full within 90 s' : `ISR full ${seconds(catchUpMs)} later`}; requests: ${formatOutcomes(during)}`,
    );
  }
  const ended = Date.now();
  await sleep(5_000);
  await load.stop();

  const restart = summarizeAttempts(client.attempts, { from: began, to: ended });
  const max503 = summarizeAttempts(client.attempts).maxLatency.get('503') ?? 0;
  const bound = CHAOS_SETTINGS.publishTimeoutMs + CHAOS_SETTINGS.latencyMarginMs;
  kit.notes.push(
    ...steps,
    `whole restart ${seconds(ended - began)}; requests started during it: ${formatOutcomes(restart)}`,
    `worker exits (restarted as an orchestrator would): ${kit.unexpectedExits}`,
  );
  return kit.audit(client, client.sent.size, 0, [
    ...replication,
    check('every broker restarted in turn', allInSync, 'each one back in every ISR before the next stopped'),
    check('accepting during the restart', (restart.byOutcome.get('202') ?? 0) > 0, formatOutcomes(restart)),
    check('503 is fast', max503 <= bound, `slowest 503 ${max503.toFixed(0)} ms, bound ${bound} ms`),
    ...clientChecks(client),
  ]);
}
