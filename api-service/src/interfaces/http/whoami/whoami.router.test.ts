import pino from 'pino';
import request from 'supertest';
import { createApp, type SecurityConfig } from '../../../app';
import { IngestActivityUseCase } from '../../../application/ingest-activity.use-case';
import { staticKeyRing } from '../../../domain/access/key-ring';
import { hashApiKey, parseApiKeys } from '../../../domain/api-key';
import { InMemoryActivityPublisher } from '../../../testing/in-memory-activity.publisher';
import { TEST_APP_CONFIG, TEST_INGEST_CONFIG, TEST_RECEIPTS } from '../../../testing/test-app';

const KEYS = { ingest: 'whoami-ingest', admin: 'whoami-read-admin' };
const { entries } = parseApiKeys(`${hashApiKey(KEYS.ingest)}:ingest,${hashApiKey(KEYS.admin)}:read+admin`);

function appWith(security?: SecurityConfig) {
  return createApp({
    logger: pino({ level: 'silent' }),
    ingest: new IngestActivityUseCase(TEST_INGEST_CONFIG, {
      publisher: new InMemoryActivityPublisher(),
      receipts: TEST_RECEIPTS,
    }),
    readiness: [],
    config: { ...TEST_APP_CONFIG, ...(security ? { security } : {}) },
  });
}
const secured = appWith({
  apiKeys: staticKeyRing(entries),
  publicPaths: ['/healthz'],
  rateLimit: { windowMs: 60_000, max: 0 },
  corsOrigins: [],
});

describe('GET /api/v1/whoami', () => {
  it.each([
    [KEYS.ingest, ['ingest']],
    [KEYS.admin, ['read', 'admin']],
  ])('when key %s asks, then it learns its scopes and label, never the key', async (key, scopes) => {
    const res = await request(secured).get('/api/v1/whoami').set('Authorization', `Bearer ${key}`).expect(200);

    expect(res.body).toEqual({ authentication: 'api-key', keyId: hashApiKey(key).slice(0, 12), scopes });
    expect(res.text).not.toContain(key);
  });

  it('when no key is sent, then the answer is 200 with no scopes, so a page knows to ask for one', async () => {
    const res = await request(secured).get('/api/v1/whoami').expect(200);
    expect(res.body).toEqual({ authentication: 'api-key', keyId: null, scopes: [] });
  });

  it('when a wrong key is sent, then it is refused like anywhere else (401 problem)', async () => {
    const res = await request(secured).get('/api/v1/whoami').set('X-API-Key', 'not-a-key').expect(401);
    expect(res.type).toBe('application/problem+json');
  });

  it('when a key may ask here, then its missing scopes still refuse it elsewhere (403)', async () => {
    await request(secured).post('/api/v1/activities').set('X-API-Key', KEYS.admin).send({}).expect(403);
  });

  it('when the API runs without keys, then every scope is open', async () => {
    const res = await request(appWith()).get('/api/v1/whoami').expect(200);
    expect(res.body).toEqual({ authentication: 'disabled', keyId: null, scopes: ['ingest', 'read', 'admin'] });
  });

  it('when a query parameter is sent, then it is a 400 problem', async () => {
    await request(secured).get('/api/v1/whoami?scope=admin').set('X-API-Key', KEYS.admin).expect(400);
  });
});
