import { setTimeout as sleep } from 'node:timers/promises';
import { waitUntil } from '../../../test/support/wait-until';
import { check, type ScenarioResult } from '../accounting';
import { LoadDriver } from '../load-driver';
import type { ServiceProcess } from '../../../test/support/service-process';
import type { ScenarioKit } from '../scenario-kit';
import { clientChecks, seconds } from '../scenario-kit';

const MIN_EVENTS = 50_000;
const KILLS = 5;

/**
 * 1. Under sustained load, kill -9 the only worker five times, each time once it is busy again, and
 * start a new one. The group replays what the dead worker had not committed; the unique eventId
 * index turns the replay into "already stored".
 */
export async function workerSigkill(kit: ScenarioKit): Promise<ScenarioResult> {
  const api = await kit.startApi();
  let worker: ServiceProcess = await kit.startWorker('worker-1');
  const client = kit.client(api);
  const load = new LoadDriver(client, { eventsPerSecond: 1_500, batchSize: 100, concurrency: 4 });
  load.start();

  const kills: string[] = [];
  let killsUnderLoad = 0;
  for (let k = 1; k <= KILLS; k++) {
    // Mid-stream: the current worker has written something and the API is still taking traffic.
    const current = worker;
    await waitUntil(
      `${current.name} to write events`,
      async () => ((await kit.workerStats(current))?.inserted ?? 0) > 0 || undefined,
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    await sleep(500 + Math.random() * 1_500);
    const stats = await kit.workerStats(current);
    const lag = await kit.env.inspector.consumerLag(kit.group, kit.topic).catch(() => NaN);
    await current.crash();
    if (client.lastAcceptedAt > Date.now() - 2_000) killsUnderLoad++;
    kills.push(
      `#${k} ${current.name} after ${stats?.inserted ?? '?'} inserts (${stats?.duplicates ?? '?'} replayed duplicates absorbed), lag ${lag}`,
    );
    worker = await kit.startWorker(`worker-${k + 1}`);
  }

  await waitUntil('the load to reach its minimum', () => (load.eventsStarted >= MIN_EVENTS ? true : undefined), {
    timeoutMs: 120_000,
    intervalMs: 250,
  });
  await load.stop();
  kit.notes.push(`kills: ${kills.join('; ')}`);
  const last = worker;
  const result = await kit.audit(client, client.sent.size, 0, [
    check('sustained load', client.sent.size >= MIN_EVENTS, `${client.sent.size} events sent (minimum ${MIN_EVENTS})`),
    check(
      `${KILLS} SIGKILLs under load`,
      kills.length === KILLS && killsUnderLoad === KILLS,
      `${kills.length} kills, ${killsUnderLoad} while the API was accepting`,
    ),
    ...clientChecks(client),
    check('no unplanned worker exits', kit.unexpectedExits === 0, `${kit.unexpectedExits} unplanned exits`),
    check('last worker survived', last.isRunning, `${last.name} running after ${seconds(Date.now() - kit.startedAt)}`),
  ]);
  kit.notes.push(`${last.name} at the end: ${JSON.stringify(await kit.workerStats(last))}`);
  return result;
}
