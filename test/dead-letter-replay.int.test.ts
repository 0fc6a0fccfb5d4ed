import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DEAD_LETTERS_COLLECTION, HEADERS, encodeActivityMessage, type ActivityEvent } from '@uap/shared/contract';
import { anActivity } from '@uap/shared/testing';
import { hashApiKey } from '../api-service/src/domain/api-key';
import { WorkerTestbed } from '../worker-service/src/testing/worker-testbed';
import { requiredEnv, uniqueName } from './support/integration';
import { ServiceProcess } from './support/service-process';
import { waitUntil } from './support/wait-until';
import { WorkerProcess } from './support/worker-process';

interface JobView {
  jobId: string;
  state: string;
  counts: Record<string, number> & { published: number; stillFailing: Record<string, number> };
  samples: unknown[];
}
interface LetterPage {
  data: Array<{ letterId: string }>;
  page: { nextCursor: string; hasMore: boolean };
}

const KEYS = { admin: 'k-admin-replay', read: 'k-read-replay', ingest: 'k-ingest-replay' };

/** Letters as the worker writes them, straight into the DLQ topic (a test is a producer like any other). */
function letter(reason: string, value: string, extraHeaders: Record<string, string> = {}) {
  return {
    key: 'replay-user',
    value,
    headers: {
      [HEADERS.requestId]: 'req-replay',
      [HEADERS.dlqReason]: reason,
      [HEADERS.dlqError]: `refused: ${reason}`,
      [HEADERS.failedAt]: new Date(Date.now() - 60_000).toISOString(),
      ...extraHeaders,
    },
  };
}

describe('dead letters: index, inspect, dry-run and replay on the real broker and store', () => {
  const bed = new WorkerTestbed(3);
  const apis: ServiceProcess[] = [];
  let worker: WorkerProcess;
  let api: ServiceProcess;
  // 600 letters whose events the current contract accepts (an older one refused them), 400 that still fail.
  const passing: ActivityEvent[] = Array.from({ length: 600 }, (_, i) => anActivity({ userId: `replay-${i % 40}` }));

  const startApi = async (name: string) => {
    const started = await ServiceProcess.start('api', name, {
      KAFKA_BROKERS: requiredEnv('KAFKA_BROKERS'),
      MONGO_URL: requiredEnv('MONGO_URL'),
      MONGO_DB: bed.dbName,
      ACTIVITIES_TOPIC: bed.topic,
      ACTIVITIES_TOPIC_PARTITIONS: String(bed.partitions),
      API_KEYS: `${hashApiKey(KEYS.admin)}:admin,${hashApiKey(KEYS.read)}:read,${hashApiKey(KEYS.ingest)}:ingest`,
      NODE_ENV: 'production',
      REPLAY_LEASE_MS: '2000',
      REPLAY_POLL_MS: '300',
    });
    apis.push(started);
    await started.waitUntilReady(30_000);
    return started;
  };
  const call = (path: string, init: RequestInit = {}, key: string | null = KEYS.admin) =>
    fetch(`${api.url}${path}`, {
      ...init,
      headers: { ...(key ? { 'X-API-Key': key } : {}), 'Content-Type': 'application/json', ...init.headers },
    });
  const replay = async (body: object) => {
    const res = await call('/api/v1/dead-letters/replays', { method: 'POST', body: JSON.stringify(body) });
    return {
      status: res.status,
      location: res.headers.get('location'),
      job: (await res.json()) as JobView,
    };
  };
  const job = async (jobId: string) => (await (await call(`/api/v1/dead-letters/replays/${jobId}`)).json()) as JobView;
  const untilEnded = (jobId: string, timeoutMs = 40_000) =>
    waitUntil(
      `replay job ${jobId} to end`,
      async () => {
        const current = await job(jobId).catch(() => undefined);
        return current && current.state !== 'running' ? current : undefined;
      },
      { timeoutMs, intervalMs: 300, describe: () => apis.map((a) => a.tail(10)).join('\n') },
    );
  const letters = () => bed.db.collection(DEAD_LETTERS_COLLECTION);

  beforeAll(async () => {
    await bed.setUp();
    worker = await WorkerProcess.start(
      'replay-worker',
      bed.workerEnv({ DEAD_LETTER_INDEXER_GROUP: uniqueName('dli') }),
    );
    await worker.waitUntilReady();
    api = await startApi('replay-api');
    await bed.producer.send({
      topic: bed.dlqTopic,
      acks: -1,
      messages: [
        ...passing.map((e) => letter('schema-violation', encodeActivityMessage(e).value)),
        ...Array.from({ length: 300 }, (_, i) => letter('invalid-json', `{"broken": ${i}`)),
        ...Array.from({ length: 100 }, () =>
          letter('unknown-schema-version', JSON.stringify({ ...anActivity(), schemaVersion: 7 })),
        ),
      ],
    });
    await waitUntil(
      '1,000 letters indexed',
      async () => ((await letters().countDocuments({})) >= 1_000 ? true : undefined),
      {
        timeoutMs: 60_000,
        describe: () => worker.tail(),
      },
    );
  });
  afterAll(async () => {
    await Promise.all(apis.map((a) => a.stop().catch(() => undefined)));
    await worker?.stop();
    await bed.tearDown();
  });

  it('when keys without the admin scope, or none, ask for dead letters, then they get 403 and 401', async () => {
    expect((await call('/api/v1/dead-letters', {}, KEYS.read)).status).toBe(403);
    expect((await call('/api/v1/dead-letters/stats', {}, KEYS.ingest)).status).toBe(403);
    expect((await call('/api/v1/dead-letters/replays', { method: 'POST', body: '{}' }, KEYS.ingest)).status).toBe(403);
    expect((await call('/api/v1/dead-letters', {}, null)).status).toBe(401);
    expect((await call('/api/v1/dead-letters', {}, 'wrong-key')).status).toBe(401);
  });

  it.each([
    '/api/v1/dead-letters?reason[$ne]=x',
    '/api/v1/dead-letters?reason=$where',
    '/api/v1/dead-letters?status=bogus',
    '/api/v1/dead-letters?limit=0',
    '/api/v1/dead-letters?from=yesterday',
    '/api/v1/dead-letters?cursor=bm9wZQ',
    '/api/v1/dead-letters?unknown=1',
    '/api/v1/dead-letters/not-an-id',
    '/api/v1/dead-letters/replays/rj_nope',
    '/api/v1/dead-letters/stats?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z',
  ])('when the query is hostile (%s), then it is a 400 problem', async (path) => {
    const res = await call(path);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });

  it.each([
    ['an operator in the filter', { filter: { reason: { $ne: 'x' } } }],
    ['an unknown field', { filter: {}, everything: true }],
    ['a negative max', { max: -1 }],
    ['a bad letter id', { filter: { letterIds: ['x'] } }],
  ])('when a replay request has %s, then it is a 400 problem', async (_label, body) => {
    expect((await replay(body)).status).toBe(400);
  });

  it('when the letters are counted, then stats, the list and one letter agree with what was written', async () => {
    const stats = await (await call('/api/v1/dead-letters/stats')).json();
    expect(stats).toMatchObject({
      total: 1_000,
      byReason: { 'schema-violation': 600, 'invalid-json': 300, 'unknown-schema-version': 100 },
      byStatus: { dead: 1_000 },
    });
    const page = (await (await call('/api/v1/dead-letters?reason=invalid-json&limit=100')).json()) as LetterPage;
    expect(page.data).toHaveLength(100);
    expect(page.page.hasMore).toBe(true);
    const next = (await (
      await call(`/api/v1/dead-letters?reason=invalid-json&limit=100&cursor=${page.page.nextCursor}`)
    ).json()) as LetterPage;
    expect(new Set([...page.data, ...next.data].map((l: { letterId: string }) => l.letterId)).size).toBe(200);
    const detail = await (await call(`/api/v1/dead-letters/${page.data[0]!.letterId}`)).json();
    expect(detail).toMatchObject({
      reason: 'invalid-json',
      payload: { kept: true, encoding: 'utf8' },
      key: 'replay-user',
    });
  });

  it('when the CLI asks the real API for stats and a dry run, then it prints the counts and exits 1 for what still fails', () => {
    const dlq = (...args: string[]) =>
      spawnSync(
        join(__dirname, '..', 'node_modules', '.bin', 'tsx'),
        [
          '--tsconfig',
          'tsconfig.test.json',
          'scripts/dlq/dlq.ts',
          ...args,
          '--url',
          api.url,
          '--key',
          KEYS.admin,
          '--json',
        ],
        { cwd: join(__dirname, '..'), encoding: 'utf8', timeout: 60_000 },
      );

    const stats = dlq('stats');
    const dryRun = dlq('replay', '--reason', 'invalid-json', '--dry-run');
    const denied = spawnSync(
      join(__dirname, '..', 'node_modules', '.bin', 'tsx'),
      ['--tsconfig', 'tsconfig.test.json', 'scripts/dlq/dlq.ts', 'stats', '--url', api.url, '--key', KEYS.read],
      { cwd: join(__dirname, '..'), encoding: 'utf8', timeout: 60_000 },
    );

    expect(stats.status).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ total: 1_000, byReason: { 'invalid-json': 300 } });
    expect(dryRun.status).toBe(1);
    expect(JSON.parse(dryRun.stdout)).toMatchObject({
      state: 'done',
      counts: { scanned: 300, stillFailing: { 'invalid-json': 300 } },
    });
    expect(denied.status).toBe(2);
  });

  it('when a dry run covers 1,000 letters of 3 reasons, then it reports exact counts and changes nothing', async () => {
    const started = await replay({ dryRun: true });
    expect(started.status).toBe(202);
    expect(started.location).toBe(`/api/v1/dead-letters/replays/${started.job.jobId}`);

    const ended = await untilEnded(started.job.jobId);

    expect(ended).toMatchObject({
      state: 'done',
      counts: {
        scanned: 1_000,
        wouldPass: 600,
        passed: 600,
        published: 0,
        stillFailing: { 'invalid-json': 300, 'unknown-schema-version': 100 },
      },
    });
    expect(ended.samples).toHaveLength(10);
    expect(await letters().countDocuments({ status: 'dead' })).toBe(1_000);
    expect(await bed.activities.countDocuments({})).toBe(0);
  });

  it('when a replay is killed halfway with its API and resumed by another, then every event is stored exactly once', async () => {
    const started = await replay({ filter: { reason: 'schema-violation' }, ratePerSec: 150 });
    await waitUntil(
      'the replay to be halfway',
      async () => ((await job(started.job.jobId)).counts.published >= 150 ? true : undefined),
      {
        timeoutMs: 30_000,
        intervalMs: 100,
      },
    );
    expect((await replay({ filter: { userId: 'replay-1' } })).status).toBe(409);
    api.kill('SIGKILL');
    await api.exited;

    api = await startApi('replay-api-2');
    const ended = await untilEnded(started.job.jobId);

    expect(ended).toMatchObject({ state: 'done', counts: { scanned: 600, published: 600, stillFailing: {} } });
    await bed.waitUntilStored(
      passing.map((e) => e.eventId),
      60_000,
      () => worker.tail(),
    );
    const counts = await bed.storedCounts(passing.map((e) => e.eventId));
    expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
    expect(await letters().countDocuments({ reason: 'schema-violation', status: 'replayed' })).toBe(600);
  });

  it('when the same letters are replayed a second time, then nothing is stored twice', async () => {
    const again = await replay({ filter: { reason: 'schema-violation', status: ['dead', 'replayed'] } });
    const ended = await untilEnded(again.job.jobId);

    expect(ended.counts).toMatchObject({ published: 600 });
    await waitUntil(
      'the worker to have consumed the second replay',
      async () => {
        const [offsets] = await bed.admin.fetchOffsets({ groupId: bed.group, topics: [bed.topic] });
        const committed = offsets!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
        return committed >= 1_200 ? true : undefined;
      },
      { timeoutMs: 60_000, describe: () => worker.tail() },
    );
    expect(await bed.activities.countDocuments({})).toBe(600);
  });

  it('when a letter came back more often than MAX_REPLAYS, then it is parked and replayed only when asked for by id', async () => {
    const event = anActivity({ userId: 'parked-user' });
    await bed.producer.send({
      topic: bed.dlqTopic,
      acks: -1,
      messages: [letter('store-rejected', encodeActivityMessage(event).value, { [HEADERS.replayCount]: '4' })],
    });
    const parked = await waitUntil(
      'the parked letter',
      () =>
        letters()
          .findOne({ eventId: event.eventId })
          .then((l) => l ?? undefined),
      {
        timeoutMs: 30_000,
      },
    );
    expect(parked).toMatchObject({ status: 'parked', replayCount: 4 });

    const byFilter = await untilEnded((await replay({ filter: { reason: 'store-rejected' } })).job.jobId);
    const byId = await untilEnded((await replay({ filter: { letterIds: [parked['letterId']] } })).job.jobId);

    expect(byFilter.counts).toMatchObject({ scanned: 0, skipped: 1, published: 0 });
    expect(byId.counts).toMatchObject({ scanned: 1, published: 1 });
    await bed.waitUntilStored([event.eventId], 30_000, () => worker.tail());
  });
});
