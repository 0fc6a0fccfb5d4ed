import { setTimeout as sleep } from 'node:timers/promises';
import { ACTIVITIES_COLLECTION, type ActivityInput } from '@uap/shared/contract';
import { MongoClient } from 'mongodb';
import { REFUSED_KEY, makeStoreRefuseMarkedDocuments } from '../../../test/support/store-refusal';
import { check, type ScenarioResult } from '../accounting';
import { LoadDriver } from '../load-driver';
import { clientChecks, type ScenarioKit } from '../scenario-kit';

const EVENTS = 30_000;
/** About one event in this many is one the store refuses. */
const REFUSED_ONE_IN = 200;

/**
 * 6. Under load through the API, a sprinkling of events the contract accepts but the store refuses
 * (PostgreSQL under FerretDB gets a CHECK constraint, as it once refused NUL). Each refused event must
 * land in the DLQ as `store-rejected`, every other accepted event must be stored, and no partition
 * may stall: the worker stays ready and never waits out an "outage" that is really one document.
 */
export async function storeRejects(kit: ScenarioKit): Promise<ScenarioResult> {
  const api = await kit.startApi();
  const worker = await kit.startWorker('worker-1');
  const mongo = await MongoClient.connect(kit.env.services.mongoUrl);
  try {
    kit.notes.push(
      `store refuses metadata.${REFUSED_KEY}: ` +
        (await makeStoreRefuseMarkedDocuments(mongo.db(kit.db), ACTIVITIES_COLLECTION, kit.env.services.postgresUrl)),
    );
  } finally {
    await mongo.close();
  }

  const refused = new Set<string>();
  const client = kit.client(api);
  const load = new LoadDriver(client, {
    eventsPerSecond: 1_500,
    batchSize: 100,
    concurrency: 4,
    maxEvents: EVENTS,
    decorate: (event: ActivityInput) => {
      if (Math.random() * REFUSED_ONE_IN >= 1) return event;
      refused.add(event.eventId!);
      return { ...event, metadata: { ...event.metadata, [REFUSED_KEY]: true } };
    },
  });
  load.start();

  // Readiness sampled throughout: a partition held by one document would show up as stalled.
  let samples = 0;
  let notReady = 0;
  const sampling = (async () => {
    for (let done = false; !done;) {
      done = await Promise.race([load.finished().then(() => true), sleep(500).then(() => false)]);
      const { status } = await worker.readiness().catch(() => ({ status: 0 }));
      samples++;
      if (status !== 200) notReady++;
    }
  })();
  await load.finished();
  await sampling;

  const acceptedRefused = [...refused].filter((id) => client.accepted.has(id));
  // The ledger holds what should be stored; the refused events are accounted for in the DLQ instead.
  const storable = (ids: ReadonlySet<string>) => new Set([...ids].filter((id) => !refused.has(id)));
  const ledger = { sent: storable(client.sent), accepted: storable(client.accepted) };
  const result = await kit.audit(ledger, client.sent.size, acceptedRefused.length, [
    ...clientChecks(client),
    check('no unplanned worker exits', kit.unexpectedExits === 0, `${kit.unexpectedExits} unplanned exits`),
  ]);
  // After the drain every letter is on the topic; this reads up to its end.
  const letters = await kit.env.inspector.readDeadLetters(kit.dlqTopic, 60_000);
  const lettered = new Map(letters.map((l) => [l.eventId, l.reason]));
  const missing = acceptedRefused.filter((id) => lettered.get(id) !== 'store-rejected');
  const stats = await kit.workerStats(worker);
  result.checks.push(
    check(
      'each refused event dead-lettered as store-rejected',
      acceptedRefused.length > 0 && missing.length === 0 && letters.length === acceptedRefused.length,
      `${acceptedRefused.length} refused events accepted, ${letters.length} letters, ${missing.length} without a store-rejected letter`,
    ),
    check(
      'no partition stalled',
      notReady === 0 && stats?.retries === 0,
      `worker not ready in ${notReady} of ${samples} samples; ${stats?.retries ?? '?'} outage retries`,
    ),
  );
  kit.notes.push(
    `${refused.size} of ${client.sent.size} events marked for refusal (about 1 in ${REFUSED_ONE_IN}); ` +
      'accepted and persisted count the others',
  );
  return result;
}
