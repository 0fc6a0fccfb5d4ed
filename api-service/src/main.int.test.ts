import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { anActivityInput } from '@uap/shared/testing';
import type { Admin } from 'kafkajs';
import { requiredEnv, testKafka, uniqueName } from '../../test/support/integration';

const MAIN = join(__dirname, '..', 'dist', 'main.js');
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} not within ${timeoutMs} ms`);
}

function exitOf(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`process did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('api-service as a process (dist/main.js)', () => {
  const kafka = testKafka();
  const topic = uniqueName('api-main');
  let admin: Admin;
  let child: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('when started, then it creates its topic, becomes ready, accepts events, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env['PATH'],
        PORT: String(port),
        LOG_LEVEL: 'info',
        KAFKA_BROKERS: requiredEnv('KAFKA_BROKERS'),
        MONGO_URL: requiredEnv('MONGO_URL'),
        MONGO_DB: uniqueName('api_main').replace(/-/g, '_'),
        ACTIVITIES_TOPIC: topic,
        ACTIVITIES_TOPIC_PARTITIONS: '2',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));

    await waitFor('/readyz 200', async () => (await fetch(`${base}/readyz`)).status === 200, START_TIMEOUT_MS);

    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]!.partitions).toHaveLength(2);
    const accepted = await fetch(`${base}/api/v1/activities`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'main-int-1' },
      body: JSON.stringify(anActivityInput()),
    });
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('x-request-id')).toBe('main-int-1');
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(1);

    child.kill('SIGTERM');
    expect(await exitOf(child, STOP_TIMEOUT_MS)).toBe(0);
    expect(output).toContain('"msg":"stopped"');
    expect(output).toContain('"req":{"id":"main-int-1"');
  });

  it('when SIGTERM arrives mid-request, then that request still gets its 202 and the process exits promptly', async () => {
    const port = await freePort();
    const mid = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env['PATH'],
        PORT: String(port),
        LOG_LEVEL: 'warn',
        KAFKA_BROKERS: requiredEnv('KAFKA_BROKERS'),
        MONGO_URL: requiredEnv('MONGO_URL'),
        ACTIVITIES_TOPIC: topic,
      },
      stdio: 'ignore',
    });
    child = mid;
    await waitFor(
      '/readyz 200',
      async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200,
      START_TIMEOUT_MS,
    );

    // Half a body on the wire makes the request certainly in flight when the signal lands.
    const body = JSON.stringify({ events: [anActivityInput({ userId: 'draining' })] });
    const req = httpRequest({
      port,
      host: '127.0.0.1',
      path: '/api/v1/activities/batch',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    const response = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
    });
    req.write(body.slice(0, 10));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const exited = exitOf(mid, STOP_TIMEOUT_MS);
    const signalledAt = Date.now();
    mid.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    req.end(body.slice(10));

    expect(await response).toBe(202);
    expect(await exited).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(3_000);
  });

  it('when the configuration is invalid, then it exits non-zero naming the variable', async () => {
    const bad = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env['PATH'], MONGO_DB: 'has-dash' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    bad.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

    expect(await exitOf(bad, STOP_TIMEOUT_MS)).toBe(1);
    expect(stderr).toContain('MONGO_DB');
  });
});
