import { waitUntil } from '../../../test/support/wait-until';
import { check, type ScenarioResult } from '../accounting';
import { LoadDriver } from '../load-driver';
import type { ScenarioKit } from '../scenario-kit';
import { clientChecks } from '../scenario-kit';

const EVENTS = 30_000;
const WORKERS = 3;

/**
 * 5. Three workers share a six-partition topic; one is SIGKILLed mid-stream and not replaced. Its
 * partitions move to the other two after the session timeout, and they replay what it had not committed.
 */
export async function rebalance(kit: ScenarioKit): Promise<ScenarioResult> {
  const api = await kit.startApi();
  const workers = await Promise.all(Array.from({ length: WORKERS }, (_, i) => kit.startWorker(`worker-${i + 1}`)));
  const client = kit.client(api);
  const load = new LoadDriver(client, { eventsPerSecond: 1_500, batchSize: 100, concurrency: 4, maxEvents: EVENTS });
  load.start();

  const victim = workers[1]!;
  await waitUntil(
    `${victim.name} to be mid-stream`,
    async () =>
      load.eventsStarted >= EVENTS * 0.4 && ((await kit.workerStats(victim))?.inserted ?? 0) > 0 ? true : undefined,
    { timeoutMs: 90_000, intervalMs: 250 },
  );
  const before = await Promise.all(workers.map((w) => kit.workerStats(w)));
  const lag = await kit.env.inspector.consumerLag(kit.group, kit.topic).catch(() => NaN);
  await victim.crash();
  await load.finished();

  const survivors = workers.filter((w) => w !== victim);
  const after = await Promise.all(survivors.map((w) => kit.workerStats(w)));
  kit.notes.push(
    `inserted per worker when ${victim.name} was killed: ${before.map((s, i) => `${workers[i]!.name} ${s?.inserted ?? '?'}`).join(', ')}; lag then ${lag}`,
    `survivors once the load ended: ${after.map((s, i) => `${survivors[i]!.name} ${s?.inserted ?? '?'} inserted, ${s?.duplicates ?? '?'} replayed duplicates absorbed`).join('; ')}`,
  );
  return kit.audit(client, client.sent.size, 0, [
    check(
      'all three workers consumed',
      before.every((s) => (s?.inserted ?? 0) > 0),
      'every worker had written events before the kill',
    ),
    check(
      'survivors kept running',
      survivors.every((w) => w.isRunning) && kit.unexpectedExits === 0,
      `${kit.unexpectedExits} unplanned exits`,
    ),
    ...clientChecks(client),
  ]);
}
