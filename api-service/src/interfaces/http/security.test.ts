import { anActivityInput } from '@uap/shared/testing';
import pino from 'pino';
import request from 'supertest';
import { createApp, type SecurityConfig } from '../../app';
import { IngestActivityUseCase } from '../../application/ingest-activity.use-case';
import { QueryActivitiesUseCase } from '../../application/query-activities.use-case';
import { staticKeyRing } from '../../domain/access/key-ring';
import { hashApiKey, parseApiKeys } from '../../domain/api-key';
import { InMemoryActivityPublisher } from '../../testing/in-memory-activity.publisher';
import { InMemoryActivityReader } from '../../testing/in-memory-activity.reader';
import { TEST_APP_CONFIG, TEST_INGEST_CONFIG, TEST_RECEIPTS } from '../../testing/test-app';

const KEYS = { ingest: 'key-ingest-only', read: 'key-read-only', both: 'key-ingest-and-read' };
const { entries } = parseApiKeys(
  `${hashApiKey(KEYS.ingest)}:ingest,${hashApiKey(KEYS.read)}:read,${hashApiKey(KEYS.both)}:ingest+read`,
);

const SECURE: SecurityConfig = {
  apiKeys: staticKeyRing(entries),
  publicPaths: ['/healthz', '/readyz'],
  rateLimit: { windowMs: 60_000, max: 0 },
  corsOrigins: [],
};

function appWith(security: Partial<SecurityConfig> = {}) {
  const publisher = new InMemoryActivityPublisher();
  const app = createApp({
    logger: pino({ level: 'silent' }),
    ingest: new IngestActivityUseCase(TEST_INGEST_CONFIG, { publisher, receipts: TEST_RECEIPTS }),
    queries: new QueryActivitiesUseCase({ reader: new InMemoryActivityReader([]) }),
    readiness: [],
    config: { ...TEST_APP_CONFIG, security: { ...SECURE, ...security } },
  });
  return { app, publisher };
}

const PROBLEM = /^application\/problem\+json/;

describe('API keys over HTTP', () => {
  it.each([
    ['Authorization: Bearer', { Authorization: `Bearer ${KEYS.both}` }],
    ['Authorization with a lower-case scheme', { Authorization: `bearer ${KEYS.both}` }],
    ['X-API-Key', { 'X-API-Key': KEYS.both }],
    ['both headers with the same key', { Authorization: `Bearer ${KEYS.both}`, 'X-API-Key': KEYS.both }],
  ])('when a valid key comes as %s, then ingest is accepted', async (_how, headers) => {
    const { app, publisher } = appWith();
    await request(app).post('/api/v1/activities').set(headers).send(anActivityInput()).expect(202);
    expect(publisher.events).toHaveLength(1);
  });

  it.each([
    ['no key', {}, 'Bearer realm="api"'],
    ['an unknown key', { 'X-API-Key': 'nope' }, 'Bearer realm="api", error="invalid_token"'],
    ['an unknown bearer key', { Authorization: 'Bearer nope' }, 'Bearer realm="api", error="invalid_token"'],
    [
      'the Basic scheme',
      { Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
      'Bearer realm="api", error="invalid_token"',
    ],
    ['a bare key without scheme', { Authorization: KEYS.both }, 'Bearer realm="api", error="invalid_token"'],
    ['Bearer without a key', { Authorization: 'Bearer ' }, 'Bearer realm="api", error="invalid_token"'],
    [
      'two different keys',
      { Authorization: `Bearer ${KEYS.ingest}`, 'X-API-Key': KEYS.read },
      'Bearer realm="api", error="invalid_token"',
    ],
  ])(
    'when the request has %s, then 401 problem+json with a Bearer challenge and nothing is published',
    async (_what, headers, challenge) => {
      const { app, publisher } = appWith();
      const res = await request(app).post('/api/v1/activities').set(headers).send(anActivityInput());
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.headers['www-authenticate']).toBe(challenge);
      expect(res.body).toMatchObject({ status: 401, type: 'urn:uap:problem:unauthorized' });
      expect(JSON.stringify(res.body)).not.toContain(KEYS.both);
      expect(publisher.events).toHaveLength(0);
    },
  );

  it.each([
    ['a read-only key ingesting', 'post', '/api/v1/activities', KEYS.read, 'ingest'],
    ['a read-only key ingesting a batch', 'post', '/api/v1/activities/batch', KEYS.read, 'ingest'],
    ['an ingest-only key listing', 'get', '/api/v1/activities', KEYS.ingest, 'read'],
    ['an ingest-only key reading a user', 'get', '/api/v1/users/alice/activities', KEYS.ingest, 'read'],
  ] as const)('when %s, then 403 problem+json naming the scope', async (_what, method, path, key, scope) => {
    const { app, publisher } = appWith();
    const agent = request(app);
    const res = await agent[method](path)
      .set('X-API-Key', key)
      .send({ events: [anActivityInput()] });
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body.detail).toContain(`"${scope}"`);
    expect(publisher.events).toHaveLength(0);
  });

  it.each([
    ['an ingest-only key ingesting', 'post', '/api/v1/activities', KEYS.ingest, 202],
    ['a read-only key listing', 'get', '/api/v1/activities', KEYS.read, 200],
    ['a read+ingest key listing', 'get', '/api/v1/activities', KEYS.both, 200],
  ] as const)('when %s, then it is allowed', async (_what, method, path, key, status) => {
    const { app } = appWith();
    await request(app)[method](path).set('X-API-Key', key).send(anActivityInput()).expect(status);
  });

  it.each(['/healthz', '/readyz', '/HEALTHZ', '/healthz/'])(
    'when %s is called without a key, then it stays open',
    async (path) => {
      const { app } = appWith();
      await request(app).get(path).expect(200);
    },
  );

  it('when a public path prefix is configured, then its sub-paths are open but look-alike paths are not', async () => {
    const { app } = appWith({ publicPaths: ['/api/v1/users'] });
    await request(app).get('/api/v1/users/alice/activities').expect(200);
    await request(app).get('/api/v1/activities').expect(401);
  });

  it('when auth is disabled, then requests without a key are served', async () => {
    const { app } = appWith({ apiKeys: 'disabled' });
    await request(app).post('/api/v1/activities').send(anActivityInput()).expect(202);
    await request(app).get('/api/v1/activities').expect(200);
  });

  it('when the path is unknown, then 404 comes before auth, as problem+json', async () => {
    const { app } = appWith();
    const res = await request(app).get('/nope').expect(404);
    expect(res.headers['content-type']).toMatch(PROBLEM);
  });
});

describe('rate limit', () => {
  const LIMITED = { rateLimit: { windowMs: 60_000, max: 3 } };

  it('when a key exceeds the limit, then 429 problem+json with Retry-After, and other keys are not affected', async () => {
    const { app, publisher } = appWith(LIMITED);
    for (let i = 0; i < 3; i++) {
      await request(app).post('/api/v1/activities').set('X-API-Key', KEYS.both).send(anActivityInput()).expect(202);
    }
    const res = await request(app).post('/api/v1/activities').set('X-API-Key', KEYS.both).send(anActivityInput());
    expect(res.status).toBe(429);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(res.body).toMatchObject({ status: 429, type: 'urn:uap:problem:too-many-requests' });
    expect(publisher.events).toHaveLength(3);
    await request(app).post('/api/v1/activities').set('X-API-Key', KEYS.ingest).send(anActivityInput()).expect(202);
  });

  it('when requests carry no valid key, then they count against the IP and are limited too', async () => {
    const { app } = appWith(LIMITED);
    for (let i = 0; i < 3; i++) await request(app).post('/api/v1/activities').send({}).expect(401);
    await request(app).post('/api/v1/activities').send({}).expect(429);
  });

  it('when auth is off, then the limit applies per IP', async () => {
    const { app } = appWith({ ...LIMITED, apiKeys: 'disabled' });
    for (let i = 0; i < 3; i++) await request(app).get('/api/v1/activities').expect(200);
    await request(app).get('/api/v1/activities').expect(429);
  });

  it('when probes are called past the limit, then they are exempt', async () => {
    const { app } = appWith(LIMITED);
    for (let i = 0; i < 6; i++) await request(app).get('/healthz').expect(200);
  });

  it('when the limit is 0, then nothing is limited', async () => {
    const { app } = appWith({ rateLimit: { windowMs: 1000, max: 0 }, apiKeys: 'disabled' });
    for (let i = 0; i < 10; i++) await request(app).get('/api/v1/activities').expect(200);
  });
});

describe('CORS and headers', () => {
  it('when CORS is not configured, then no Access-Control headers are sent and preflight gets 405', async () => {
    const { app } = appWith();
    const res = await request(app).get('/healthz').set('Origin', 'https://evil.example');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await request(app).options('/api/v1/activities').set('Origin', 'https://evil.example');
    expect(preflight.status).toBe(405);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('when an origin is allowed, then preflight and responses carry CORS headers for it only', async () => {
    const { app } = appWith({ corsOrigins: ['https://app.example.com'] });
    const preflight = await request(app)
      .options('/api/v1/activities')
      .set('Origin', 'https://app.example.com')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization,content-type');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(preflight.headers['access-control-allow-headers']).toMatch(/Authorization/);
    const other = await request(app).get('/healthz').set('Origin', 'https://evil.example');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('when any response is sent, then there is no X-Powered-By', async () => {
    const { app } = appWith();
    for (const res of [await request(app).get('/healthz'), await request(app).post('/api/v1/activities')]) {
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });
});
