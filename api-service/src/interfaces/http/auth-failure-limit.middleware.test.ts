import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { createApp, type SecurityConfig } from '../../app';
import { IngestActivityUseCase } from '../../application/ingest-activity.use-case';
import { QueryActivitiesUseCase } from '../../application/query-activities.use-case';
import { staticKeyRing } from '../../domain/access/key-ring';
import { hashApiKey, parseApiKeys } from '../../domain/api-key';
import { createApiMetrics } from '../../infrastructure/metrics/api.metrics';
import { InMemoryActivityReader } from '../../testing/in-memory-activity.reader';
import { TEST_APP_CONFIG, TEST_INGEST_CONFIG, TEST_RECEIPTS } from '../../testing/test-app';
import { authFailureLimiter } from './auth-failure-limit.middleware';

const GOOD = 'key-read';
const { entries } = parseApiKeys(`${hashApiKey(GOOD)}:read`);
const SECURE: SecurityConfig = {
  apiKeys: staticKeyRing(entries),
  publicPaths: ['/healthz'],
  rateLimit: { windowMs: 60_000, max: 0 },
  corsOrigins: [],
};
const READ = '/api/v1/activities';

function appWith(authFailureLimit?: SecurityConfig['authFailureLimit']) {
  const metrics = createApiMetrics();
  const app = createApp({
    logger: pino({ level: 'silent' }),
    metrics,
    ingest: new IngestActivityUseCase(TEST_INGEST_CONFIG, {
      publisher: { publish: async () => [] },
      receipts: TEST_RECEIPTS,
    }),
    queries: new QueryActivitiesUseCase({ reader: new InMemoryActivityReader([]) }),
    readiness: [],
    // The client address comes from X-Forwarded-For, so one test can speak from several.
    config: {
      ...TEST_APP_CONFIG,
      trustProxy: true,
      security: { ...SECURE, ...(authFailureLimit ? { authFailureLimit } : {}) },
    },
  });
  return { app, metrics };
}

const from = (address: string) => ({ 'X-Forwarded-For': address });

async function fail(app: express.Express, address: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    await request(app).get(READ).set(from(address)).set('X-API-Key', `guess-${i}`).expect(401);
  }
}

describe('failed-auth limiter', () => {
  it('when an address reaches the limit of 401s, then its next requests get 429 with Retry-After, valid key or not', async () => {
    const { app, metrics } = appWith({ limit: 3, windowMs: 60_000 });
    await fail(app, '203.0.113.7', 3);

    for (const headers of [{ 'X-API-Key': 'guess' }, { 'X-API-Key': GOOD }, {}]) {
      const res = await request(app).get(READ).set(from('203.0.113.7')).set(headers).expect(429);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(59);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(res.body).toMatchObject({ status: 429, type: 'urn:uap:problem:too-many-requests' });
    }
    expect(await metrics.registry.getSingleMetricAsString('uap_auth_lockouts_total')).toContain(
      'uap_auth_lockouts_total 1',
    );
  });

  it('when one address is locked out, then other addresses and the public paths are not', async () => {
    const { app } = appWith({ limit: 3, windowMs: 60_000 });
    await fail(app, '203.0.113.7', 3);

    await request(app).get(READ).set(from('203.0.113.8')).set('X-API-Key', GOOD).expect(200);
    await request(app).get(READ).set(from('203.0.113.8')).set('X-API-Key', 'guess').expect(401);
    await request(app).get('/healthz').set(from('203.0.113.7')).expect(200);
  });

  it('when fewer than the limit fail, then the address keeps being served', async () => {
    const { app } = appWith({ limit: 3, windowMs: 60_000 });
    await fail(app, '203.0.113.7', 2);
    await request(app).get(READ).set(from('203.0.113.7')).set('X-API-Key', GOOD).expect(200);
    await fail(app, '203.0.113.7', 1);
    await request(app).get(READ).set(from('203.0.113.7')).set('X-API-Key', GOOD).expect(429);
  });

  it.each([
    ['the limit is 0', { limit: 0, windowMs: 60_000 }],
    ['no limit is configured', undefined],
  ])('when %s, then no address is ever locked out, and the 401s are still counted by reason', async (_what, limit) => {
    const { app, metrics } = appWith(limit);
    await fail(app, '203.0.113.7', 40);
    await request(app).get(READ).set(from('203.0.113.7')).expect(401);

    await request(app).get(READ).set(from('203.0.113.7')).set('X-API-Key', GOOD).expect(200);
    const series = await metrics.registry.getSingleMetricAsString('uap_auth_failures_total');
    expect(series).toContain('uap_auth_failures_total{reason="unknown"} 40');
    expect(series).toContain('uap_auth_failures_total{reason="missing"} 1');
  });

  it('when the window ends, then the address is served again and counts afresh', async () => {
    let now = 1_000_000;
    const app = express();
    app.use(authFailureLimiter({ limit: 2, windowMs: 10_000, exemptPaths: [], now: () => now }));
    app.get('/api/x', (req, res) => {
      if (req.get('x-api-key') === GOOD) res.json({ ok: true });
      else res.status(401).json({});
    });

    await request(app).get('/api/x').expect(401);
    now += 4_000;
    await request(app).get('/api/x').expect(401);
    const locked = await request(app).get('/api/x').set('X-API-Key', GOOD).expect(429);
    // The window opened with the first failure: 6 s of it are left.
    expect(locked.headers['retry-after']).toBe('6');

    now += 6_000;
    await request(app).get('/api/x').set('X-API-Key', GOOD).expect(200);
    await request(app).get('/api/x').expect(401);
    await request(app).get('/api/x').set('X-API-Key', GOOD).expect(200);
  });

  it('when lockouts end while their addresses stay away, then they are forgotten and a new lockout still counts', async () => {
    let now = 1_000_000;
    const app = express();
    app.set('trust proxy', true);
    app.use(authFailureLimiter({ limit: 2, windowMs: 10_000, exemptPaths: [], now: () => now }));
    app.get('/api/x', (req, res) => {
      if (req.get('x-api-key') === GOOD) res.json({ ok: true });
      else res.status(401).json({});
    });
    const call = (address: string, key?: string) => {
      const req = request(app).get('/api/x').set(from(address));
      return key === undefined ? req : req.set('X-API-Key', key);
    };
    for (const address of ['10.0.0.1', '10.0.0.2']) {
      await call(address).expect(401);
      await call(address).expect(401);
      await call(address, GOOD).expect(429);
    }

    now += 10_000;
    await call('10.0.0.3', GOOD).expect(200);
    await call('10.0.0.1').expect(401);
    await call('10.0.0.1').expect(401);
    await call('10.0.0.1', GOOD).expect(429);
    await call('10.0.0.2', GOOD).expect(200);
  });
});
