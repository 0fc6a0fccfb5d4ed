import { setTimeout as sleep } from 'node:timers/promises';
import { check, type ScenarioResult } from '../accounting';
import { LoadDriver } from '../load-driver';
import { formatOutcomes, summarizeAttempts } from '../response-stats';
import type { ScenarioKit } from '../scenario-kit';
import { clientChecks, seconds } from '../scenario-kit';

const OUTAGE_MS = 12_000;

/**
 * 3. Stop the store (FerretDB) for more than 10 s under load. Ingest goes on (it only needs the
 * broker); the worker must hold its uncommitted batch, retry, and resume on its own, without exiting.
 */
export async function storeOutage(kit: ScenarioKit): Promise<ScenarioResult> {
  const api = await kit.startApi();
  const worker = await kit.startWorker('worker-1');
  const client = kit.client(api);
  const load = new LoadDriver(client, { eventsPerSecond: 1_000, batchSize: 100, concurrency: 4 });
  load.start();
  await sleep(5_000);

  const acceptedBefore = client.accepted.size;
  await kit.env.services.stopStore();
  const down = Date.now();
  await sleep(OUTAGE_MS);
  const acceptedDuring = client.accepted.size - acceptedBefore;
  const restarting = Date.now();
  await kit.env.services.startStore();
  await sleep(5_000);
  await load.stop();

  const during = summarizeAttempts(client.attempts, { from: down, to: restarting });
  const result = await kit.audit(client, client.sent.size, 0, [
    check('outage ≥ 10 s', restarting - down >= 10_000, `FerretDB process gone for ${seconds(restarting - down)}`),
    check(
      'ingest went on during the outage',
      acceptedDuring > 0,
      `${acceptedDuring} events accepted while the store was down`,
    ),
    ...clientChecks(client),
  ]);
  const stats = await kit.workerStats(worker);
  result.checks.push(
    check(
      'worker held and resumed',
      worker.isRunning && kit.unexpectedExits === 0 && (stats?.retries ?? 0) > 0,
      `${worker.name} ${worker.isRunning ? 'still running' : 'gone'}, ${stats?.retries ?? '?'} store retries, ${kit.unexpectedExits} unplanned exits`,
    ),
  );
  kit.notes.push(`requests while the store was down: ${formatOutcomes(during)}`);
  return result;
}
