import { ACTIVITIES_COLLECTION, DEAD_LETTERS_COLLECTION, encodeActivityMessage } from '@uap/shared/contract';
import { anActivity, anActivityInput } from '@uap/shared/testing';
import { hashApiKey } from '../api-service/src/domain/api-key';
import { WorkerTestbed } from '../worker-service/src/testing/worker-testbed';
import { requiredEnv, uniqueName } from './support/integration';
import { ServiceProcess } from './support/service-process';
import { waitUntil } from './support/wait-until';
import { WorkerProcess } from './support/worker-process';

const KEY = 'k-lifecycle-int';
const ERASURE_HASH_KEY = 'an-erasure-hash-key-for-the-integration-test';

describe('data lifecycle on the real broker and store', () => {
  const bed = new WorkerTestbed(3);
  const indexerGroup = uniqueName('lifecycle-dli');
  let api: ServiceProcess;
  const workers: WorkerProcess[] = [];
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${api.url}${path}`, { ...init, headers: { 'X-API-Key': KEY, 'Content-Type': 'application/json' } });

  beforeAll(async () => {
    await bed.setUp();
    api = await ServiceProcess.start('api', 'lifecycle-api', {
      KAFKA_BROKERS: requiredEnv('KAFKA_BROKERS'),
      MONGO_URL: requiredEnv('MONGO_URL'),
      MONGO_DB: bed.dbName,
      ACTIVITIES_TOPIC: bed.topic,
      ACTIVITIES_TOPIC_PARTITIONS: String(bed.partitions),
      WORKER_CONSUMER_GROUP: bed.group,
      API_KEYS: `${hashApiKey(KEY)}:ingest+read+admin`,
      NODE_ENV: 'production',
      RECEIPT_SECRET: 'a-secret-for-the-lifecycle-integration-test',
      ERASURE_HASH_KEY,
      FRESHNESS_REFRESH_MS: '100',
      ...(process.env['FERRETDB_POSTGRES_URL'] ? { FERRETDB_POSTGRES_URL: process.env['FERRETDB_POSTGRES_URL'] } : {}),
    });
    await api.waitUntilReady(30_000);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await api?.stop();
    await bed.tearDown();
  });

  it('when a user is erased while their events are still in the topic, then after the worker catches up nothing of theirs is stored, listed or indexed, and others are untouched', async () => {
    const gone = uniqueName('gone');
    const kept = uniqueName('kept');
    const post = (events: object[]) =>
      call('/api/v1/activities/batch', { method: 'POST', body: JSON.stringify({ events }) });
    expect((await post(Array.from({ length: 10 }, () => anActivityInput({ userId: gone })))).status).toBe(202);
    expect((await post(Array.from({ length: 10 }, () => anActivityInput({ userId: kept })))).status).toBe(202);
    // A poison message of the erased user, still in the topic too: its dead letter must not be indexed.
    await bed.produceRaw([{ key: gone, value: JSON.stringify({ ...anActivity({ userId: gone }), type: 'TELEPORT' }) }]);

    const erase = await call(`/api/v1/users/${gone}/activities`, { method: 'DELETE' });
    expect(erase.status).toBe(202);
    const location = erase.headers.get('location')!;
    expect(location).toMatch(/^\/api\/v1\/erasures\/er_/);
    const afterErasure = anActivityInput({ userId: gone });
    expect((await post([afterErasure])).status).toBe(202);

    const worker = await WorkerProcess.start(
      'lifecycle-worker',
      bed.workerEnv({ ERASURE_HASH_KEY, DEAD_LETTER_INDEXER_GROUP: indexerGroup }),
    );
    workers.push(worker);
    await worker.waitUntilReady();
    const done = await waitUntil(
      'the erasure to finish',
      async () => {
        const body = (await (await call(location)).json()) as { state: string; deleted: object };
        return body.state === 'done' ? body : undefined;
      },
      { timeoutMs: 60_000, describe: () => worker.tail() },
    );
    await bed.waitUntilStored([afterErasure.eventId!], 30_000, () => worker.tail());
    await waitUntil(
      'the dead-letter indexer to have read the DLQ',
      async () => {
        const [offsets] = await bed.admin.fetchOffsets({ groupId: indexerGroup, topics: [bed.dlqTopic] });
        return offsets!.partitions.every((p) => Number(p.offset) >= 1) ? true : undefined;
      },
      { timeoutMs: 30_000, describe: () => worker.tail() },
    );

    expect(done).toMatchObject({ deleted: expect.any(Object) });
    const activities = bed.db.collection(ACTIVITIES_COLLECTION);
    expect(
      await activities
        .find({ userId: gone })
        .map((d) => d['eventId'] as string)
        .toArray(),
    ).toEqual([afterErasure.eventId]);
    expect(await activities.countDocuments({ userId: kept })).toBe(10);
    expect(await bed.db.collection(DEAD_LETTERS_COLLECTION).countDocuments({ userId: gone })).toBe(0);
    const list = (await (await call(`/api/v1/users/${gone}/activities`)).json()) as {
      data: Array<{ eventId: string }>;
    };
    expect(list.data.map((a) => a.eventId)).toEqual([afterErasure.eventId]);
    const record = await bed.db.collection('erasures').findOne({});
    expect(JSON.stringify(record)).not.toContain(gone);
  });

  it('when retention is 30 days on FerretDB (a sweeper) or MongoDB (a TTL index), then exactly the older activities go', async () => {
    const old = Array.from({ length: 40 }, () =>
      anActivity({ userId: 'retained', occurredAt: new Date(Date.now() - 40 * 86_400_000).toISOString() }),
    );
    const young = Array.from({ length: 15 }, () =>
      anActivity({ userId: 'retained', occurredAt: new Date(Date.now() - 20 * 86_400_000).toISOString() }),
    );
    await bed.produceRaw([...old, ...young].map((e) => encodeActivityMessage(e)));
    await bed.waitUntilStored([...old, ...young].map((e) => e.eventId));
    const env = bed.workerEnv({
      RETENTION_DAYS: '30',
      RETENTION_SWEEP_INTERVAL_MS: '300',
      RETENTION_SWEEP_CHUNK: '7',
      CONSUMER_GROUP: uniqueName('retention-group'),
      DEAD_LETTER_INDEXER_GROUP: uniqueName('retention-dli'),
    });
    const sweepers = [await WorkerProcess.start('sweeper-1', env), await WorkerProcess.start('sweeper-2', env)];
    workers.push(...sweepers);
    await Promise.all(sweepers.map((s) => s.waitUntilReady()));
    const logs = () => sweepers.map((s) => s.tail(20)).join('\n');
    expect(logs()).toMatch(/retention: (sweeper, one worker at a time|MongoDB TTL index)/);

    const activities = bed.db.collection(ACTIVITIES_COLLECTION);
    await waitUntil(
      'the old activities to be deleted',
      async () => ((await activities.countDocuments({ userId: 'retained' })) === young.length ? true : undefined),
      { timeoutMs: 90_000, describe: logs },
    );
    const left = await activities
      .find({ userId: 'retained' })
      .map((d) => d['eventId'] as string)
      .toArray();
    expect(left.sort()).toEqual(young.map((e) => e.eventId).sort());
  });
});
