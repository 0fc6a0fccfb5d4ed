import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../../app';
import { AuditTrailUseCase } from '../../../application/audit-trail.use-case';
import { IngestActivityUseCase } from '../../../application/ingest-activity.use-case';
import { ManageAccessUseCase } from '../../../application/manage-access.use-case';
import { hashApiKey, parseApiKeys } from '../../../domain/api-key';
import { InMemoryAccessRegistry } from '../../../testing/in-memory-access.registry';
import { InMemoryAuditLog } from '../../../testing/in-memory-audit.log';
import { TEST_APP_CONFIG, TEST_INGEST_CONFIG, TEST_RECEIPTS } from '../../../testing/test-app';

const PATH = '/api/v1/keys';
const KEYS = { admin: 'key-admin-for-tests', read: 'key-read-only-for-tests' };
const { entries } = parseApiKeys(`${hashApiKey(KEYS.admin)}:ingest+read+admin,${hashApiKey(KEYS.read)}:read`);
const [ADMIN, READER] = [entries[0]!, entries[1]!];
const logger = pino({ level: 'silent' });

/** Lets the audit records made after each answer land (they follow the answer, off the request path). */
const settled = () => new Promise((resolve) => setImmediate(resolve));

function setUp(options: { corsOrigins?: string[] } = {}) {
  const registry = new InMemoryAccessRegistry(entries);
  const auditLog = new InMemoryAuditLog();
  const app = createApp({
    logger,
    ingest: new IngestActivityUseCase(TEST_INGEST_CONFIG, {
      publisher: { publish: async () => [] },
      receipts: TEST_RECEIPTS,
    }),
    access: new ManageAccessUseCase({ rotationGraceSeconds: 3600 }, { registry }),
    audit: new AuditTrailUseCase({ retentionDays: 0 }, { log: auditLog, logger }),
    readiness: [],
    config: {
      ...TEST_APP_CONFIG,
      security: {
        apiKeys: registry.catalog,
        publicPaths: ['/healthz'],
        rateLimit: { windowMs: 60_000, max: 0 },
        corsOrigins: options.corsOrigins ?? [],
      },
    },
  });
  const as = (key: string) => ({
    get: (path: string) => request(app).get(path).set('Authorization', `Bearer ${key}`),
    post: (path: string, body: unknown = {}) =>
      request(app)
        .post(path)
        .set('Authorization', `Bearer ${key}`)
        .send(body as object),
    delete: (path: string) => request(app).delete(path).set('Authorization', `Bearer ${key}`),
  });
  return { app, registry, auditLog, admin: as(KEYS.admin), as };
}

type Created = { key: { id: string; [field: string]: unknown }; secret: string; inForceBy: string };

describe('POST /api/v1/keys', () => {
  it('when an admin creates a key, then 201 carries the secret once, uncached, with Location', async () => {
    const { admin, as } = setUp();

    const res = await admin.post(PATH, { label: 'ops console', scopes: ['read', 'admin'] }).expect(201);

    const body = res.body as Created;
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['location']).toBe(`${PATH}/${body.key.id}`);
    expect(body.secret).toMatch(/^uapk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(body.key).toMatchObject({
      prefix: `uapk_${body.key.id}`,
      label: 'ops console',
      scopes: ['read', 'admin'],
      origin: 'runtime',
      createdBy: { keyId: ADMIN.id, label: 'API_KEYS #1' },
      status: 'active',
    });
    expect(body.key).not.toHaveProperty('hash');
    expect(Date.parse(body.inForceBy)).not.toBeNaN();
    // In force on this replica as soon as the answer comes: the new key reads the list, without its secret.
    const list = await as(body.secret).get(PATH).expect(200);
    expect(list.headers['cache-control']).not.toBe('no-store');
    expect(JSON.stringify(list.body)).not.toContain(body.secret);
  });

  it.each([
    // An unknown field is the document's error (strict body), named in the message.
    ['an unknown field', { label: 'x', scopes: ['read'], admin: true }, '(root)'],
    ['no label', { scopes: ['read'] }, 'label'],
    ['an empty label', { label: '', scopes: ['read'] }, 'label'],
    ['a label with a control character', { label: 'a\nb', scopes: ['read'] }, 'label'],
    ['a label of 101 characters', { label: 'x'.repeat(101), scopes: ['read'] }, 'label'],
    ['no scope', { label: 'x', scopes: [] }, 'scopes'],
    ['a scope twice', { label: 'x', scopes: ['read', 'read'] }, 'scopes.1'],
    ['an unknown scope', { label: 'x', scopes: ['root'] }, 'scopes.0'],
    ['a source id that is not kebab case', { label: 'x', scopes: ['read'], sourceId: 'Web' }, 'sourceId'],
    ['an expiry without an offset', { label: 'x', scopes: ['read'], expiresAt: '2030-01-01T00:00:00' }, 'expiresAt'],
  ])('when the body has %s, then it is a 400 naming that field', async (_label, body, path) => {
    const { admin, registry } = setUp();

    const res = await admin.post(PATH, body).expect(400);

    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((res.body as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).toContain(path);
    expect(registry.log).toEqual([]);
  });

  it('when expiresAt is in the past, then it is a 400 naming the rule key-expiry', async () => {
    const { admin } = setUp();

    const res = await admin.post(PATH, { label: 'x', scopes: ['read'], expiresAt: '2020-01-01T00:00:00Z' }).expect(400);

    expect(res.body).toMatchObject({ errors: [{ path: 'expiresAt', rule: 'key-expiry' }] });
  });

  it('when the source does not exist, then it is a 422 unknown-source naming the rule known-source', async () => {
    const { admin } = setUp();

    const res = await admin.post(PATH, { label: 'x', scopes: ['ingest'], sourceId: 'ios' }).expect(422);

    expect(res.body).toMatchObject({
      type: 'urn:uap:problem:unknown-source',
      errors: [{ path: 'sourceId', rule: 'known-source' }],
    });
  });

  it('when a key without the admin scope asks, then it is a 403, recorded as denied', async () => {
    const { as, auditLog } = setUp();

    await as(KEYS.read)
      .post(PATH, { label: 'x', scopes: ['admin'] })
      .expect(403);
    await as(KEYS.read).get(PATH).expect(403);
    await settled();

    expect(auditLog.records).toEqual([
      expect.objectContaining({
        action: 'key.create',
        outcome: 'denied',
        actor: { keyId: READER.id, label: 'API_KEYS #2' },
      }),
    ]);
  });
});

describe('GET /api/v1/keys', () => {
  it('when keys are listed, then bootstrap keys come first and the filters apply', async () => {
    const { admin } = setUp();
    const kept = (await admin.post(PATH, { label: 'kept', scopes: ['read'] })).body as Created;
    const gone = (await admin.post(PATH, { label: 'gone', scopes: ['read'] })).body as Created;
    await admin.delete(`${PATH}/${gone.key.id}`).expect(200);

    const all = await admin.get(PATH).expect(200);
    const revoked = await admin.get(`${PATH}?status=revoked`).expect(200);
    const active = await admin.get(`${PATH}?status=active`).expect(200);

    const ids = (res: request.Response) => (res.body as { keys: Array<{ id: string }> }).keys.map((k) => k.id);
    // Runtime keys made in one millisecond are ordered by id: only the bootstrap keys' places are fixed.
    expect(ids(all).slice(0, 2)).toEqual([ADMIN.id, READER.id]);
    expect(ids(all).slice(2).sort()).toEqual([kept.key.id, gone.key.id].sort());
    expect((all.body as { keys: unknown[] }).keys[0]).toMatchObject({ origin: 'bootstrap', prefix: null });
    expect(ids(revoked)).toEqual([gone.key.id]);
    expect(ids(active)).toEqual([ADMIN.id, READER.id, kept.key.id]);
  });

  it.each([
    ['an unknown status', '?status=deleted', 'status'],
    ['an unknown parameter', '?limit=5', 'limit'],
    ['a bad source id', '?sourceId=Web', 'sourceId'],
  ])('when the query has %s, then it is a 400', async (_label, query, path) => {
    const res = await setUp().admin.get(`${PATH}${query}`).expect(400);

    expect((res.body as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).toEqual([path]);
  });
});

describe('GET /api/v1/keys/{id}', () => {
  it('when the key exists, then it is answered without hash or secret; else 404 key-not-found', async () => {
    const { admin } = setUp();
    const created = (await admin.post(PATH, { label: 'x', scopes: ['read'] })).body as Created;

    const res = await admin.get(`${PATH}/${created.key.id}`).expect(200);
    const missing = await admin.get(`${PATH}/0123456789abcdef`).expect(404);

    expect(res.body).toEqual({ ...created.key });
    expect(missing.body).toMatchObject({ type: 'urn:uap:problem:key-not-found', status: 404 });
    await admin.get(`${PATH}/not-a-key-id`).expect(400);
  });
});

describe('POST /api/v1/keys/{id}/rotate', () => {
  it('when a key is rotated, then 201 has the successor secret, uncached, and the old key in its grace', async () => {
    const { admin, as } = setUp();
    const old = (await admin.post(PATH, { label: 'web', scopes: ['read', 'admin'] })).body as Created;

    const res = await admin.post(`${PATH}/${old.key.id}/rotate`, { graceSeconds: 600 }).expect(201);

    const body = res.body as Created & { previous: Record<string, unknown> };
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['location']).toBe(`${PATH}/${body.key.id}`);
    expect(body.key).toMatchObject({ label: 'web', scopes: ['read', 'admin'], rotatedFrom: old.key.id });
    expect(body.previous).toMatchObject({ id: old.key.id, successorId: body.key.id, status: 'expiring' });
    expect(Date.parse(body.previous['endsAt'] as string) - Date.now()).toBeGreaterThan(590_000);
    await as(old.secret).get(PATH).expect(200);
    await as(body.secret).get(PATH).expect(200);
  });

  it('when graceSeconds is 0, then the old key stops at once', async () => {
    const { admin, as } = setUp();
    const old = (await admin.post(PATH, { label: 'web', scopes: ['read', 'admin'] })).body as Created;

    await admin.post(`${PATH}/${old.key.id}/rotate`, { graceSeconds: 0 }).expect(201);

    const res = await as(old.secret).get(PATH).expect(401);
    expect((res.body as { detail: string }).detail).toMatch(/rotated/);
  });

  it('when the key is a bootstrap key, was rotated already, or is unknown, then 409/409/404', async () => {
    const { admin } = setUp();
    const old = (await admin.post(PATH, { label: 'web', scopes: ['read'] })).body as Created;
    await admin.post(`${PATH}/${old.key.id}/rotate`).expect(201);

    const bootstrap = await admin.post(`${PATH}/${ADMIN.id}/rotate`).expect(409);
    const again = await admin.post(`${PATH}/${old.key.id}/rotate`).expect(409);
    await admin.post(`${PATH}/0123456789abcdef/rotate`).expect(404);

    expect(bootstrap.body).toMatchObject({ type: 'urn:uap:problem:bootstrap-key' });
    expect(again.body).toMatchObject({ type: 'urn:uap:problem:key-not-rotatable' });
  });

  it.each([
    ['graceSeconds over 30 days', { graceSeconds: 2_592_001 }, 'graceSeconds'],
    ['a negative graceSeconds', { graceSeconds: -1 }, 'graceSeconds'],
    ['an unknown field', { grace: 60 }, '(root)'],
  ])('when the body has %s, then it is a 400', async (_label, body, path) => {
    const { admin } = setUp();
    const old = (await admin.post(PATH, { label: 'web', scopes: ['read'] })).body as Created;

    const res = await admin.post(`${PATH}/${old.key.id}/rotate`, body).expect(400);

    expect((res.body as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).toEqual([path]);
  });
});

describe('DELETE /api/v1/keys/{id}', () => {
  it('when a key is revoked, then it gets 401 at once, and revoking again answers the first revokedAt', async () => {
    const { admin, as } = setUp();
    const created = (await admin.post(PATH, { label: 'partner', scopes: ['read', 'admin'] })).body as Created;

    const first = await admin.delete(`${PATH}/${created.key.id}`).expect(200);
    const again = await admin.delete(`${PATH}/${created.key.id}`).expect(200);

    expect(first.body).toMatchObject({ key: { id: created.key.id, status: 'revoked' }, inForceBy: expect.any(String) });
    expect((again.body as { revokedAt: string }).revokedAt).toBe((first.body as { revokedAt: string }).revokedAt);
    const refused = await as(created.secret).get(PATH).expect(401);
    expect((refused.body as { detail: string }).detail).toMatch(/revoked/);
  });

  it('when the key is a bootstrap key or unknown, then 409 bootstrap-key or 404', async () => {
    const { admin } = setUp();

    const res = await admin.delete(`${PATH}/${READER.id}`).expect(409);
    await admin.delete(`${PATH}/0123456789abcdef`).expect(404);

    expect(res.body).toMatchObject({ type: 'urn:uap:problem:bootstrap-key' });
  });
});

describe('keys: audit trail and CORS', () => {
  it('when keys are created, rotated and revoked, then each is recorded once with its target, and no secret', async () => {
    const { admin, auditLog, registry } = setUp();
    const created = (await admin.post(PATH, { label: 'web', scopes: ['ingest'] })).body as Created;
    const rotated = (await admin.post(`${PATH}/${created.key.id}/rotate`)).body as Created;
    await admin.delete(`${PATH}/${rotated.key.id}`).expect(200);
    await admin.delete(`${PATH}/${ADMIN.id}`).expect(409);
    await settled();

    // In the order of the answers: each request here waits for the one before.
    const records = auditLog.records;
    expect(records.map((r) => [r.action, r.outcome, r.target?.id])).toEqual([
      ['key.create', 'success', created.key.id],
      ['key.rotate', 'success', created.key.id],
      ['key.revoke', 'success', rotated.key.id],
      ['key.revoke', 'failure', ADMIN.id],
    ]);
    expect(records[0]!.details).toEqual({ label: 'web', scopes: ['ingest'] });
    expect(records[1]!.details).toMatchObject({ successorId: rotated.key.id });
    const trail = JSON.stringify(auditLog.records);
    const hashes = registry.log.flatMap((r) => (r.kind === 'key' ? [r.key.hash] : []));
    for (const secret of [created.secret, rotated.secret, ...hashes]) expect(trail).not.toContain(secret);
  });

  it('when a browser asks to PATCH from an allowed origin, then the preflight allows it', async () => {
    const { app } = setUp({ corsOrigins: ['https://admin.example.com'] });

    const res = await request(app)
      .options('/api/v1/sources/web')
      .set('Origin', 'https://admin.example.com')
      .set('Access-Control-Request-Method', 'PATCH')
      .expect(204);

    expect(res.headers['access-control-allow-methods']).toContain('PATCH');
  });
});
