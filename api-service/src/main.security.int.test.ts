import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { anActivityInput } from '@uap/shared/testing';
import type { Admin } from 'kafkajs';
import { requiredEnv, testKafka, uniqueName } from '../../test/support/integration';
import { hashApiKey } from './domain/api-key';

const MAIN = join(__dirname, '..', 'dist', 'main.js');
const TIMEOUT_MS = 30_000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts dist/main.js with a clean environment plus `env`; `output` collects stdout and stderr. */
function start(env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run = { child, output: '' };
  child.stdout.on('data', (chunk: Buffer) => (run.output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (run.output += chunk.toString()));
  return run;
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`process did not exit within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

async function waitReady(base: string): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  while (Date.now() < deadline) {
    const ok = await fetch(`${base}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`not ready within ${TIMEOUT_MS} ms`);
}

describe('api-service security at start-up (dist/main.js)', () => {
  const kafka = testKafka();
  const topics: string[] = [];
  const children: ChildProcess[] = [];
  let admin: Admin;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });

  function serviceEnv(port: number): Record<string, string> {
    const topic = uniqueName('api-security');
    topics.push(topic);
    return {
      PORT: String(port),
      KAFKA_BROKERS: requiredEnv('KAFKA_BROKERS'),
      MONGO_URL: requiredEnv('MONGO_URL'),
      MONGO_DB: topic.replace(/-/g, '_'),
      ACTIVITIES_TOPIC: topic,
      ACTIVITIES_TOPIC_PARTITIONS: '1',
    };
  }

  it(
    'when NODE_ENV=production and no API keys are configured, then it refuses to start with a clear message',
    async () => {
      const port = await freePort();
      const run = start({ ...serviceEnv(port), NODE_ENV: 'production' });
      children.push(run.child);
      expect(await exitOf(run.child)).toBe(1);
      expect(run.output).toContain('API_KEYS: no API keys configured and NODE_ENV=production');
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    },
    TIMEOUT_MS + 5_000,
  );

  it(
    'when NODE_ENV=production with a key, then ingest needs the key while probes and metrics stay open',
    async () => {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const key = `key-${uniqueName('k')}`;
      const run = start({ ...serviceEnv(port), NODE_ENV: 'production', API_KEYS: `${hashApiKey(key)}:ingest` });
      children.push(run.child);
      await waitReady(base);
      const post = (headers: Record<string, string>) =>
        fetch(`${base}/api/v1/activities`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(anActivityInput({ occurredAt: new Date().toISOString() })),
        });

      expect((await post({})).status).toBe(401);
      expect((await post({ authorization: `Bearer ${key}` })).status).toBe(202);
      expect((await fetch(`${base}/api/v1/activities`, { headers: { 'x-api-key': key } })).status).toBe(403);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/metrics`)).status).toBe(200);
      expect(run.output).toContain('API keys required');
      expect(run.output).not.toContain(key);

      run.child.kill('SIGTERM');
      expect(await exitOf(run.child)).toBe(0);
    },
    TIMEOUT_MS * 2,
  );

  it(
    'when not in production and no keys are configured, then it starts open and logs a warning',
    async () => {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const run = start({ ...serviceEnv(port), NODE_ENV: 'development' });
      children.push(run.child);
      await waitReady(base);
      expect(run.output).toMatch(/"level":40.*AUTHENTICATION IS OFF/);
      expect((await fetch(`${base}/api/v1/activities`)).status).toBe(200);
      run.child.kill('SIGTERM');
      expect(await exitOf(run.child)).toBe(0);
    },
    TIMEOUT_MS * 2,
  );
});
