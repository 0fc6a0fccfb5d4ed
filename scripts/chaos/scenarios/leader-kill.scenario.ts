import { setTimeout as sleep } from 'node:timers/promises';
import { waitUntil } from '../../../test/support/wait-until';
import { check, type ScenarioResult } from '../accounting';
import { busiestLeader } from '../kafka-inspector';
import { firstAcceptedAfter, formatOutcomes, summarizeAttempts } from '../response-stats';
import type { ScenarioKit } from '../scenario-kit';
import { CHAOS_SETTINGS, clientChecks, seconds } from '../scenario-kit';

/** How long the cluster keeps running on two brokers after 202s resume, before the victim returns. */
const DEGRADED_MS = 10_000;

/**
 * 7 (issue 18's scenario 6). On a 3-broker cluster (RF 3, min ISR 2) SIGKILL the leader of the busiest
 * partition under load. Until the controller fences it and elects new leaders from the ISR, publishes
 * to its partitions cannot be acknowledged: the API answers 503 within its bound, nothing else. Then
 * 202s resume with the broker still dead (two in-sync replicas satisfy min ISR), and every 202'd
 * event is stored exactly once.
 */
export async function leaderKill(kit: ScenarioKit): Promise<ScenarioResult> {
  const { client, load, replication } = await kit.clusterUnderLoad(6_000);

  const before = await kit.env.inspector.partitions(kit.topic);
  const victim = busiestLeader(before);
  const killedAt = Date.now();
  await kit.env.services.killKafka(victim.node);
  const resumedAt = await waitUntil('202s to resume', () => firstAcceptedAfter(client.attempts, killedAt), {
    timeoutMs: 90_000,
    intervalMs: 100,
  }).catch(() => undefined);
  await sleep(DEGRADED_MS);
  const after = await kit.env.inspector.partitions(kit.topic).catch(() => []);
  const restartAt = Date.now();
  await kit.env.services.startKafka(victim.node);
  const catchUpMs = await kit.waitFullyReplicated();
  await sleep(3_000);
  await load.stop();

  const election = summarizeAttempts(client.attempts, { from: killedAt, to: resumedAt ?? restartAt });
  const degraded = summarizeAttempts(client.attempts, { from: (resumedAt ?? restartAt) + 1, to: restartAt });
  const bound = CHAOS_SETTINGS.publishTimeoutMs + CHAOS_SETTINGS.latencyMarginMs;
  const max503 = summarizeAttempts(client.attempts).maxLatency.get('503') ?? 0;
  const onlyRetriable = [...election.byOutcome.keys()].every((o) => o === '503' || o === '202');
  kit.notes.push(
    `killed node ${victim.node} (SIGKILL), leader of partitions ${victim.leads.join(', ')}; messages per partition then: ${before.map((p) => `${p.partition}:${p.messages}`).join(' ')}`,
    resumedAt === undefined
      ? 'no 202 for a request started after the kill while the broker was down'
      : `202s resumed ${seconds(resumedAt - killedAt)} after the kill (first 202 to a request started after it)`,
    `requests started between the kill and that 202: ${formatOutcomes(election)}`,
    `with node ${victim.node} still dead, for ${seconds(restartAt - (resumedAt ?? restartAt))}: ${formatOutcomes(degraded)}; leaders then ${after.map((p) => `${p.partition}→${p.leader}`).join(' ')}, ISR sizes ${after.map((p) => p.isr.length).join(' ')}`,
    catchUpMs === undefined
      ? `node ${victim.node} restarted but the ISR was not full again within 90 s`
      : `node ${victim.node} restarted and back in every ISR ${seconds(catchUpMs)} later`,
    `worker exits (restarted as an orchestrator would): ${kit.unexpectedExits}`,
  );

  return kit.audit(client, client.sent.size, 0, [
    ...replication,
    check('202s resume with a broker dead', resumedAt !== undefined, 'a request started after the kill got 202'),
    check(
      'accepting on two brokers',
      (degraded.byOutcome.get('202') ?? 0) > 0,
      `while node ${victim.node} stayed dead: ${formatOutcomes(degraded)}`,
    ),
    check('only 503s during the election', onlyRetriable, formatOutcomes(election)),
    check('503 is fast', max503 <= bound, `slowest 503 ${max503.toFixed(0)} ms, bound ${bound} ms`),
    check('replicas in sync again', catchUpMs !== undefined, `after node ${victim.node} restarted`),
    ...clientChecks(client),
  ]);
}
