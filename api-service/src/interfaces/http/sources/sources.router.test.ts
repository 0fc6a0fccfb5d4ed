import { aDeadLetterRecord, anActivityInput } from '@uap/shared/testing';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../../app';
import { AuditTrailUseCase } from '../../../application/audit-trail.use-case';
import { IngestActivityUseCase } from '../../../application/ingest-activity.use-case';
import { ManageAccessUseCase } from '../../../application/manage-access.use-case';
import { hashApiKey, parseApiKeys } from '../../../domain/api-key';
import { createApiMetrics, eventsBySource, type ApiMetrics } from '../../../infrastructure/metrics/api.metrics';
import { InMemoryAccessRegistry } from '../../../testing/in-memory-access.registry';
import { InMemoryActivityPublisher } from '../../../testing/in-memory-activity.publisher';
import { InMemoryAuditLog } from '../../../testing/in-memory-audit.log';
import { InMemoryDeadLetterStore } from '../../../testing/in-memory-dead-letters';
import { TEST_APP_CONFIG, TEST_INGEST_CONFIG, TEST_RECEIPTS } from '../../../testing/test-app';

const PATH = '/api/v1/sources';
const ADMIN_KEY = 'key-admin-for-tests';
const { entries } = parseApiKeys(`${hashApiKey(ADMIN_KEY)}:ingest+read+admin`);
const ADMIN = { keyId: entries[0]!.id, label: 'API_KEYS #1' };
const logger = pino({ level: 'silent' });
const STARTED = new Date('2026-12-05T06:00:00.000Z');

/** Lets the audit records made after each answer land (they follow the answer, off the request path). */
const settled = () => new Promise((resolve) => setImmediate(resolve));

function setUp(counts: { metrics?: ApiMetrics; letters?: InMemoryDeadLetterStore } = {}) {
  const registry = new InMemoryAccessRegistry(entries);
  const auditLog = new InMemoryAuditLog();
  const { metrics, letters } = counts;
  const app = createApp({
    logger,
    ...(metrics ? { metrics } : {}),
    ingest: new IngestActivityUseCase(TEST_INGEST_CONFIG, {
      publisher: new InMemoryActivityPublisher(),
      receipts: TEST_RECEIPTS,
    }),
    access: new ManageAccessUseCase(
      { rotationGraceSeconds: 3600 },
      {
        registry,
        ...(metrics ? { sourceEvents: { since: STARTED, bySource: () => eventsBySource(metrics) } } : {}),
        ...(letters ? { deadLetters: letters } : {}),
      },
    ),
    audit: new AuditTrailUseCase({ retentionDays: 0 }, { log: auditLog, logger }),
    readiness: [],
    config: {
      ...TEST_APP_CONFIG,
      security: {
        apiKeys: registry.catalog,
        publicPaths: ['/healthz'],
        rateLimit: { windowMs: 60_000, max: 0 },
        corsOrigins: [],
        sourceOf: (id) => registry.catalog.source(id),
      },
    },
  });
  const auth = { Authorization: `Bearer ${ADMIN_KEY}` };
  const admin = {
    get: (path: string) => request(app).get(path).set(auth),
    post: (path: string, body: object) => request(app).post(path).set(auth).send(body),
    patch: (path: string, body: object) => request(app).patch(path).set(auth).send(body),
  };
  return { app, registry, auditLog, admin };
}

const errorPaths = (res: request.Response) =>
  (res.body as { errors: Array<{ path: string }> }).errors.map((e) => e.path);

describe('POST /api/v1/sources', () => {
  it('when a source is created, then 201 with Location, its defaults, its actor and inForceBy', async () => {
    const { admin } = setUp();

    const res = await admin.post(PATH, { id: 'web', name: 'Web app' }).expect(201);

    expect(res.headers['location']).toBe(`${PATH}/web`);
    expect(res.body).toMatchObject({
      source: {
        id: 'web',
        name: 'Web app',
        status: 'active',
        rateLimitPerMinute: null,
        allowedTypes: null,
        createdBy: ADMIN,
        updatedBy: ADMIN,
        keys: 0,
      },
      inForceBy: expect.any(String),
    });
  });

  it.each(['none', 'other'])('when the id is the metrics label %p, then it is a 400 naming id', async (id) => {
    const { admin } = setUp();

    const res = await admin.post(PATH, { id, name: 'Clash' }).expect(400);

    expect(errorPaths(res)).toEqual(['id']);
  });

  it('when the id is taken, then it is a 409 source-exists', async () => {
    const { admin } = setUp();
    await admin.post(PATH, { id: 'web', name: 'Web app' }).expect(201);

    const res = await admin.post(PATH, { id: 'web', name: 'Other' }).expect(409);

    expect(res.body).toMatchObject({ type: 'urn:uap:problem:source-exists' });
  });

  it.each([
    ['an id in capitals', { id: 'Web', name: 'x' }, 'id'],
    ['an id of 41 characters', { id: `w${'x'.repeat(40)}`, name: 'x' }, 'id'],
    ['no name', { id: 'web' }, 'name'],
    ['a name of 101 characters', { id: 'web', name: 'x'.repeat(101) }, 'name'],
    ['an unknown status', { id: 'web', name: 'x', status: 'stopped' }, 'status'],
    ['a rate limit of 0', { id: 'web', name: 'x', rateLimitPerMinute: 0 }, 'rateLimitPerMinute'],
    ['a fractional rate limit', { id: 'web', name: 'x', rateLimitPerMinute: 1.5 }, 'rateLimitPerMinute'],
    ['a type that is not a type name', { id: 'web', name: 'x', allowedTypes: ['search'] }, 'allowedTypes.0'],
    ['a type twice', { id: 'web', name: 'x', allowedTypes: ['SEARCH', 'SEARCH'] }, 'allowedTypes.1'],
    ['an unknown field', { id: 'web', name: 'x', keys: 3 }, '(root)'],
  ])('when the body has %s, then it is a 400 naming that field', async (_label, body, path) => {
    const { admin, registry } = setUp();

    const res = await admin.post(PATH, body).expect(400);

    expect(errorPaths(res)).toContain(path);
    expect(registry.log).toEqual([]);
  });
});

describe('GET /api/v1/sources', () => {
  it('when sources are read, then each counts its valid keys; an unknown one is 404 source-not-found', async () => {
    const { admin } = setUp();
    await admin.post(PATH, { id: 'web', name: 'Web app', allowedTypes: ['SEARCH', 'VIDEO_PLAY'] }).expect(201);
    await admin.post(PATH, { id: 'backend', name: 'Backend', rateLimitPerMinute: 600 }).expect(201);
    await admin.post('/api/v1/keys', { label: 'web', scopes: ['ingest'], sourceId: 'web' }).expect(201);

    const list = await admin.get(PATH).expect(200);
    const one = await admin.get(`${PATH}/web`).expect(200);
    const missing = await admin.get(`${PATH}/ios`).expect(404);

    const sources = (list.body as { sources: Array<{ id: string; keys: number }> }).sources;
    expect(sources.map((s) => [s.id, s.keys])).toEqual([
      ['backend', 0],
      ['web', 1],
    ]);
    expect(one.body).toMatchObject({ id: 'web', allowedTypes: ['SEARCH', 'VIDEO_PLAY'], keys: 1 });
    expect(missing.body).toMatchObject({ type: 'urn:uap:problem:source-not-found' });
    await admin.get(`${PATH}?x=1`).expect(400);
    await admin.get(`${PATH}/NOT_AN_ID`).expect(400);
  });

  it('when a source’s keys sent events, then its counts are the metric’s accepted and refused and the index’s letters', async () => {
    const metrics = createApiMetrics();
    const letters = new InMemoryDeadLetterStore().add(
      aDeadLetterRecord({ sourceId: 'web' }),
      aDeadLetterRecord({ sourceId: 'web', status: 'parked' }),
      aDeadLetterRecord(),
    );
    const { app, admin } = setUp({ metrics, letters });
    await admin.post(PATH, { id: 'web', name: 'Web app' }).expect(201);
    await admin.post(PATH, { id: 'ios', name: 'iOS app' }).expect(201);
    const { secret } = (await admin.post('/api/v1/keys', { label: 'web', scopes: ['ingest'], sourceId: 'web' }))
      .body as {
      secret: string;
    };
    const send = (events: object[]) =>
      request(app).post('/api/v1/activities/batch').set('X-API-Key', secret).send({ events });
    await send([anActivityInput(), anActivityInput()]).expect(202);
    await admin.patch(`${PATH}/web`, { status: 'paused' }).expect(200);
    await send([anActivityInput()]).expect(403);
    await request(app)
      .post('/api/v1/activities')
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .send(anActivityInput())
      .expect(202);

    const list = (await admin.get(PATH).expect(200)).body as { sources: Array<{ id: string; counts: object }> };
    const one = await admin.get(`${PATH}/web`).expect(200);

    const since = STARTED.toISOString();
    expect(Object.fromEntries(list.sources.map((s) => [s.id, s.counts]))).toEqual({
      ios: { accepted: 0, refused: 0, deadLettered: 0, since },
      web: { accepted: 2, refused: 1, deadLettered: 2, since },
    });
    expect(one.body).toMatchObject({ counts: { accepted: 2, refused: 1, deadLettered: 2 } });
    // The same numbers the replica exports.
    const exported = await metrics.registry.getSingleMetricAsString('uap_source_events_total');
    expect(exported).toContain('uap_source_events_total{source="web",outcome="accepted"} 2');
    expect(exported).toContain('uap_source_events_total{source="web",outcome="refused"} 1');
  });

  it('when this replica does not count and no index is wired, then the counts are null, not zero', async () => {
    const { admin } = setUp();
    await admin.post(PATH, { id: 'web', name: 'Web app' }).expect(201);

    const one = await admin.get(`${PATH}/web`).expect(200);

    expect(one.body).toMatchObject({ counts: { accepted: null, refused: null, deadLettered: null, since: null } });
  });
});

describe('PATCH /api/v1/sources/{id}', () => {
  it('when fields are sent, then only they change, null clears, and the answer says inForceBy', async () => {
    const { admin } = setUp();
    await admin.post(PATH, { id: 'web', name: 'Web app', rateLimitPerMinute: 600, allowedTypes: ['SEARCH'] });

    const paused = await admin.patch(`${PATH}/web`, { status: 'paused', rateLimitPerMinute: null }).expect(200);
    const renamed = await admin.patch(`${PATH}/web`, { name: 'Website', allowedTypes: null }).expect(200);

    expect(paused.body).toMatchObject({
      source: { name: 'Web app', status: 'paused', rateLimitPerMinute: null, allowedTypes: ['SEARCH'] },
      inForceBy: expect.any(String),
    });
    expect(renamed.body).toMatchObject({ source: { name: 'Website', status: 'paused', allowedTypes: null } });
  });

  it('when the body is sent as merge-patch+json, then it is read as JSON', async () => {
    const { admin, app } = setUp();
    await admin.post(PATH, { id: 'web', name: 'Web app' });

    const res = await request(app)
      .patch(`${PATH}/web`)
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .set('Content-Type', 'application/merge-patch+json')
      .send(JSON.stringify({ status: 'paused' }))
      .expect(200);

    expect(res.body).toMatchObject({ source: { status: 'paused' } });
  });

  it.each([
    ['nothing to change', {}, '(root)'],
    ['an unknown field', { id: 'ios' }, '(root)'],
    ['a null name', { name: null }, 'name'],
  ])('when the body has %s, then it is a 400', async (_label, body, path) => {
    const { admin } = setUp();
    await admin.post(PATH, { id: 'web', name: 'Web app' });

    const res = await admin.patch(`${PATH}/web`, body).expect(400);

    expect(errorPaths(res)).toEqual([path]);
  });

  it('when the source does not exist, then it is a 404 source-not-found', async () => {
    const res = await setUp().admin.patch(`${PATH}/web`, { status: 'paused' }).expect(404);

    expect(res.body).toMatchObject({ type: 'urn:uap:problem:source-not-found' });
  });

  it('when sources are created and changed, then each is recorded once with its target', async () => {
    const { admin, auditLog } = setUp();
    await admin.post(PATH, { id: 'web', name: 'Web app' }).expect(201);
    await admin.patch(`${PATH}/web`, { status: 'paused' }).expect(200);
    await admin.post(PATH, { id: 'web', name: 'Again' }).expect(409);
    await settled();

    // In the order of the answers: each request here waits for the one before.
    const records = auditLog.records;
    expect(records.map((r) => [r.action, r.outcome, r.target, r.details])).toEqual([
      ['source.create', 'success', { kind: 'source', id: 'web' }, { name: 'Web app', status: 'active' }],
      ['source.update', 'success', { kind: 'source', id: 'web' }, { fields: ['status'], status: 'paused' }],
      ['source.create', 'failure', { kind: 'source', id: 'web' }, null],
    ]);
  });
});
