import { anActivityInput } from '@uap/shared/testing';
import type { Admin } from 'kafkajs';
import { requiredEnv, testKafka, uniqueName } from '../../test/support/integration';
import { ServiceProcess } from '../../test/support/service-process';
import { hashApiKey } from './domain/api-key';

const TIMEOUT_MS = 30_000;

describe('api-service security at start-up (dist/main.js)', () => {
  const kafka = testKafka();
  const topics: string[] = [];
  const children: ServiceProcess[] = [];
  let admin: Admin;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });

  async function start(name: string, env: Record<string, string>): Promise<ServiceProcess> {
    const topic = uniqueName('api-security');
    topics.push(topic);
    const child = await ServiceProcess.start('api', name, {
      KAFKA_BROKERS: requiredEnv('KAFKA_BROKERS'),
      MONGO_URL: requiredEnv('MONGO_URL'),
      MONGO_DB: topic.replace(/-/g, '_'),
      ACTIVITIES_TOPIC: topic,
      ACTIVITIES_TOPIC_PARTITIONS: '1',
      ...env,
    });
    children.push(child);
    return child;
  }

  it(
    'when NODE_ENV=production and no API keys are configured, then it refuses to start with a clear message',
    async () => {
      const run = await start('no-keys', { NODE_ENV: 'production' });
      expect((await run.exitWithin(TIMEOUT_MS)).code).toBe(1);
      expect(run.logs.join('\n')).toContain('API_KEYS: no API keys configured and NODE_ENV=production');
      await expect(fetch(`${run.url}/healthz`)).rejects.toThrow();
    },
    TIMEOUT_MS + 5_000,
  );

  it(
    'when NODE_ENV=production with a key, then ingest needs the key while probes and metrics stay open',
    async () => {
      const key = `key-${uniqueName('k')}`;
      const run = await start('with-key', { NODE_ENV: 'production', API_KEYS: `${hashApiKey(key)}:ingest` });
      const base = run.url;
      await run.waitUntilReady(TIMEOUT_MS);
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
      expect(run.logs.join('\n')).toContain('API keys required');
      expect(run.logs.join('\n')).not.toContain(key);

      expect((await run.stop(TIMEOUT_MS)).code).toBe(0);
    },
    TIMEOUT_MS * 2,
  );

  it(
    'when not in production and no keys are configured, then it starts open and logs a warning',
    async () => {
      const run = await start('dev-open', { NODE_ENV: 'development' });
      await run.waitUntilReady(TIMEOUT_MS);
      expect(run.logs.join('\n')).toMatch(/"level":40.*AUTHENTICATION IS OFF/);
      expect((await fetch(`${run.url}/api/v1/activities`)).status).toBe(200);
      expect((await run.stop(TIMEOUT_MS)).code).toBe(0);
    },
    TIMEOUT_MS * 2,
  );
});
