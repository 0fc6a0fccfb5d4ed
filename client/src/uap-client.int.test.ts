import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ACTIVITIES_COLLECTION, type ActivityType } from '@uap/shared/contract';
import mongoose, { type Connection } from 'mongoose';
import { storeEnv, requiredEnv, uniqueName } from '../../test/support/integration';
import { PrivateKafka } from '../../test/support/private-kafka';
import { ServiceProcess } from '../../test/support/service-process';
import { waitUntil } from '../../test/support/wait-until';
import type { AttemptOutcome } from './retry-policy';
import type { TrackEvent } from './types';
import { UapClient } from './uap-client';

const EVENTS = 10_000;
const USERS = 40;
const TYPES: ActivityType[] = ['PAGE_VIEW', 'CLICK', 'LOGOUT'];

/** The i-th event, without eventId or occurredAt: the SDK sets both. */
const nthEvent = (i: number): TrackEvent => ({
  userId: `sdk-user-${i % USERS}`,
  type: TYPES[i % TYPES.length]!,
  metadata: { n: i },
});

/**
 * The SDK against the real platform: api and worker as processes, on a broker of this suite's own
 * (behind a proxy the test cuts, so the shared broker is never disturbed) and the shared store.
 */
describe('@uap/client on the real api, broker and worker', () => {
  const topic = uniqueName('sdk');
  const dbName = uniqueName('sdk').replace(/-/g, '_');
  const group = uniqueName('sdk-group');
  const apiKey = randomBytes(24).toString('hex');
  let kafka: PrivateKafka;
  let api: ServiceProcess;
  let worker: ServiceProcess;
  let store: Connection;
  const workerRestarts: string[] = [];

  const startWorker = async () => {
    const started = await ServiceProcess.start('worker', 'sdk', {
      KAFKA_BROKERS: kafka.brokers,
      MONGO_URL: requiredEnv('MONGO_URL'),
      MONGO_DB: dbName,
      ACTIVITIES_TOPIC: topic,
      DLQ_TOPIC: `${topic}.dlq`,
      CONSUMER_GROUP: group,
      KAFKA_CLIENT_ID: uniqueName('sdk-worker'),
    });
    await started.waitUntilReady(90_000);
    return started;
  };

  beforeAll(async () => {
    kafka = await PrivateKafka.start('sdk');
    api = await ServiceProcess.start('api', 'sdk', {
      ...storeEnv(),
      KAFKA_BROKERS: kafka.brokers,
      MONGO_DB: dbName,
      ACTIVITIES_TOPIC: topic,
      ACTIVITIES_TOPIC_PARTITIONS: '3',
      WORKER_CONSUMER_GROUP: group,
      NODE_ENV: 'production',
      API_KEYS: `${createHash('sha256').update(apiKey).digest('hex')}:ingest+read`,
      PUBLISH_TIMEOUT_MS: '2000',
      RETRY_AFTER_SECONDS: '1',
      RECEIPT_SECRET: 'a-receipt-secret-for-the-sdk-integration-test',
      LOG_LEVEL: 'warn',
    });
    await api.waitUntilReady(90_000);
    worker = await startWorker();
    store = await mongoose.createConnection(requiredEnv('MONGO_URL'), { dbName }).asPromise();
  }, 300_000);

  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await store?.dropDatabase().catch(() => undefined);
    await store?.close();
    await kafka?.stop();
  }, 120_000);

  const activities = () => store.collection(ACTIVITIES_COLLECTION);

  it('when 10,000 events go through track() with a broker outage in the middle, then every one is stored exactly once', async () => {
    const outcomes: { outcome: AttemptOutcome; at: number }[] = [];
    const acceptedIds = new Set<string>();
    const problems: unknown[] = [];
    const drops: string[] = [];
    const client = new UapClient({
      baseUrl: api.url,
      apiKey,
      flushAt: 250,
      flushIntervalMs: 200,
      maxInFlight: 2,
      maxQueueSize: 2 * EVENTS,
      retry: { baseDelayMs: 200, maxDelayMs: 2_000, maxAttempts: 1_000, giveUpAfterMs: 180_000 },
      onAttempt: (attempt) => outcomes.push({ outcome: attempt.outcome, at: Date.now() }),
      onAccepted: (_, response) => response?.eventIds.forEach((id) => acceptedIds.add(id)),
      onError: (rejection) => problems.push(rejection.problem),
      onDrop: (events, reason) => drops.push(`${events.length} ${reason}`),
    });
    const tracked: string[] = [];
    const track = (from: number, to: number) => {
      for (let i = from; i < to; i++) tracked.push(client.track(nthEvent(i))!);
    };

    track(0, 4_000);
    await waitUntil('half the first events to be accepted', () =>
      client.stats().accepted >= 2_000 ? true : undefined,
    );
    kafka.cut();
    const cutAt = Date.now();
    track(4_000, 7_000);
    await waitUntil(
      'the api to refuse during the outage',
      () => (outcomes.filter((o) => o.at > cutAt && o.outcome !== 202).length >= 3 ? true : undefined),
      { timeoutMs: 30_000 },
    );
    await sleep(Math.max(0, cutAt + 6_000 - Date.now()));
    const duringOutage = outcomes.filter((o) => o.at > cutAt).map((o) => o.outcome);
    kafka.restore();
    const restoredAt = Date.now();
    track(7_000, EVENTS);
    await client.shutdown(180_000);

    expect({ problems, drops }).toEqual({ problems: [], drops: [] });
    expect(client.stats()).toMatchObject({ tracked: EVENTS, accepted: EVENTS, rejected: 0, dropped: 0, queued: 0 });
    expect(new Set(tracked).size).toBe(EVENTS);
    expect([...acceptedIds].sort()).toEqual([...tracked].sort());
    // The outage was real: attempts failed, and every one of those batches was resent until accepted.
    expect(duringOutage.filter((o) => o !== 202).length).toBeGreaterThanOrEqual(3);
    expect(client.stats().retries).toBeGreaterThanOrEqual(3);
    const tally = new Map<AttemptOutcome, number>();
    for (const outcome of duringOutage) tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
    console.info(
      `broker cut for ${restoredAt - cutAt} ms; attempts started during the cut: ${[...tally].map(([o, n]) => `${o}×${n}`).join(' ')}; ` +
        `stats ${JSON.stringify(client.stats())}`,
    );

    // A worker whose consumer gave up during the outage is restarted, as an orchestrator would.
    if (!worker.isRunning) {
      workerRestarts.push(worker.tail(5));
      worker = await startWorker();
    }
    await waitUntil(
      'the worker to store every event',
      async () => ((await activities().countDocuments()) >= EVENTS ? true : undefined),
      { timeoutMs: 180_000, intervalMs: 1_000, describe: () => worker.tail() },
    );
    await sleep(2_000); // a late duplicate would land now
    const total = await activities().countDocuments();
    const distinct = (await activities().distinct('eventId')) as string[];
    expect({ total, distinct: distinct.length }).toEqual({ total: EVENTS, distinct: EVENTS });
    expect(distinct.sort()).toEqual([...tracked].sort());
    const { body } = await worker.readiness();
    console.info(`worker after the run: ${JSON.stringify((body as { stats?: unknown }).stats)}`);
  }, 420_000);

  it('when the SDK walks every page, then it yields exactly the stored activities, in small pages or large ones', async () => {
    const client = new UapClient({ baseUrl: api.url, apiKey });
    const walked: string[] = [];
    for await (const activity of client.list({ limit: 97 })) walked.push(activity.eventId);
    const stored = (await activities().distinct('eventId')) as string[];

    expect(walked.length).toBe(stored.length);
    expect(new Set(walked).size).toBe(walked.length);
    expect([...walked].sort()).toEqual(stored.sort());

    // A filtered walk in small pages equals the same walk in the largest pages, and the store's rows.
    const filter = { userId: 'sdk-user-7', type: ['CLICK', 'PAGE_VIEW'] as ActivityType[], sort: 'asc' as const };
    const walk = async (limit: number) => {
      const ids: string[] = [];
      for await (const activity of client.list({ ...filter, limit })) ids.push(activity.eventId);
      return ids;
    };
    const small = await walk(9);
    const inStore = (await activities().distinct('eventId', {
      userId: filter.userId,
      type: { $in: filter.type },
    })) as string[];
    expect(small).toEqual(await walk(100));
    expect([...small].sort()).toEqual(inStore.sort());
    expect(small.length).toBeGreaterThan(100);
  }, 120_000);

  it('when events are tracked while the SDK follows the live stream, then the stream yields them', async () => {
    const client = new UapClient({ baseUrl: api.url, apiKey, flushAt: 1 });
    const controller = new AbortController();
    const live = client.stream({ userId: 'sdk-live' }, { signal: controller.signal });
    const first = live.next();
    // The subscription starts with the request; keep tracking until one of ours comes through.
    const tracked = new Set<string>();
    const ticker = setInterval(() => tracked.add(client.track({ userId: 'sdk-live', type: 'CLICK' })!), 300);
    try {
      const message = await Promise.race([
        first,
        sleep(30_000).then(() => {
          throw new Error('no activity on the stream within 30 s');
        }),
      ]);
      expect(message.done).toBe(false);
      expect(message.value).toMatchObject({ kind: 'activity', activity: { userId: 'sdk-live', type: 'CLICK' } });
      expect(tracked.has((message.value as { activity: { eventId: string } }).activity.eventId)).toBe(true);
    } finally {
      clearInterval(ticker);
      controller.abort();
      await live.return(undefined);
      await client.shutdown();
    }
  }, 60_000);

  it('when an event is tracked, then its receipt waits to a final status and get() finds it', async () => {
    const receipts: string[] = [];
    const client = new UapClient({
      baseUrl: api.url,
      apiKey,
      onAccepted: (_, response) => receipts.push(...(response?.receipts ?? [])),
    });
    const eventId = client.track({ userId: 'sdk-receipt', type: 'LOGIN' })!;
    await client.shutdown();

    const status = await client.receipt(receipts[0]!, { waitFor: 'final', timeoutMs: 10_000 });
    expect(status).toMatchObject({ eventId, status: 'persisted' });
    expect(await client.get(eventId)).toMatchObject({ eventId, userId: 'sdk-receipt', type: 'LOGIN' });
    expect((await client.freshness()).topic).toBe(topic);
    if (workerRestarts.length > 0) console.warn(`worker restarted after the outage:\n${workerRestarts.join('\n')}`);
  }, 60_000);
});
