import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { anActivityInput } from '@uap/shared/testing';
import request from 'supertest';
import { InMemoryActivityPublisher } from '../../testing/in-memory-activity.publisher';
import { testApp } from '../../testing/test-app';

const BATCH = '/api/v1/activities/batch';
const MB = 1024 * 1024;

function setup() {
  const publisher = new InMemoryActivityPublisher();
  return { publisher, app: testApp({ publisher }) };
}

function expectProblem(res: request.Response, status: number, slug: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type: `urn:uap:problem:${slug}`, status });
}

const gzipped = (body: unknown) => gzipSync(Buffer.from(JSON.stringify(body)));

/** Sends the bytes as they are (superagent would JSON-encode a Buffer sent as application/json). */
function postRaw(app: ReturnType<typeof setup>['app'], path: string, headers: Record<string, string>, body: Buffer) {
  return (
    request(app)
      .post(path)
      .set({ 'Content-Type': 'application/json', ...headers })
      // superagent's typings want a string; a Buffer goes out untouched all the same.
      .serialize((raw: Buffer) => raw as unknown as string)
      .send(body)
  );
}

describe('gzip request bodies', () => {
  it('when a batch arrives gzip-encoded, then it is inflated, validated and published like a plain one', async () => {
    const { app, publisher } = setup();
    const events = [anActivityInput({ userId: 'gz-1' }), anActivityInput({ userId: 'gz-2' })];
    const res = await postRaw(app, BATCH, { 'Content-Encoding': 'gzip' }, gzipped({ events }));

    expect(res.status).toBe(202);
    expect(res.body.eventIds).toEqual(events.map((e) => e.eventId));
    expect(publisher.events.map((e) => e.userId)).toEqual(['gz-1', 'gz-2']);
  });

  it('when a single event arrives as x-gzip with an explicit UTF-8 charset, then it is accepted', async () => {
    const { app, publisher } = setup();
    const event = anActivityInput({ metadata: { note: 'grüße' } });
    const res = await postRaw(
      app,
      '/api/v1/activities',
      { 'Content-Encoding': 'x-gzip', 'Content-Type': 'application/json; charset=utf-8' },
      gzipped(event),
    );

    expect(res.status).toBe(202);
    expect(publisher.events[0]!.metadata).toEqual({ note: 'grüße' });
  });

  it('when the batch is under 1 MB compressed but over 1 MB inflated, then 413 and nothing is published', async () => {
    const { app, publisher } = setup();
    const events = Array.from({ length: 140 }, () => anActivityInput({ metadata: { note: 'x'.repeat(7900) } }));
    const body = gzipped({ events });
    expect(body.length).toBeLessThan(MB);
    const res = await postRaw(app, BATCH, { 'Content-Encoding': 'gzip' }, body);

    expectProblem(res, 413, 'payload-too-large');
    expect(res.body.detail).toContain('decompressed');
    expect(publisher.sends).toHaveLength(0);
  });

  it('when a 10 MB-of-zeros bomb arrives in ~10 KB, then 413', async () => {
    const { app, publisher } = setup();
    const bomb = gzipSync(Buffer.alloc(10 * MB));
    expect(bomb.length).toBeLessThan(20 * 1024);
    const res = await postRaw(app, BATCH, { 'Content-Encoding': 'gzip' }, bomb);

    expectProblem(res, 413, 'payload-too-large');
    expect(publisher.sends).toHaveLength(0);
  });

  it('when the body claims gzip but is not, then 400', async () => {
    const { app } = setup();
    const res = await postRaw(app, BATCH, { 'Content-Encoding': 'gzip' }, Buffer.from('{"events":[]}'));

    expectProblem(res, 400, 'bad-request');
    expect(res.body.detail).toMatch(/not valid gzip/);
  });

  it('when the gzip stream is cut short, then 400', async () => {
    const { app } = setup();
    const whole = gzipped({ events: [anActivityInput()] });
    const res = await postRaw(app, BATCH, { 'Content-Encoding': 'gzip' }, whole.subarray(0, whole.length - 12));

    expectProblem(res, 400, 'bad-request');
  });

  it('when the inflated body is not JSON, then 400 malformed-json', async () => {
    const { app } = setup();
    const res = await postRaw(app, BATCH, { 'Content-Encoding': 'gzip' }, gzipSync('{"events": ['));

    expectProblem(res, 400, 'malformed-json');
  });

  it.each(['br', 'deflate', 'compress', 'gzip, br'])(
    'when the Content-Encoding is %s, then 415 naming gzip in Accept-Encoding',
    async (encoding) => {
      const { app, publisher } = setup();
      const res = await postRaw(app, BATCH, { 'Content-Encoding': encoding }, gzipped({ events: [anActivityInput()] }));

      expectProblem(res, 415, 'unsupported-media-type');
      expect(res.headers['accept-encoding']).toBe('gzip');
      expect(publisher.sends).toHaveLength(0);
    },
  );

  it('when a gzip body declares a charset other than UTF-8, then 415', async () => {
    const { app } = setup();
    const res = await postRaw(
      app,
      BATCH,
      { 'Content-Encoding': 'gzip', 'Content-Type': 'application/json; charset=latin1' },
      gzipped({ events: [anActivityInput()] }),
    );

    expectProblem(res, 415, 'unsupported-media-type');
  });

  describe('on a real socket', () => {
    let server: Server;
    beforeAll(async () => {
      server = setup().app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('when a bomb is still being sent, then 413 arrives before the body is complete (inflation stopped early)', async () => {
      const bomb = gzipSync(Buffer.alloc(200 * MB));
      const { port } = server.address() as AddressInfo;
      // Only the first 16 KB (a few MB inflated) are sent, and the request is never ended: an answer
      // can only come from a server that stopped reading once the inflated bytes passed the limit.
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: BATCH,
            headers: {
              'Content-Type': 'application/json',
              'Content-Encoding': 'gzip',
              'Content-Length': String(bomb.length),
            },
          },
          (res) => {
            let body = '';
            res.on('data', (chunk: Buffer) => (body += chunk.toString()));
            res.on('end', () => {
              req.destroy();
              resolve({ status: res.statusCode ?? 0, body });
            });
          },
        );
        req.on('error', reject);
        req.setTimeout(5_000, () => req.destroy(new Error('no answer within 5 s while the body was still open')));
        req.write(bomb.subarray(0, 16 * 1024));
      });

      expect(bomb.length).toBeGreaterThan(16 * 1024);
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toMatchObject({ type: 'urn:uap:problem:payload-too-large' });
    });
  });
});
