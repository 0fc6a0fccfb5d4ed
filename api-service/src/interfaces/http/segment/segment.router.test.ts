import { deflateSync, gzipSync } from 'node:zlib';
import pino from 'pino';
import { Registry } from 'prom-client';
import request from 'supertest';
import { createApp, type AppConfig, type SecurityConfig } from '../../../app';
import { IngestActivityUseCase } from '../../../application/ingest-activity.use-case';
import { IngestSegmentUseCase } from '../../../application/ingest-segment.use-case';
import { DomainError } from '../../../domain/domain-error';
import { staticKeyRing } from '../../../domain/access/key-ring';
import { hashApiKey, parseApiKeys } from '../../../domain/api-key';
import { eventIdOfMessageId } from '../../../domain/segment/segment-event-id';
import { createApiMetrics } from '../../../infrastructure/metrics/api.metrics';
import { InMemoryActivityPublisher } from '../../../testing/in-memory-activity.publisher';
import { TEST_APP_CONFIG, TEST_INGEST_CONFIG, TEST_RECEIPTS } from '../../../testing/test-app';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const KEYS = { ingest: 'write-key-ingest', read: 'key-read-only' };
const { entries } = parseApiKeys(`${hashApiKey(KEYS.ingest)}:ingest,${hashApiKey(KEYS.read)}:read`);
const SECURE: SecurityConfig = {
  apiKeys: staticKeyRing(entries),
  publicPaths: ['/healthz'],
  rateLimit: { windowMs: 60_000, max: 0 },
  corsOrigins: [],
};
const basic = (user: string, password = '') => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const AUTH = { Authorization: basic(KEYS.ingest) };
const PROBLEM = /^application\/problem\+json/;

function setup(config: Partial<AppConfig> = {}) {
  const publisher = new InMemoryActivityPublisher();
  const metrics = createApiMetrics(new Registry());
  const app = createApp({
    metrics,
    logger: pino({ level: 'silent' }),
    ingest: new IngestActivityUseCase(TEST_INGEST_CONFIG, { publisher, receipts: TEST_RECEIPTS, now: () => NOW }),
    segment: new IngestSegmentUseCase({ maxFutureSkewMs: 300_000 }, { publisher, now: () => NOW }),
    readiness: [],
    config: { ...TEST_APP_CONFIG, security: SECURE, ...config },
  });
  return { app, publisher, metrics };
}

let sent = 0;
const track = (overrides: Record<string, unknown> = {}) => ({
  userId: 'user_42',
  event: 'Order Completed',
  messageId: `m-${++sent}`,
  ...overrides,
});

/** Sends the bytes as they are (superagent would JSON-encode a Buffer sent as application/json). */
function postRaw(app: ReturnType<typeof setup>['app'], path: string, headers: Record<string, string>, body: Buffer) {
  return request(app)
    .post(path)
    .set({ 'Content-Type': 'application/json', ...AUTH, ...headers })
    .serialize((raw: Buffer) => raw as unknown as string)
    .send(body);
}

describe('Segment surface: answers', () => {
  it('when analytics.js posts to its short paths (text/plain, write key in the body), then they are the same calls', async () => {
    const { app, publisher } = setup();
    const sendText = (path: string, body: unknown) =>
      request(app)
        .post(path)
        .set('Content-Type', 'text/plain')
        .send(JSON.stringify({ writeKey: KEYS.ingest, ...(body as object) }));

    const single = await sendText('/v1/t', track({ anonymousId: 'a-browser', userId: undefined }));
    const batch = await sendText('/v1/b', { batch: [{ type: 'page', anonymousId: 'a-browser', name: 'Home' }] });

    expect([single.status, batch.status]).toEqual([200, 200]);
    expect(publisher.events.map((e) => [e.segment?.call, e.anonymousId])).toEqual([
      ['track', 'a-browser'],
      ['page', 'a-browser'],
    ]);
  });

  it.each(['track', 'page', 'screen', 'identify', 'group', 'alias'] as const)(
    'when a valid %s call arrives, then 200 {"success":true} after its event was published',
    async (call) => {
      const { app, publisher } = setup();
      const bodies = {
        track: track(),
        page: { anonymousId: 'a1', name: 'Home' },
        screen: { userId: 'u1', name: 'Home' },
        identify: { userId: 'u1', traits: { plan: 'pro' } },
        group: { userId: 'u1', groupId: 'acme' },
        alias: { userId: 'u1', previousId: 'a1' },
      };

      const res = await request(app).post(`/v1/${call}`).set(AUTH).send(bodies[call]);

      expect([res.status, res.body]).toEqual([200, { success: true }]);
      expect(publisher.events).toHaveLength(1);
      expect(publisher.events[0]!.segment?.call).toBe(call);
    },
  );

  it('when a batch is valid, then 200 after one send holding every message, the batch context merged in', async () => {
    const { app, publisher } = setup();
    const body = {
      batch: [
        { type: 'identify', userId: 'u1', anonymousId: 'a1', messageId: 'b-1' },
        { type: 'track', ...track({ messageId: 'b-2', context: { page: { path: '/x' } } }) },
      ],
      context: { library: { name: 'analytics-node' } },
      sentAt: NOW.toISOString(),
      writeKey: KEYS.ingest,
    };

    const res = await request(app).post('/v1/batch').set(AUTH).send(body);

    expect([res.status, res.body]).toEqual([200, { success: true }]);
    expect(publisher.sends).toHaveLength(1);
    expect(publisher.events.map((e) => e.eventId)).toEqual([eventIdOfMessageId('b-1'), eventIdOfMessageId('b-2')]);
    expect(publisher.events[1]!.segment?.context).toEqual({
      library: { name: 'analytics-node' },
      page: { path: '/x' },
    });
  });

  it('when a batch has refused messages, then the rest is published and 400 names each refused one by index', async () => {
    const { app, publisher } = setup();
    const batch = [
      { type: 'track', ...track() },
      { type: 'track', ...track({ event: 'Teleported' }) },
      { type: 'page', name: 'no actor' },
      { type: 'identify', userId: 'u2' },
    ];

    const res = await request(app).post('/v1/batch').set(AUTH).send({ batch });

    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body).toMatchObject({
      type: 'urn:uap:problem:validation-failed',
      accepted: 2,
      refused: 2,
      refusedIndexes: [1, 2],
      errors: [
        expect.objectContaining({ path: 'batch.1.event', rule: 'planned-type' }),
        expect.objectContaining({ path: 'batch.2.userId', rule: 'user-or-anonymous-id' }),
      ],
    });
    expect(publisher.events.map((e) => e.type)).toEqual(['PURCHASE', 'IDENTIFY']);
  });

  it('when a batch is partly refused, then the metrics count its messages as accepted and rejected', async () => {
    const { app, metrics } = setup();
    const batch = [{ type: 'identify', userId: 'u1' }, { type: 'identify' }, { type: 'identify', userId: 'u2' }];

    await request(app).post('/v1/batch').set(AUTH).send({ batch }).expect(400);
    await request(app).post('/v1/identify').set(AUTH).send({ userId: 'u3' }).expect(200);

    const accepted = await metrics.eventsAccepted.get();
    const rejected = await metrics.eventsRejected.get();
    expect(accepted.values.reduce((sum, v) => sum + v.value, 0)).toBe(3);
    expect(rejected.values).toEqual([expect.objectContaining({ value: 1, labels: { reason: 'validation-failed' } })]);
  });

  it('when a call is refused, then 400 problem+json names the rule and nothing is published', async () => {
    const { app, publisher } = setup();

    const res = await request(app)
      .post('/v1/track')
      .set(AUTH)
      .send(track({ event: '!!!' }));

    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'event', rule: 'segment-event-name' })]);
    expect(publisher.sends).toHaveLength(0);
  });

  it('when the body is not JSON, then 400 malformed-json', async () => {
    const { app } = setup();

    const res = await postRaw(app, '/v1/batch', {}, Buffer.from('{"batch": ['));

    expect(res.status).toBe(400);
    expect(res.body.type).toBe('urn:uap:problem:malformed-json');
  });

  it.each([
    ['text/plain, as browser SDKs send it', { 'Content-Type': 'text/plain' }, (b: Buffer) => b],
    [
      'gzip declared x-www-form-urlencoded, as RudderStack’s node SDK sends it',
      { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Encoding': 'gzip' },
      gzipSync,
    ],
  ])('when the body comes as %s, then it is read as JSON', async (_how, headers, encode) => {
    const { app, publisher } = setup();

    const res = await postRaw(app, '/v1/track', headers, encode(Buffer.from(JSON.stringify(track()))));

    expect(res.status).toBe(200);
    expect(publisher.events).toHaveLength(1);
  });

  it('when the body is empty, then 400 and the write key is still required first', async () => {
    const { app } = setup();

    const withKey = await request(app).post('/v1/identify').set(AUTH);
    const withoutKey = await request(app).post('/v1/identify');

    expect([withKey.status, withoutKey.status]).toEqual([400, 401]);
  });

  it('when the broker is unavailable, then 503 with Retry-After, as for the REST dialect', async () => {
    const { app, publisher } = setup({ retryAfterSeconds: 7 });
    publisher.failWith = new DomainError('SERVICE_UNAVAILABLE', 'The event stream is unavailable', { retriable: true });

    const res = await request(app)
      .post('/v1/batch')
      .set(AUTH)
      .send({ batch: [{ type: 'track', ...track() }] });

    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.headers['content-type']).toMatch(PROBLEM);
  });

  it('when a key sends more than the rate limit allows, then 429 with Retry-After', async () => {
    const { app } = setup({ security: { ...SECURE, rateLimit: { windowMs: 60_000, max: 1 } } });

    await request(app).post('/v1/identify').set(AUTH).send({ userId: 'u1' }).expect(200);
    const res = await request(app).post('/v1/identify').set(AUTH).send({ userId: 'u1' });

    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('Segment surface: write keys', () => {
  it.each([
    ['HTTP Basic with an empty password', { Authorization: basic(KEYS.ingest) }, {}],
    ['HTTP Basic without a colon', { Authorization: `Basic ${Buffer.from(KEYS.ingest).toString('base64')}` }, {}],
    ['writeKey in the body', {}, { writeKey: KEYS.ingest }],
    ['X-API-Key', { 'X-API-Key': KEYS.ingest }, {}],
    ['Bearer', { Authorization: `Bearer ${KEYS.ingest}` }, {}],
    ['Basic and the same writeKey in the body', { Authorization: basic(KEYS.ingest) }, { writeKey: KEYS.ingest }],
  ])('when the key comes as %s, then the call is accepted', async (_how, headers, extra) => {
    const { app, publisher } = setup();

    const res = await request(app)
      .post('/v1/identify')
      .set(headers)
      .send({ userId: 'u1', ...extra });

    expect(res.status).toBe(200);
    expect(publisher.events).toHaveLength(1);
    expect(JSON.stringify(publisher.events[0])).not.toContain(KEYS.ingest);
  });

  it.each([
    ['no key at all', {}, {}],
    ['an unknown key in the body', {}, { writeKey: 'nope' }],
    ['an unknown Basic user', { Authorization: basic('nope') }, {}],
    ['a Basic password', { Authorization: basic(KEYS.ingest, 'secret') }, {}],
    ['a body writeKey that is not the header’s key', { Authorization: basic(KEYS.ingest) }, { writeKey: KEYS.read }],
    ['a writeKey that is not a string', {}, { writeKey: 42 }],
  ])(
    'when the request has %s, then 401 with Bearer and Basic challenges and nothing is published',
    async (_what, headers, extra) => {
      const { app, publisher } = setup();

      const res = await request(app)
        .post('/v1/batch')
        .set(headers)
        .send({ batch: [{ type: 'identify', userId: 'u1' }], ...extra });

      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api".*, Basic realm="api"$/);
      expect(publisher.sends).toHaveLength(0);
    },
  );

  it.each([
    ['in the body', {}, { writeKey: KEYS.read }],
    ['as HTTP Basic', { Authorization: basic(KEYS.read) }, {}],
  ])(
    'when a key without the ingest scope comes %s, then 403 and nothing is published',
    async (_how, headers, extra) => {
      const { app, publisher } = setup();

      const res = await request(app)
        .post('/v1/track')
        .set(headers)
        .send({ ...track(), ...extra });

      expect(res.status).toBe(403);
      expect(res.body.type).toBe('urn:uap:problem:forbidden');
      expect(publisher.sends).toHaveLength(0);
    },
  );

  it('when Basic is sent to a REST path, then it is still refused there (only /v1 takes write keys)', async () => {
    const { app } = setup();

    const res = await request(app).get('/api/v1/whoami').set(AUTH);

    expect(res.status).toBe(401);
  });
});

describe('Segment surface: limits and encodings', () => {
  it('when a call is over 32 KB, then 413 and nothing is published', async () => {
    const { app, publisher } = setup();

    const res = await request(app)
      .post('/v1/track')
      .set(AUTH)
      .send(track({ properties: { blob: 'x'.repeat(33 * 1024) } }));

    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(publisher.sends).toHaveLength(0);
  });

  it('when a batch body is over 500 KB, then 413 and nothing is published', async () => {
    const { app, publisher } = setup();
    const batch = Array.from({ length: 30 }, () => ({
      type: 'track',
      ...track({ properties: { b: 'x'.repeat(20_000) } }),
    }));

    const res = await request(app).post('/v1/batch').set(AUTH).send({ batch });

    expect(res.status).toBe(413);
    expect(publisher.sends).toHaveLength(0);
  });

  it('when one message of a batch is over 32 KB, then 413 names its index', async () => {
    const { app } = setup();
    const batch = [
      { type: 'identify', userId: 'u1' },
      { type: 'identify', userId: 'u1', traits: { b: 'x'.repeat(33_000) } },
    ];

    const res = await request(app).post('/v1/batch').set(AUTH).send({ batch });

    expect(res.status).toBe(413);
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'batch.1' })]);
  });

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
  ])(
    'when a batch arrives %s-encoded, then it is inflated and accepted (RudderStack gzips by default)',
    async (encoding, compress) => {
      const { app, publisher } = setup();
      const body = compress(Buffer.from(JSON.stringify({ batch: [{ type: 'track', ...track() }] })));

      const res = await postRaw(app, '/v1/batch', { 'Content-Encoding': encoding }, body);

      expect(res.status).toBe(200);
      expect(publisher.events).toHaveLength(1);
    },
  );

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
  ])(
    'when a %s bomb (10 MB of zeros) arrives, then 413 once the inflated bytes pass 500 KB',
    async (encoding, compress) => {
      const { app, publisher } = setup();
      const bomb = compress(Buffer.alloc(10 * 1024 * 1024));
      expect(bomb.length).toBeLessThan(20 * 1024);

      const res = await postRaw(app, '/v1/batch', { 'Content-Encoding': encoding }, bomb);

      expect(res.status).toBe(413);
      expect(res.body.detail).toContain('decompressed');
      expect(publisher.sends).toHaveLength(0);
    },
  );

  it('when a call inflates past 32 KB, then 413 although it was sent small', async () => {
    const { app } = setup();
    const body = gzipSync(Buffer.from(JSON.stringify(track({ properties: { b: 'x'.repeat(40_000) } }))));

    const res = await postRaw(app, '/v1/track', { 'Content-Encoding': 'gzip' }, body);

    expect(res.status).toBe(413);
  });

  it('when the REST dialect receives deflate, then it is still 415 there (its behaviour is unchanged)', async () => {
    const { app } = setup();

    const res = await postRaw(
      app,
      '/api/v1/activities',
      { 'Content-Encoding': 'deflate', Authorization: `Bearer ${KEYS.ingest}` },
      deflateSync(Buffer.from('{}')),
    );

    expect(res.status).toBe(415);
  });
});
