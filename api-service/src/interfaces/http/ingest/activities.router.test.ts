import { randomUUID } from 'node:crypto';
import { anActivityInput } from '@uap/shared/testing';
import request from 'supertest';
import { DomainError } from '../../../domain/domain-error';
import { InMemoryActivityPublisher } from '../../../testing/in-memory-activity.publisher';
import { testApp, TEST_RECEIPTS } from '../../../testing/test-app';

const NOW = new Date('2026-01-01T10:00:00.000Z');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function setup(options: Omit<Parameters<typeof testApp>[0], 'publisher'> = {}) {
  const publisher = new InMemoryActivityPublisher();
  const app = testApp({ publisher, now: () => NOW, ...options });
  return { publisher, app };
}

function expectProblem(res: request.Response, status: number, slug: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type: `urn:uap:problem:${slug}`, status, title: expect.any(String) });
  expect(res.body.detail).toEqual(expect.any(String));
  expect(res.body.requestId).toBe(res.headers['x-request-id']);
}

function pathsOf(res: request.Response): string[] {
  return (res.body.errors as { path: string }[]).map((e) => e.path);
}

describe('POST /api/v1/activities', () => {
  it('when the event is valid, then 202 carries its eventId after it was published with server fields', async () => {
    const { app, publisher } = setup();
    const input = anActivityInput({ userId: 'alice' });
    const res = await request(app)
      .post('/api/v1/activities')
      .set('User-Agent', 'jest-agent')
      .set('X-Request-Id', 'req-42')
      .send(input);

    expect(res.status).toBe(202);
    expect(res.body).toEqual({ eventId: input.eventId, status: 'accepted', receipt: expect.any(String) });
    expect(TEST_RECEIPTS.decodeReceipt(res.body.receipt)).toMatchObject({
      eventId: input.eventId,
      partition: 0,
      offset: 0,
    });
    expect(res.headers['location']).toBe(`/api/v1/receipts/${res.body.receipt}`);
    expect(publisher.sends).toHaveLength(1);
    expect(publisher.sends[0]!.meta).toEqual({ requestId: 'req-42' });
    expect(publisher.events).toEqual([
      {
        schemaVersion: 1,
        eventId: input.eventId,
        userId: 'alice',
        type: 'LOGIN',
        occurredAt: '2026-01-01T10:00:00.000Z',
        receivedAt: NOW.toISOString(),
        metadata: input.metadata,
        context: { ip: expect.stringMatching(/127\.0\.0\.1|::1/), userAgent: 'jest-agent' },
        typeVersion: 1,
      },
    ]);
  });

  it('when receipts are off, then 202 has no receipt and no Location, and /openapi.json describes that answer', async () => {
    const { app } = setup({ ingest: { receipts: false } });

    const res = await request(app).post('/api/v1/activities').send(anActivityInput()).expect(202);
    const batch = await request(app)
      .post('/api/v1/activities/batch')
      .send({ events: [anActivityInput()] })
      .expect(202);
    const doc = (await request(app).get('/openapi.json').expect(200)).body;

    expect(Object.keys(res.body).sort()).toEqual(['eventId', 'status']);
    expect(res.headers['location']).toBeUndefined();
    expect(Object.keys(batch.body).sort()).toEqual(['accepted', 'consistencyToken', 'eventIds']);
    const accepted = (path: string) => doc.paths[path].post.responses['202'].content['application/json'].schema.$ref;
    expect(accepted('/api/v1/activities')).toBe('#/components/schemas/SingleAcceptedWithoutReceipt');
    expect(accepted('/api/v1/activities/batch')).toBe('#/components/schemas/BatchAcceptedWithoutReceipts');
  });

  it('when eventId and occurredAt are absent, then the server generates the id and uses the receive time', async () => {
    const { app, publisher } = setup();
    const res = await request(app).post('/api/v1/activities').send({ userId: 'u1', type: 'LOGOUT' });

    expect(res.status).toBe(202);
    expect(res.body.eventId).toMatch(UUID);
    expect(publisher.events[0]).toMatchObject({ eventId: res.body.eventId, occurredAt: NOW.toISOString() });
  });

  it('when fields break the schema, then 400 lists each field path and nothing is published', async () => {
    const { app, publisher } = setup();
    const res = await request(app)
      .post('/api/v1/activities')
      .send({ userId: 'a b', type: 'TELEPORT', eventId: 'nope', extra: true });

    expectProblem(res, 400, 'validation-failed');
    expect(pathsOf(res)).toEqual(expect.arrayContaining(['userId', 'type', 'eventId', '(root)']));
    expect(publisher.sends).toHaveLength(0);
  });

  it('when occurredAt is too far ahead, then 400 names the rule the schema cannot state', async () => {
    const { app } = setup();
    const res = await request(app)
      .post('/api/v1/activities')
      .send(anActivityInput({ occurredAt: new Date(Date.now() + 3_600_000).toISOString() }));

    expectProblem(res, 400, 'validation-failed');
    expect(res.body.errors).toEqual([{ path: 'occurredAt', message: expect.any(String), rule: 'future-occurred-at' }]);
  });

  it('when a SEARCH lacks its query, then 400 points at metadata.query', async () => {
    const { app } = setup();
    const res = await request(app).post('/api/v1/activities').send({ userId: 'u1', type: 'SEARCH', metadata: {} });

    expectProblem(res, 400, 'validation-failed');
    expect(pathsOf(res)).toEqual(['metadata.query']);
  });

  it('when occurredAt is beyond the configured future skew, then 400; within it, then 202', async () => {
    const { app } = setup({ ingest: { maxFutureSkewMs: 60_000 } });
    const tooFar = await request(app)
      .post('/api/v1/activities')
      .send(anActivityInput({ occurredAt: '2026-01-01T10:01:30Z' }));
    const justInside = await request(app)
      .post('/api/v1/activities')
      .send(anActivityInput({ occurredAt: '2026-01-01T10:00:30Z' }));

    expectProblem(tooFar, 400, 'validation-failed');
    expect(pathsOf(tooFar)).toEqual(['occurredAt']);
    expect(justInside.status).toBe(202);
  });

  it.each([
    ['broken JSON', '{"userId": "u1",'],
    ['a bare string', '"hello"'],
  ])('when the body is %s, then 400 malformed JSON', async (_label, body) => {
    const { app, publisher } = setup();
    const res = await request(app).post('/api/v1/activities').set('Content-Type', 'application/json').send(body);

    expectProblem(res, 400, 'malformed-json');
    expect(publisher.sends).toHaveLength(0);
  });

  it.each([
    ['an empty body', undefined],
    ['an array', '[]'],
    ['null', 'null'],
  ])('when the JSON body is %s, then 400 validation at the root', async (_label, body) => {
    const { app } = setup();
    const req = request(app).post('/api/v1/activities').set('Content-Type', 'application/json');
    const res = await (body === undefined ? req : req.send(body));

    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('when metadata holds thousands of forbidden keys, then 400 lists the first 100 and counts them all', async () => {
    const { app } = setup();
    const metadata = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`$k${i}`, 0]));
    const res = await request(app).post('/api/v1/activities').send(anActivityInput({ metadata }));

    expectProblem(res, 400, 'validation-failed');
    expect(res.body.errors).toHaveLength(100);
    expect(res.body.errors[0]).toEqual({ path: 'metadata.$k0', message: expect.any(String), rule: 'metadata-content' });
    expect(res.body.errorCount).toBe(3000);
  });

  it('when the body exceeds the single-event limit, then 413 and nothing is published', async () => {
    const { app, publisher } = setup({ config: { bodyLimits: { singleBytes: 2048, batchBytes: 1024 * 1024 } } });
    const input = anActivityInput({ metadata: { note: 'x'.repeat(3000) } });
    const res = await request(app).post('/api/v1/activities').send(input);

    expectProblem(res, 413, 'payload-too-large');
    expect(publisher.sends).toHaveLength(0);
  });

  it('when the default single-event limit (64 KB) is exceeded, then 413', async () => {
    const { app } = setup();
    const res = await request(app)
      .post('/api/v1/activities')
      .send(anActivityInput({ metadata: { note: 'x'.repeat(65 * 1024) } }));

    expectProblem(res, 413, 'payload-too-large');
  });

  it.each([
    ['text/plain', 'userId=u1'],
    ['application/x-www-form-urlencoded', 'userId=u1&type=LOGIN'],
  ])('when the body is %s, then 415', async (contentType, body) => {
    const { app, publisher } = setup();
    const res = await request(app).post('/api/v1/activities').set('Content-Type', contentType).send(body);

    expectProblem(res, 415, 'unsupported-media-type');
    expect(publisher.sends).toHaveLength(0);
  });

  it('when there is no Content-Type at all, then 415', async () => {
    const { app } = setup();
    const res = await request(app).post('/api/v1/activities');

    expectProblem(res, 415, 'unsupported-media-type');
  });

  it('when the JSON is declared with a charset or a +json type, then it is accepted', async () => {
    const { app } = setup();
    const body = JSON.stringify(anActivityInput());
    const withCharset = await request(app)
      .post('/api/v1/activities')
      .set('Content-Type', 'application/json; charset=utf-8')
      .send(body);
    const vendor = await request(app)
      .post('/api/v1/activities')
      .set('Content-Type', 'application/vnd.uap+json')
      .send(JSON.stringify(anActivityInput()));

    expect(withCharset.status).toBe(202);
    expect(vendor.status).toBe(202);
  });

  it('when the publisher reports the broker unavailable, then 503 with Retry-After', async () => {
    const { app, publisher } = setup({ config: { retryAfterSeconds: 7 } });
    publisher.failWith = new DomainError('SERVICE_UNAVAILABLE', 'The event stream is unavailable', { retriable: true });
    const res = await request(app).post('/api/v1/activities').send(anActivityInput());

    expectProblem(res, 503, 'service-unavailable');
    expect(res.headers['retry-after']).toBe('7');
  });

  it('when the publisher fails unexpectedly, then 500 without stack trace or internal message', async () => {
    const { app, publisher } = setup();
    publisher.failWith = new Error('secret internal detail');
    const res = await request(app).post('/api/v1/activities').send(anActivityInput());

    expectProblem(res, 500, 'internal');
    expect(res.text).not.toContain('secret internal detail');
    expect(res.text).not.toMatch(/\bat .*\.(ts|js):\d+/);
  });

  it('when trust proxy is off, then X-Forwarded-For is ignored; when on, then the client address is used', async () => {
    const direct = setup();
    const proxied = setup({ config: { trustProxy: true } });
    await request(direct.app).post('/api/v1/activities').set('X-Forwarded-For', '203.0.113.9').send(anActivityInput());
    await request(proxied.app).post('/api/v1/activities').set('X-Forwarded-For', '203.0.113.9').send(anActivityInput());

    expect(direct.publisher.events[0]!.context.ip).not.toBe('203.0.113.9');
    expect(proxied.publisher.events[0]!.context.ip).toBe('203.0.113.9');
  });

  it('when the User-Agent is longer than the contract allows, then it is trimmed, not rejected', async () => {
    const { app, publisher } = setup();
    const res = await request(app)
      .post('/api/v1/activities')
      .set('User-Agent', 'u'.repeat(2000))
      .send(anActivityInput());

    expect(res.status).toBe(202);
    expect(publisher.events[0]!.context.userAgent).toHaveLength(512);
  });
});

describe('the activity contract at the API edge', () => {
  const nested = (depth: number): Record<string, unknown> =>
    depth <= 1 ? { leaf: true } : { child: nested(depth - 1) };

  it.each([
    ['a userId of 129 characters', { userId: 'u'.repeat(129) }, 'userId'],
    ['a userId with a slash', { userId: 'a/b' }, 'userId'],
    ['a lower-case type', { type: 'login' }, 'type'],
    ['an eventId that is not a UUID', { eventId: '1234' }, 'eventId'],
    ['occurredAt without an offset', { occurredAt: '2026-01-01T09:00:00' }, 'occurredAt'],
    ['occurredAt as a number', { occurredAt: 1767258000000 }, 'occurredAt'],
    ['an empty sessionId', { sessionId: '' }, 'sessionId'],
    ['metadata that is an array', { metadata: [1, 2] }, 'metadata'],
    ['metadata nested 6 deep', { metadata: nested(6) }, 'metadata.child.child.child.child.child'],
    ['a metadata key starting with $', { metadata: { $gt: 1 } }, 'metadata.$gt'],
    ['a metadata key with a dot', { metadata: { 'a.b': 1 } }, 'metadata.a.b'],
    ['a metadata key named prototype', { metadata: { prototype: {} } }, 'metadata.prototype'],
    ['metadata above 8 KB', { metadata: { blob: 'b'.repeat(8 * 1024) } }, 'metadata'],
    ['a LOGIN method of 65 characters', { type: 'LOGIN', metadata: { method: 'm'.repeat(65) } }, 'metadata.method'],
    ['a LOGIN success that is a string', { type: 'LOGIN', metadata: { success: 'true' } }, 'metadata.success'],
    ['a SEARCH query of 513 characters', { type: 'SEARCH', metadata: { query: 'q'.repeat(513) } }, 'metadata.query'],
  ])('when the event has %s, then 400 names the field', async (_label, override, path) => {
    const { app, publisher } = setup();
    const res = await request(app)
      .post('/api/v1/activities')
      .send({ ...anActivityInput(), ...override });

    expectProblem(res, 400, 'validation-failed');
    expect(pathsOf(res)).toContain(path);
    expect(publisher.sends).toHaveLength(0);
  });

  it('when metadata holds an array inside an array, then 400 names the path and the rule, as FerretDB could not store it', async () => {
    const { app, publisher } = setup();
    const res = await request(app)
      .post('/api/v1/activities')
      .send(anActivityInput({ metadata: { a: [[1]] } }));

    expectProblem(res, 400, 'validation-failed');
    expect(res.body.errors).toEqual([
      {
        path: 'metadata.a.0',
        message: expect.stringMatching(/^nested arrays are not supported/),
        rule: 'metadata-content',
      },
    ]);
    expect(publisher.sends).toHaveLength(0);
  });

  it('when metadata has an own __proto__ key, then 400 names it', async () => {
    const { app } = setup();
    const body = `{"userId":"u1","type":"LOGOUT","metadata":{"__proto__":{"admin":true}}}`;
    const res = await request(app).post('/api/v1/activities').set('Content-Type', 'application/json').send(body);

    expectProblem(res, 400, 'validation-failed');
    expect(pathsOf(res)).toContain('metadata.__proto__');
  });

  it.each([
    ['a userId of 128 characters with every allowed symbol', { userId: `${'u'.repeat(120)}_.:@-A9z` }],
    ['a new type from the shared list', { type: 'PAGE_VIEW', metadata: { path: '/home' } }],
    ['occurredAt with a +02:00 offset', { occurredAt: '2026-01-01T11:00:00+02:00' }],
    ['occurredAt exactly at the skew limit', { occurredAt: '2026-01-01T10:05:00Z' }],
    ['a sessionId', { sessionId: 'sess:42' }],
    ['metadata nested exactly 5 deep', { metadata: nested(5) }],
    ['a LOGIN without metadata', { type: 'LOGIN', metadata: undefined }],
    ['a SEARCH query of 512 characters', { type: 'SEARCH', metadata: { query: 'q'.repeat(512) } }],
    ['extra client keys in metadata', { type: 'SEARCH', metadata: { query: 'q', page: 2, filters: ['x'] } }],
  ])('when the event has %s, then 202', async (_label, override) => {
    const { app, publisher } = setup();
    const res = await request(app)
      .post('/api/v1/activities')
      .send({ ...anActivityInput(), ...override });

    expect(res.status).toBe(202);
    expect(publisher.events).toHaveLength(1);
  });
});

describe('POST /api/v1/activities/batch', () => {
  const batchOf = (n: number) => ({
    events: Array.from({ length: n }, (_, i) => anActivityInput({ userId: `u${i}` })),
  });

  it('when every event is valid, then 202 lists the ids in order after one send', async () => {
    const { app, publisher } = setup();
    const body = batchOf(3);
    const res = await request(app).post('/api/v1/activities/batch').send(body);

    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: 3, eventIds: body.events.map((e) => e.eventId) });
    expect((res.body.receipts as string[]).map((r) => TEST_RECEIPTS.decodeReceipt(r))).toMatchObject(
      body.events.map((e, offset) => ({ eventId: e.eventId, partition: 0, offset })),
    );
    expect(TEST_RECEIPTS.decodeToken(res.body.consistencyToken)?.positions).toEqual(new Map([[0, 2]]));
    expect(publisher.sends).toHaveLength(1);
    expect(publisher.events.map((e) => e.userId)).toEqual(['u0', 'u1', 'u2']);
    expect(new Set(publisher.events.map((e) => e.receivedAt))).toEqual(new Set([NOW.toISOString()]));
  });

  it('when one event is invalid, then 400 names it by index and nothing is published', async () => {
    const { app, publisher } = setup();
    const body = batchOf(5);
    body.events[3] = { ...body.events[3]!, userId: '' };
    body.events[4] = { ...body.events[4]!, type: 'SEARCH', metadata: {} };
    const res = await request(app).post('/api/v1/activities/batch').send(body);

    expectProblem(res, 400, 'validation-failed');
    expect(new Set(pathsOf(res))).toEqual(new Set(['events.3.userId', 'events.4.metadata.query']));
    expect(publisher.sends).toHaveLength(0);
  });

  it('when one event holds an array inside an array, then 400 names it by index with the rule and nothing is published', async () => {
    const { app, publisher } = setup();
    const body = batchOf(3);
    body.events[1] = { ...body.events[1]!, metadata: { matrix: [[1, 2], { ok: [3] }] } };
    const res = await request(app).post('/api/v1/activities/batch').send(body);

    expectProblem(res, 400, 'validation-failed');
    expect(res.body.errors).toEqual([
      {
        path: 'events.1.metadata.matrix.0',
        message: expect.stringMatching(/^nested arrays are not supported/),
        rule: 'metadata-content',
      },
    ]);
    expect(publisher.sends).toHaveLength(0);
  });

  it.each([
    [0, 400],
    [1, 202],
    [500, 202],
    [501, 400],
  ])('when the batch has %i events, then %i', async (n, status) => {
    const { app, publisher } = setup();
    const res = await request(app).post('/api/v1/activities/batch').send(batchOf(n));

    expect(res.status).toBe(status);
    if (status === 400) {
      expect(pathsOf(res)).toEqual(['events']);
      expect(publisher.sends).toHaveLength(0);
    } else {
      expect(publisher.events).toHaveLength(n);
    }
  });

  it.each([
    ['no events key', { items: [] }, ['(root)', 'events']],
    ['events that is not an array', { events: {} }, ['events']],
  ])('when the body has %s, then 400 at the right paths', async (_label, body, paths) => {
    const { app } = setup();
    const res = await request(app).post('/api/v1/activities/batch').send(body);

    expectProblem(res, 400, 'validation-failed');
    expect(pathsOf(res).sort()).toEqual(paths);
  });

  it('when the batch is above the single-event limit but below 1 MB, then it is accepted', async () => {
    const { app } = setup();
    const events = Array.from({ length: 20 }, () => anActivityInput({ metadata: { note: 'x'.repeat(7000) } }));
    const res = await request(app).post('/api/v1/activities/batch').send({ events });

    expect(res.status).toBe(202);
  });

  it('when the batch body exceeds 1 MB, then 413 and nothing is published', async () => {
    const { app, publisher } = setup();
    const events = Array.from({ length: 140 }, () => anActivityInput({ metadata: { note: 'x'.repeat(7900) } }));
    const res = await request(app).post('/api/v1/activities/batch').send({ events });

    expectProblem(res, 413, 'payload-too-large');
    expect(publisher.sends).toHaveLength(0);
  });

  it('when the body is not JSON, then 415', async () => {
    const { app } = setup();
    const res = await request(app).post('/api/v1/activities/batch').set('Content-Type', 'text/csv').send('a,b');

    expectProblem(res, 415, 'unsupported-media-type');
  });

  it('when the broker is unavailable, then 503 with Retry-After', async () => {
    const { app, publisher } = setup();
    publisher.failWith = new DomainError('SERVICE_UNAVAILABLE', 'down', { retriable: true });
    const res = await request(app).post('/api/v1/activities/batch').send(batchOf(2));

    expectProblem(res, 503, 'service-unavailable');
    expect(res.headers['retry-after']).toBe('5');
  });
});

describe('routing, request ids and headers', () => {
  it('when the route is unknown, then 404 problem+json', async () => {
    const { app } = setup();
    const res = await request(app).get('/api/v1/nothing-here');

    expectProblem(res, 404, 'not-found');
  });

  it.each([
    ['PUT', '/api/v1/activities/batch'],
    ['GET', '/api/v1/activities/batch'],
    ['DELETE', '/api/v1/activities'],
    ['PATCH', '/api/v1/activities/'],
  ])('when %s %s is called, then 405 with Allow: POST', async (method, path) => {
    const { app } = setup();
    const res = await request(app)[method.toLowerCase() as 'put'](path);

    expectProblem(res, 405, 'method-not-allowed');
    expect(res.headers['allow']).toContain('POST');
  });

  it('when POST hits a probe, then 405 with Allow: GET, HEAD', async () => {
    const { app } = setup();
    const res = await request(app).post('/healthz');

    expectProblem(res, 405, 'method-not-allowed');
    expect(res.headers['allow']).toBe('GET, HEAD');
  });

  it.each([
    ['a simple id', 'abc-123', true],
    ['an id with every allowed symbol', 'Ab.9_x:y-z', true],
    ['128 characters', 'r'.repeat(128), true],
    ['129 characters', 'r'.repeat(129), false],
    ['a space', 'abc 123', false],
    ['a quote', 'abc"123', false],
  ])('when X-Request-Id is %s, then it is echoed only if sane', async (_label, id, echoed) => {
    const { app, publisher } = setup();
    const res = await request(app).post('/api/v1/activities').set('X-Request-Id', id).send(anActivityInput());

    const returned = res.headers['x-request-id'];
    if (echoed) expect(returned).toBe(id);
    else expect(returned).toMatch(UUID);
    expect(publisher.sends[0]!.meta.requestId).toBe(returned);
  });

  it('when no X-Request-Id is sent, then every response, errors included, carries a generated one', async () => {
    const { app } = setup();
    const ok = await request(app).get('/healthz');
    const missing = await request(app).get('/missing');

    expect(ok.headers['x-request-id']).toMatch(UUID);
    expect(missing.headers['x-request-id']).toMatch(UUID);
    expect(ok.headers['x-request-id']).not.toBe(missing.headers['x-request-id']);
  });

  it('when any response is sent, then security headers are set and X-Powered-By is not', async () => {
    const { app } = setup();
    const res = await request(app).get('/healthz');

    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBeDefined();
  });

  it('when the same client eventId is sent twice, then both are accepted with that id (the worker dedups)', async () => {
    const { app, publisher } = setup();
    const input = anActivityInput({ eventId: randomUUID() });
    await request(app).post('/api/v1/activities').send(input).expect(202);
    await request(app).post('/api/v1/activities').send(input).expect(202);

    expect(publisher.events.map((e) => e.eventId)).toEqual([input.eventId, input.eventId]);
  });
});
