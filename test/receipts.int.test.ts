import { ACTIVITIES_COLLECTION } from '@uap/shared/contract';
import { anActivityInput } from '@uap/shared/testing';
import { hashApiKey } from '../api-service/src/domain/api-key';
import { WorkerTestbed } from '../worker-service/src/testing/worker-testbed';
import { requiredEnv } from './support/integration';
import { ServiceProcess } from './support/service-process';
import { REFUSED_KEY, makeStoreRefuseMarkedDocuments } from './support/store-refusal';
import { waitUntil } from './support/wait-until';
import { WorkerProcess } from './support/worker-process';

const KEY = 'k-receipts-int';

interface ReceiptView {
  status: string;
  behind?: number;
  offset: number;
  partition: number;
  persistedAt?: string;
  storedFrom?: { partition: number; offset: number };
  reason?: string;
  deadLetterId?: string;
}
interface Freshness {
  lag: number;
  watermark: string | null;
  partitions: Array<{ partition: number; committed: number; end: number; lag: number }>;
}

describe('receipts and read freshness on the real broker and store', () => {
  const bed = new WorkerTestbed(3);
  let api: ServiceProcess;
  let worker: WorkerProcess | undefined;

  const call = (path: string, headers: Record<string, string> = {}, init: RequestInit = {}) =>
    fetch(`${api.url}${path}`, {
      ...init,
      headers: { 'X-API-Key': KEY, 'Content-Type': 'application/json', ...headers },
    });
  const post = async (body: object, path = '/api/v1/activities') => {
    const res = await call(path, {}, { method: 'POST', body: JSON.stringify(body) });
    expect(res.status).toBe(202);
    return {
      body: (await res.json()) as Record<string, unknown> & { receipt: string },
      location: res.headers.get('location'),
    };
  };
  const receipt = async (text: string, query = '') =>
    (await (await call(`/api/v1/receipts/${text}${query}`)).json()) as ReceiptView;
  const freshness = async () => (await (await call('/api/v1/freshness')).json()) as Freshness;

  beforeAll(async () => {
    await bed.setUp();
    api = await ServiceProcess.start('api', 'receipts-api', {
      KAFKA_BROKERS: requiredEnv('KAFKA_BROKERS'),
      MONGO_URL: requiredEnv('MONGO_URL'),
      MONGO_DB: bed.dbName,
      ACTIVITIES_TOPIC: bed.topic,
      ACTIVITIES_TOPIC_PARTITIONS: String(bed.partitions),
      WORKER_CONSUMER_GROUP: bed.group,
      FRESHNESS_REFRESH_MS: '100',
      RECEIPT_SECRET: 'a-receipt-secret-for-the-integration-test',
      API_KEYS: `${hashApiKey(KEY)}:ingest+read`,
      NODE_ENV: 'production',
      ...(process.env['FERRETDB_POSTGRES_URL'] ? { FERRETDB_POSTGRES_URL: process.env['FERRETDB_POSTGRES_URL'] } : {}),
    });
    await api.waitUntilReady(30_000);
  });
  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    await bed.tearDown();
  });

  it('when the worker is stopped, then a receipt is pending with the exact count ahead of it, the lag grows and the watermark stops', async () => {
    const userId = 'receipt-user';
    const before = await freshness();
    const first = await post(anActivityInput({ userId }));
    const second = await post(anActivityInput({ userId }));
    const third = await post(anActivityInput({ userId }));
    expect(third.location).toBe(`/api/v1/receipts/${third.body.receipt}`);

    const status = await receipt(third.body.receipt);
    const [a, b] = [await receipt(first.body.receipt), await receipt(second.body.receipt)];
    // Same user, same partition, consecutive offsets; nothing committed, so everything before it is ahead of it.
    expect([a.partition, b.partition]).toEqual([status.partition, status.partition]);
    expect([b.offset - a.offset, status.offset - b.offset]).toEqual([1, 1]);
    expect(status).toMatchObject({ status: 'pending', behind: status.offset });

    await new Promise((resolve) => setTimeout(resolve, 500));
    const later = await freshness();
    expect(later.lag).toBe(before.lag + 3);
    const stopped = later.watermark;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await freshness()).watermark).toBe(stopped);
    const list = await call(`/api/v1/users/${userId}/activities`);
    expect(list.headers.get('x-read-lag')).toBe(String(later.lag));
    expect(list.headers.get('x-read-watermark')).toBe(stopped ?? 'unknown');
  });

  it('when a long-poll cannot get a final status, then it ends on time with the current one', async () => {
    const { body } = await post(anActivityInput());
    const started = Date.now();

    const status = await receipt(body.receipt, '?waitFor=final&timeoutMs=1000');

    expect(status.status).toBe('pending');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it.each([
    ['a forged receipt', 'eyJrIjoiciJ9.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['garbage', 'not-a-receipt'],
  ])('when %s is asked for, then it is a 400 problem', async (_label, text) => {
    const res = await call(`/api/v1/receipts/${text}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect((await call('/api/v1/activities', { 'X-Consistency-Token': text })).status).toBe(400);
  });

  it('when the worker starts, then pending receipts become persisted, a resend is a duplicate and a refused event is dead_lettered', async () => {
    const pendingOne = await post(anActivityInput());
    worker = await WorkerProcess.start('receipts-worker', bed.workerEnv());
    await worker.waitUntilReady();
    expect(await receipt(pendingOne.body.receipt, '?waitFor=final&timeoutMs=10000')).toMatchObject({
      status: 'persisted',
      persistedAt: expect.any(String),
    });

    const input = anActivityInput();
    const original = await post(input);
    await receipt(original.body.receipt, '?waitFor=final&timeoutMs=10000');
    const resend = await post(input);
    const again = await receipt(resend.body.receipt, '?waitFor=final&timeoutMs=10000');
    const first = await receipt(original.body.receipt);
    expect(first.status).toBe('persisted');
    expect(again).toMatchObject({
      status: 'duplicate',
      storedFrom: { partition: first.partition, offset: first.offset },
    });

    await makeStoreRefuseMarkedDocuments(bed.db.db!, ACTIVITIES_COLLECTION);
    const refused = await post(anActivityInput({ metadata: { [REFUSED_KEY]: true } }));
    const lettered = await waitUntil(
      'the refused event’s letter to be indexed',
      async () => {
        const status = await receipt(refused.body.receipt, '?waitFor=final&timeoutMs=2000');
        return status.status === 'dead_lettered' ? status : undefined;
      },
      { timeoutMs: 30_000, describe: () => worker!.tail() },
    );
    expect(lettered).toMatchObject({ reason: 'store-rejected', deadLetterId: expect.stringMatching(/^\d+-\d+$/) });
  });

  it('when a batch’s consistency token is sent with an immediate read, then the read sees the events', async () => {
    const inputs = [anActivityInput({ userId: 'ryw-user' }), anActivityInput({ userId: 'ryw-other' })];
    const { body } = await post({ events: inputs }, '/api/v1/activities/batch');

    const res = await call(`/api/v1/activities/${inputs[1]!.eventId}`, {
      'X-Consistency-Token': body['consistencyToken'] as string,
      'X-Consistency-Max-Wait-Ms': '10000',
    });

    expect(res.status).toBe(200);
    expect(res.headers.get('x-read-stale')).toBe('false');
    expect(((await res.json()) as { eventId: string }).eventId).toBe(inputs[1]!.eventId);
    expect((body['receipts'] as string[]).length).toBe(2);
  });
});
