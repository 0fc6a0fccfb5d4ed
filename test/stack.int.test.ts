import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { validate } from '@readme/openapi-parser';
import { anActivityInput } from '@uap/shared/testing';
import mongoose from 'mongoose';
import { appRoutes } from '../api-service/src/app';
import { toOpenApiPath } from '../api-service/src/interfaces/http/openapi/openapi-kit';
import { everyFeatureDeps } from '../api-service/src/testing/test-app';
import { storeEnv, requiredEnv, testKafka, uniqueName } from './support/integration';
import { ServiceProcess } from './support/service-process';
import { waitUntil } from './support/wait-until';

const ROOT = join(__dirname, '..');
const PARTITIONS = 3;
const LOADGEN_SECONDS = 3;
const LOADGEN_RATE = 100;

/** Sum of the samples of `name` whose labels include `labels`, from a Prometheus text exposition. */
function sampleOf(exposition: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let found: number | undefined;
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (!Object.entries(labels).every(([k, v]) => present[k] === v)) continue;
    found = (found ?? 0) + Number(match[3]);
  }
  return found;
}

/**
 * The platform as `npm run stack` runs it, minus the shell: the built api and worker as real
 * processes against the shared broker and store, on a topic, group and database of this suite's own,
 * with API keys required as in production.
 */
describe('the stack: api + worker processes', () => {
  const topic = uniqueName('stack');
  const dbName = uniqueName('stack').replace(/-/g, '_');
  const apiKey = randomBytes(24).toString('hex');
  const headers = { 'x-api-key': apiKey };
  let api: ServiceProcess;
  let worker: ServiceProcess;

  const get = async (url: string) => {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  };
  const post = (path: string, body: unknown) =>
    fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  /** Activities in the store, counted by the query API (offset paging reports the total). */
  const storedCount = async (): Promise<number> => {
    const res = await get(`${api.url}/api/v1/activities?page=1&limit=1`);
    if (res.status !== 200) throw new Error(`count query answered ${res.status}: ${res.text}`);
    return (JSON.parse(res.text) as { page: { total: number } }).page.total;
  };
  const scrape = async (service: ServiceProcess) => {
    const res = await get(`${service.url}/metrics`);
    expect(res.status).toBe(200);
    return res.text;
  };

  beforeAll(async () => {
    const shared = {
      KAFKA_BROKERS: requiredEnv('KAFKA_BROKERS'),
      MONGO_URL: requiredEnv('MONGO_URL'),
      MONGO_DB: dbName,
      ACTIVITIES_TOPIC: topic,
      ACTIVITIES_TOPIC_PARTITIONS: String(PARTITIONS),
    };
    api = await ServiceProcess.start('api', 'stack', {
      ...shared,
      ...storeEnv(),
      NODE_ENV: 'production',
      API_KEYS: `${createHash('sha256').update(apiKey).digest('hex')}:ingest+read`,
    });
    await api.waitUntilReady(45_000);
    worker = await ServiceProcess.start('worker', 'stack', {
      ...shared,
      ...storeEnv(),
      DLQ_TOPIC: `${topic}.dlq`,
      CONSUMER_GROUP: uniqueName('stack-group'),
      KAFKA_CLIENT_ID: uniqueName('stack-worker'),
    });
    await worker.waitUntilReady(60_000);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    const admin = testKafka().admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, `${topic}.dlq`], timeout: 5_000 }).catch(() => undefined);
    await admin.disconnect();
    const db = await mongoose.createConnection(requiredEnv('MONGO_URL'), { dbName }).asPromise();
    await db.dropDatabase().catch(() => undefined);
    await db.close();
  }, 60_000);

  it('when /openapi.json is fetched, then it is a valid OpenAPI 3.1 document covering every route, and /docs serves', async () => {
    const res = await get(`${api.url}/openapi.json`);
    expect(res.status).toBe(200);
    const document = JSON.parse(res.text) as { openapi: string; paths: Record<string, Record<string, unknown>> };

    const result = await validate(structuredClone(document) as never);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(document.openapi).toBe('3.1.0');
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    for (const route of appRoutes(everyFeatureDeps())) {
      const path = toOpenApiPath(route.documentedAs ?? route.path);
      for (const method of route.methods) expect(documented).toContain(`${method} ${path}`);
    }
    // Public without a key, as a docs page must be.
    const docs = await fetch(`${api.url}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('/docs/swagger-ui-bundle.js');
  }, 30_000);

  it('when traffic flows, then both /metrics expose the named series and their counters move', async () => {
    const apiBefore = await scrape(api);
    const workerBefore = await scrape(worker);
    for (const name of [
      'uap_http_request_duration_seconds_count',
      'uap_events_accepted_total',
      'process_cpu_seconds_total',
    ]) {
      expect([name, sampleOf(apiBefore, name) !== undefined]).toEqual([name, true]);
    }
    for (const name of [
      'uap_worker_events_persisted_total',
      'uap_worker_events_duplicate_total',
      'uap_worker_batch_size_count',
      'uap_worker_batch_duration_seconds_count',
      'uap_worker_end_to_end_lag_seconds_count',
      'process_cpu_seconds_total',
    ]) {
      expect([name, sampleOf(workerBefore, name) !== undefined]).toEqual([name, true]);
    }
    const stored = await storedCount();

    expect((await post('/api/v1/activities', anActivityInput())).status).toBe(202);
    const batch = await post('/api/v1/activities/batch', { events: [anActivityInput(), anActivityInput()] });
    expect(batch.status).toBe(202);
    expect((await post('/api/v1/activities', { ...anActivityInput(), type: 'NOPE' })).status).toBe(400);
    await waitUntil(
      'the 3 events to be stored',
      async () => ((await storedCount()) === stored + 3 ? true : undefined),
      {
        timeoutMs: 30_000,
        describe: () => worker.tail(),
      },
    );

    const apiAfter = await scrape(api);
    const moved = (text: string, before: string, name: string, labels: Record<string, string> = {}) =>
      (sampleOf(text, name, labels) ?? 0) - (sampleOf(before, name, labels) ?? 0);
    expect(moved(apiAfter, apiBefore, 'uap_events_accepted_total')).toBe(3);
    expect(moved(apiAfter, apiBefore, 'uap_events_rejected_total', { reason: 'validation-failed' })).toBe(1);
    expect(moved(apiAfter, apiBefore, 'uap_kafka_publish_duration_seconds_count', { outcome: 'ok' })).toBe(2);
    expect(
      moved(apiAfter, apiBefore, 'uap_http_request_duration_seconds_count', {
        route: '/api/v1/activities/batch',
        status_code: '202',
      }),
    ).toBe(1);

    const workerAfter = await waitUntil('the worker counters to move', async () => {
      const text = await scrape(worker);
      return moved(text, workerBefore, 'uap_worker_events_persisted_total') === 3 ? text : undefined;
    });
    expect(moved(workerAfter, workerBefore, 'uap_worker_events_duplicate_total')).toBe(0);
    expect(moved(workerAfter, workerBefore, 'uap_worker_batch_size_sum')).toBe(3);
    expect(moved(workerAfter, workerBefore, 'uap_worker_batch_duration_seconds_count')).toBeGreaterThan(0);
    expect(moved(workerAfter, workerBefore, 'uap_worker_end_to_end_lag_seconds_count')).toBeGreaterThan(0);
    // The group committed everything it stored, so every partition reports its lag, and it is 0.
    const lag = await waitUntil('consumer lag 0 on every partition', async () => {
      const text = await scrape(worker);
      const values = Array.from({ length: PARTITIONS }, (_, p) =>
        sampleOf(text, 'uap_worker_consumer_lag', { topic, partition: String(p) }),
      );
      return values.every((v) => v === 0) ? values : undefined;
    });
    expect(lag).toEqual([0, 0, 0]);
  }, 90_000);

  it('when loadgen runs against the stack, then it exits 0 with no errors and every accepted event is stored exactly once', async () => {
    const stored = await storedCount();
    const persistedBefore = sampleOf(await scrape(worker), 'uap_worker_events_persisted_total') ?? 0;

    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(
        'npx',
        [
          'tsx',
          '--tsconfig',
          'tsconfig.test.json',
          'scripts/loadgen/loadgen.ts',
          '--url',
          api.url,
          '--duration',
          String(LOADGEN_SECONDS),
          '--rate',
          String(LOADGEN_RATE),
          '--batch-size',
          '5',
          '--api-key',
          apiKey,
          '--no-progress',
        ],
        { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`loadgen did not finish in time\n${stdout}\n${stderr}`));
      }, 60_000);
      child.once('error', reject);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });

    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    const cell = (label: string) => Number(new RegExp(`\\| ${label}[^|]*\\| (\\d+)`).exec(run.stdout)?.[1]);
    const accepted = cell('accepted \\(202\\)');
    expect(cell('errors')).toBe(0);
    expect(cell('rejected')).toBe(0);
    expect(accepted).toBeGreaterThanOrEqual(LOADGEN_SECONDS * LOADGEN_RATE * 0.5);
    expect(accepted).toBe(cell('events sent'));

    await waitUntil(
      `${accepted} loadgen events in the store`,
      async () => ((await storedCount()) === stored + accepted ? true : undefined),
      { timeoutMs: 60_000, describe: () => worker.tail() },
    );
    // Exactly once: nothing more arrives later, and the worker wrote each event once.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await storedCount()).toBe(stored + accepted);
    const workerText = await scrape(worker);
    expect((sampleOf(workerText, 'uap_worker_events_persisted_total') ?? 0) - persistedBefore).toBe(accepted);
  }, 120_000);
});
