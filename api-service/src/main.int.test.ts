import { request as httpRequest } from 'node:http';
import { anActivityInput } from '@uap/shared/testing';
import type { Admin } from 'kafkajs';
import { requiredEnv, testKafka, uniqueName } from '../../test/support/integration';
import { ServiceProcess } from '../../test/support/service-process';

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

describe('api-service as a process (dist/main.js)', () => {
  const kafka = testKafka();
  const topic = uniqueName('api-main');
  let admin: Admin;
  let child: ServiceProcess | undefined;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    child?.kill('SIGKILL');
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('when started, then it creates its topic, becomes ready, accepts events, and stops cleanly on SIGTERM', async () => {
    child = await ServiceProcess.start('api', 'main-int', {
      KAFKA_BROKERS: requiredEnv('KAFKA_BROKERS'),
      MONGO_URL: requiredEnv('MONGO_URL'),
      MONGO_DB: uniqueName('api_main').replace(/-/g, '_'),
      ACTIVITIES_TOPIC: topic,
      ACTIVITIES_TOPIC_PARTITIONS: '2',
    });
    const base = child.url;
    await child.waitUntilReady(START_TIMEOUT_MS);

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

    expect((await child.stop(STOP_TIMEOUT_MS)).code).toBe(0);
    const output = child.logs.join('\n');
    expect(output).toContain('"msg":"stopped"');
    expect(output).toContain('"req":{"id":"main-int-1"');
  });

  it('when SIGTERM arrives mid-request, then that request still gets its 202 and the process exits 0, before its shutdown deadline forces an exit 1', async () => {
    const mid = await ServiceProcess.start('api', 'main-int-drain', {
      LOG_LEVEL: 'warn',
      KAFKA_BROKERS: requiredEnv('KAFKA_BROKERS'),
      MONGO_URL: requiredEnv('MONGO_URL'),
      ACTIVITIES_TOPIC: topic,
    });
    child = mid;
    const { port } = mid;
    await mid.waitUntilReady(START_TIMEOUT_MS);

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
    const exited = mid.exitWithin(STOP_TIMEOUT_MS);
    mid.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    req.end(body.slice(10));

    expect(await response).toBe(202);
    // Exit 0 is the graceful path: past SHUTDOWN_TIMEOUT_MS (10 s) main exits 1. No wall-clock bound here: on a
    // loaded 2-core machine leaving the consumer groups alone has taken 5 s.
    expect((await exited).code).toBe(0);
  });

  it('when the configuration is invalid, then it exits non-zero naming the variable', async () => {
    const bad = await ServiceProcess.start('api', 'main-int-bad-config', { MONGO_DB: 'has-dash' });

    expect((await bad.exitWithin(STOP_TIMEOUT_MS)).code).toBe(1);
    expect(bad.logs.join('\n')).toContain('MONGO_DB');
  });
});
