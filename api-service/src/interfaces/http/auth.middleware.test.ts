import express from 'express';
import request from 'supertest';
import { hashApiKey, parseApiKeys } from '../../domain/api-key';
import { AccessCatalog } from '../../domain/access/access-catalog';
import type { KeyRing } from '../../domain/access/key-ring';
import { aRevocation, aRuntimeKey, anEnding } from '../../testing/access.fixtures';
import { apiKeyAuth, apiKeyOf } from './auth.middleware';

const T0 = Date.parse('2026-01-02T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const bootstrap = parseApiKeys(`${hashApiKey('boot-key')}:ingest+read`).entries;
const fresh = aRuntimeKey({ scopes: ['read'] });
const expiring = aRuntimeKey({ scopes: ['read'], expiresAt: iso(T0 - 1_000) });
const revoked = aRuntimeKey({ scopes: ['read'] });
const rotated = aRuntimeKey({ scopes: ['read'] });

function catalog(): AccessCatalog {
  const c = new AccessCatalog(bootstrap);
  [
    fresh.record,
    expiring.record,
    revoked.record,
    aRevocation(revoked.id),
    rotated.record,
    anEnding(rotated.id, iso(T0 - 2_000)),
  ].forEach((record, offset) => c.apply(record, offset));
  return c;
}

/** The two auth steps alone, recording what each answered request left in res.locals. */
function appWith(ring: KeyRing, tickets?: { keyId: string | null }) {
  const seen: Array<{ status: number; reason: unknown; keyId: string | undefined }> = [];
  const auth = apiKeyAuth({
    apiKeys: ring,
    publicPaths: ['/healthz'],
    now: () => T0,
    ...(tickets
      ? { tickets: { path: '/api/v1/stream', redeem: () => ({ ok: true as const, keyId: tickets.keyId }) } }
      : {}),
  });
  const app = express();
  app.use((_req, res, next) => {
    res.on('finish', () =>
      seen.push({ status: res.statusCode, reason: res.locals['authFailureReason'], keyId: apiKeyOf(res)?.id }),
    );
    next();
  });
  app.use(auth.identify, auth.authorize);
  app.get(['/api/v1/activities', '/api/v1/stream'], (_req, res) => void res.json({ ok: true }));
  return { app, seen };
}

describe('apiKeyAuth with a key ring', () => {
  it.each([
    ['a bootstrap key', 'boot-key'],
    ['a runtime key', fresh.secret],
  ])('when %s is valid, then the request passes and its use is noted', async (_what, key) => {
    const ring = catalog();
    const uses: string[] = [];
    ring.noteUse = (keyId) => void uses.push(keyId);
    const { app, seen } = appWith(ring);
    await request(app).get('/api/v1/activities').set('Authorization', `Bearer ${key}`).expect(200);
    expect(uses).toEqual([seen[0]!.keyId]);
    expect(seen[0]!.reason).toBeUndefined();
  });

  it.each([
    ['an unknown key', 'nope', 'unknown', /^The API key is not valid$/],
    ['an expired key', expiring.secret, 'expired', new RegExp(`^The API key expired at ${iso(T0 - 1_000)}$`)],
    ['a revoked key', revoked.secret, 'revoked', /^The API key was revoked$/],
    [
      'a rotated key past its grace',
      rotated.secret,
      'rotated',
      new RegExp(`^The API key was rotated and its grace period ended at ${iso(T0 - 2_000)}$`),
    ],
  ])(
    'when %s is presented, then 401 says why, with the same challenge, and the reason is left for the limiter',
    async (_what, key, reason, detail) => {
      const { app, seen } = appWith(catalog());
      const res = await request(app).get('/api/v1/activities').set('X-API-Key', key).expect(401);
      expect(res.body.detail).toMatch(detail);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="api", error="invalid_token"');
      expect(seen).toEqual([{ status: 401, reason, keyId: undefined }]);
    },
  );

  it.each([
    ['no key', 'missing', {}],
    ['the Basic scheme', 'malformed', { Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }],
    ['two different keys', 'malformed', { Authorization: 'Bearer boot-key', 'X-API-Key': fresh.secret }],
  ])('when the request has %s, then 401 with reason %s', async (_what, reason, headers) => {
    const { app, seen } = appWith(catalog());
    await request(app).get('/api/v1/activities').set(headers).expect(401);
    expect(seen[0]!.reason).toBe(reason);
  });

  it('when a stream ticket names a live key by id, then it authenticates as that key', async () => {
    const { app, seen } = appWith(catalog(), { keyId: fresh.id });
    await request(app).get('/api/v1/stream?ticket=t').expect(200);
    expect(seen[0]!.keyId).toBe(fresh.id);
  });

  it('when a stream ticket names a key revoked since, then 401', async () => {
    const { app, seen } = appWith(catalog(), { keyId: revoked.id });
    const res = await request(app).get('/api/v1/stream?ticket=t').expect(401);
    expect(res.body.detail).toBe('The key this ticket was issued for is gone');
    expect(seen[0]!.reason).toBe('unknown');
  });
});
