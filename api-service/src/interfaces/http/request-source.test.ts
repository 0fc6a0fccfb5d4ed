import pino from 'pino';
import { Registry } from 'prom-client';
import request from 'supertest';
import { createApp } from '../../app';
import { IngestActivityUseCase } from '../../application/ingest-activity.use-case';
import { IngestSegmentUseCase } from '../../application/ingest-segment.use-case';
import { staticKeyRing } from '../../domain/access/key-ring';
import type { Source } from '../../domain/access/source';
import { hashApiKey, parseApiKeys, type ApiKeyEntry } from '../../domain/api-key';
import { createApiMetrics } from '../../infrastructure/metrics/api.metrics';
import { InMemoryActivityPublisher } from '../../testing/in-memory-activity.publisher';
import { TEST_APP_CONFIG, TEST_INGEST_CONFIG, TEST_RECEIPTS } from '../../testing/test-app';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const KEYS = { unbound: 'key-unbound', web: 'key-web', web2: 'key-web-2', ios: 'key-ios' };
const { entries } = parseApiKeys(
  Object.values(KEYS)
    .map((key) => `${hashApiKey(key)}:ingest`)
    .join(','),
);
const BOUND_TO: Array<string | undefined> = [undefined, 'web', 'web', 'ios'];
const KEY_ENTRIES: ApiKeyEntry[] = entries.map((entry, i) =>
  BOUND_TO[i] === undefined ? entry : { ...entry, origin: 'runtime', sourceId: BOUND_TO[i] },
);
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const basic = (key: string) => ({ Authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });

function aSource(id: string, overrides: Partial<Source> = {}): Source {
  const actor = { keyId: null, label: null };
  return {
    id,
    name: id,
    status: 'active',
    rateLimitPerMinute: null,
    allowedTypes: null,
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
    createdBy: actor,
    updatedBy: actor,
    ...overrides,
  };
}

function setup(initial: Source[] = [aSource('web'), aSource('ios')]) {
  const sources = new Map(initial.map((source) => [source.id, source]));
  const publisher = new InMemoryActivityPublisher();
  const metrics = createApiMetrics(new Registry());
  const app = createApp({
    metrics,
    logger: pino({ level: 'silent' }),
    ingest: new IngestActivityUseCase(TEST_INGEST_CONFIG, { publisher, receipts: TEST_RECEIPTS, now: () => NOW }),
    segment: new IngestSegmentUseCase({ maxFutureSkewMs: 300_000 }, { publisher, now: () => NOW }),
    readiness: [],
    config: {
      ...TEST_APP_CONFIG,
      security: {
        apiKeys: staticKeyRing(KEY_ENTRIES),
        publicPaths: ['/healthz'],
        rateLimit: { windowMs: 60_000, max: 0 },
        corsOrigins: [],
        sourceOf: (id) => sources.get(id),
      },
    },
  });
  /** Changes a source as a PATCH would: the next request reads it. */
  const update = (id: string, change: Partial<Source>) => sources.set(id, { ...sources.get(id)!, ...change });
  return { app, publisher, metrics, update };
}

const login = (userId = 'u1') => ({ type: 'LOGIN', userId });
const search = (userId = 'u1') => ({ type: 'SEARCH', userId, metadata: { query: 'shoes' } });
const track = (overrides: Record<string, unknown> = {}) => ({
  userId: 'u1',
  event: 'Order Completed',
  messageId: `m-${Math.random()}`,
  ...overrides,
});

describe('the source on every event', () => {
  it('when a key bound to a source ingests, then every event carries its sourceId, native and Segment alike', async () => {
    const { app, publisher } = setup();

    await request(app).post('/api/v1/activities').set(bearer(KEYS.web)).send(login()).expect(202);
    await request(app)
      .post('/api/v1/activities/batch')
      .set(bearer(KEYS.ios))
      .send({ events: [login(), search()] })
      .expect(202);
    await request(app).post('/v1/track').set(basic(KEYS.web)).send(track()).expect(200);
    await request(app)
      .post('/v1/b')
      .set('Content-Type', 'text/plain')
      .send(JSON.stringify({ writeKey: KEYS.ios, batch: [{ type: 'identify', userId: 'u1' }] }))
      .expect(200);

    expect(publisher.events.map((e) => e.sourceId)).toEqual(['web', 'ios', 'ios', 'web', 'ios']);
  });

  it('when a key bound to no source ingests, then its events carry no sourceId at all', async () => {
    const { app, publisher } = setup();

    await request(app).post('/api/v1/activities').set(bearer(KEYS.unbound)).send(login()).expect(202);
    await request(app).post('/v1/identify').set(basic(KEYS.unbound)).send({ userId: 'u1' }).expect(200);

    expect(publisher.events.map((e) => Object.hasOwn(e, 'sourceId'))).toEqual([false, false]);
  });
});

describe('a paused source', () => {
  it.each([
    ['a single event', '/api/v1/activities', login()],
    ['a batch', '/api/v1/activities/batch', { events: [login()] }],
    ['a Segment call', '/v1/track', track()],
    ['a Segment batch', '/v1/batch', { batch: [{ type: 'identify', userId: 'u1' }] }],
  ])('when its key sends %s, then 403 source-paused and nothing is published', async (_what, path, body) => {
    const { app, publisher, update } = setup();
    update('web', { status: 'paused' });

    const res = await request(app).post(path).set(bearer(KEYS.web)).send(body);

    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ type: 'urn:uap:problem:source-paused', status: 403 });
    expect(res.body.detail).toContain('"web"');
    expect(publisher.sends).toHaveLength(0);
  });

  it('when it is resumed, then the next request is accepted; other sources were never affected', async () => {
    const { app, update } = setup();
    update('web', { status: 'paused' });

    await request(app).post('/api/v1/activities').set(bearer(KEYS.ios)).send(login()).expect(202);
    await request(app).post('/api/v1/activities').set(bearer(KEYS.web)).send(login()).expect(403);
    update('web', { status: 'active' });
    await request(app).post('/api/v1/activities').set(bearer(KEYS.web)).send(login()).expect(202);
  });
});

describe("a source's allowed types", () => {
  it('when a batch holds a type its source may not send, then 422 type-not-allowed names each such event and nothing is published', async () => {
    const { app, publisher, update } = setup();
    update('web', { allowedTypes: ['LOGIN'] });

    const res = await request(app)
      .post('/api/v1/activities/batch')
      .set(bearer(KEYS.web))
      .send({ events: [login(), search(), login('u2'), search('u2')] });

    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      type: 'urn:uap:problem:type-not-allowed',
      errors: [
        expect.objectContaining({ path: 'events.1.type', rule: 'type-not-allowed' }),
        expect.objectContaining({ path: 'events.3.type', rule: 'type-not-allowed' }),
      ],
    });
    expect(res.body.errors).toHaveLength(2);
    expect(publisher.sends).toHaveLength(0);
  });

  it('when every event has an allowed type, then it is accepted; an empty list allows none', async () => {
    const { app, update } = setup();
    update('web', { allowedTypes: ['LOGIN', 'SEARCH'] });
    update('ios', { allowedTypes: [] });

    await request(app)
      .post('/api/v1/activities/batch')
      .set(bearer(KEYS.web))
      .send({ events: [login(), search()] })
      .expect(202);
    const refused = await request(app).post('/api/v1/activities').set(bearer(KEYS.ios)).send(login());

    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([expect.objectContaining({ path: 'type', rule: 'type-not-allowed' })]);
  });

  it('when a Segment batch holds a message whose type its source may not send, then it is refused by index like any other and the rest is stored', async () => {
    const { app, publisher, update } = setup();
    update('web', { allowedTypes: ['IDENTIFY'] });

    const res = await request(app)
      .post('/v1/batch')
      .set(basic(KEYS.web))
      .send({
        batch: [
          { type: 'identify', userId: 'u1' },
          { type: 'track', ...track() },
        ],
      });

    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      accepted: 1,
      refusedIndexes: [1],
      errors: [expect.objectContaining({ path: 'batch.1.event', rule: 'type-not-allowed' })],
    });
    expect(publisher.events.map((e) => [e.type, e.sourceId])).toEqual([['IDENTIFY', 'web']]);
  });

  it('when a Segment call maps to a type its source may not send, then 400 names the rule and nothing is published', async () => {
    const { app, publisher, update } = setup();
    update('web', { allowedTypes: ['IDENTIFY'] });

    const res = await request(app).post('/v1/track').set(basic(KEYS.web)).send(track());

    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'event', rule: 'type-not-allowed' })]);
    expect(publisher.sends).toHaveLength(0);
  });
});

describe("a source's rate limit", () => {
  it('when its keys together pass the limit, then 429 with Retry-After; keys of other sources and none go on', async () => {
    const { app, update } = setup();
    update('web', { rateLimitPerMinute: 2 });

    await request(app).post('/api/v1/activities').set(bearer(KEYS.web)).send(login()).expect(202);
    await request(app).post('/api/v1/activities').set(bearer(KEYS.web2)).send(login()).expect(202);
    const limited = await request(app).post('/api/v1/activities').set(bearer(KEYS.web)).send(login());

    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ type: 'urn:uap:problem:too-many-requests' });
    expect(limited.body.detail).toContain('Source "web" allows 2 requests per minute');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    await request(app).post('/api/v1/activities').set(bearer(KEYS.ios)).send(login()).expect(202);
    await request(app).post('/api/v1/activities').set(bearer(KEYS.unbound)).send(login()).expect(202);
  });

  it('when the limit is raised or cleared, then the next request is read against the new one', async () => {
    const { app, update } = setup();
    update('web', { rateLimitPerMinute: 1 });

    await request(app).post('/api/v1/activities').set(bearer(KEYS.web)).send(login()).expect(202);
    await request(app).post('/api/v1/activities').set(bearer(KEYS.web)).send(login()).expect(429);
    update('web', { rateLimitPerMinute: 3 });
    await request(app).post('/api/v1/activities').set(bearer(KEYS.web)).send(login()).expect(202);
    update('web', { rateLimitPerMinute: null });
    await request(app).post('/api/v1/activities').set(bearer(KEYS.web)).send(login()).expect(202);
  });

  it('when Segment requests carry the key in the header or the body, then each is counted once against its source', async () => {
    const { app, update } = setup();
    update('web', { rateLimitPerMinute: 2 });
    const inBody = () =>
      request(app)
        .post('/v1/i')
        .set('Content-Type', 'text/plain')
        .send(JSON.stringify({ writeKey: KEYS.web, userId: 'u1' }));

    await request(app).post('/v1/identify').set(basic(KEYS.web)).send({ userId: 'u1' }).expect(200);
    await inBody().expect(200);
    await inBody().expect(429);
    await request(app).post('/v1/identify').set(basic(KEYS.web)).send({ userId: 'u1' }).expect(429);
  });
});

describe('events per source (uap_source_events_total)', () => {
  it('when sourced and unsourced keys send, then accepted and refused events are counted per source, none for keys without one', async () => {
    const { app, metrics, update } = setup();
    update('ios', { allowedTypes: ['LOGIN'] });

    await request(app)
      .post('/api/v1/activities/batch')
      .set(bearer(KEYS.web))
      .send({ events: [login(), login()] })
      .expect(202);
    await request(app)
      .post('/api/v1/activities/batch')
      .set(bearer(KEYS.ios))
      .send({ events: [login(), search(), login()] })
      .expect(422);
    await request(app).post('/api/v1/activities').set(bearer(KEYS.unbound)).send(login()).expect(202);
    await request(app)
      .post('/v1/batch')
      .set(basic(KEYS.ios))
      .send({
        batch: [
          { type: 'track', ...track() },
          { type: 'track', ...track({ event: 'LOGIN' }) },
        ],
      })
      .expect(400);

    const scrape = async () =>
      (await metrics.sourceEvents.get()).values.map((v) => `${v.labels.source}/${v.labels.outcome}=${v.value}`).sort();
    const expected = ['ios/accepted=1', 'ios/refused=4', 'none/accepted=1', 'none/refused=0', 'web/accepted=2'];
    expect(await scrape()).toEqual(expected);
    // Keys without a source are tallied apart and reported at scrape time: a second scrape counts nothing twice.
    expect(await scrape()).toEqual(expected);
  });
});
