import { connect } from 'node:net';
import { anActivityInput } from '@uap/shared/testing';
import { hashApiKey } from '../api-service/src/domain/api-key';
import { WorkerTestbed } from '../worker-service/src/testing/worker-testbed';
import { requiredEnv, uniqueName } from './support/integration';
import { ServiceProcess } from './support/service-process';
import { SseClient } from './support/sse-client';

const KEY = 'k-stream-int';
const OTHER_KEY = 'k-stream-int-2';
const auth = (key = KEY) => ({ 'X-API-Key': key });
const IDLE_STOP_MS = 300;

describe('the live activity stream (SSE) on the real broker', () => {
  const bed = new WorkerTestbed(3);
  let api: ServiceProcess;
  const clients: SseClient[] = [];
  const open = async (query = '', headers: Record<string, string> = auth()) => {
    const client = await SseClient.open(`${api.url}/api/v1/activities/stream${query}`, headers);
    clients.push(client);
    return client;
  };
  const post = async (events: object[]) => {
    const res = await fetch(`${api.url}/api/v1/activities/batch`, {
      method: 'POST',
      headers: { ...auth(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ events }),
    });
    expect(res.status).toBe(202);
  };

  beforeAll(async () => {
    await bed.setUp();
    api = await ServiceProcess.start('api', 'stream-api', {
      KAFKA_BROKERS: requiredEnv('KAFKA_BROKERS'),
      MONGO_URL: requiredEnv('MONGO_URL'),
      MONGO_DB: bed.dbName,
      ACTIVITIES_TOPIC: bed.topic,
      ACTIVITIES_TOPIC_PARTITIONS: String(bed.partitions),
      API_KEYS: `${hashApiKey(KEY)}:ingest+read,${hashApiKey(OTHER_KEY)}:read`,
      NODE_ENV: 'production',
      RECEIPT_SECRET: 'a-secret-for-the-stream-integration-test',
      STREAM_MAX_CONNECTIONS_PER_KEY: '6',
      STREAM_QUEUE_SIZE: '50',
      STREAM_TICKET_TTL_MS: '1500',
      STREAM_HEARTBEAT_MS: '500',
      // Stops reading the topic soon after the last stream closed, so the tests resume across a stopped feed.
      STREAM_IDLE_STOP_MS: String(IDLE_STOP_MS),
    });
    await api.waitUntilReady(30_000);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await api?.stop();
    await bed.tearDown();
  });

  it('when a stream is filtered by user and types, then it gets exactly the matching events, in per-user order', async () => {
    const user = uniqueName('live');
    const stream = await open(`?userId=${user}&type=LOGIN,LOGOUT`);
    const events = Array.from({ length: 40 }, (_, i) =>
      anActivityInput({
        userId: i % 2 === 0 ? user : `${user}-other`,
        type: (['LOGIN', 'LOGOUT', 'PAGE_VIEW'] as const)[i % 3],
        metadata: { i },
      }),
    );
    const expected = events.filter((e) => e.userId === user && e.type !== 'PAGE_VIEW').map((e) => e.eventId);

    await post(events.slice(0, 20));
    await post(events.slice(20));
    await stream.waitFor(`${expected.length} events`, (c) => c.activities().length >= expected.length);
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(stream.activities().map((a) => a.eventId)).toEqual(expected);
    expect(stream.comments).toBeGreaterThan(0);
  });

  it('when a client disconnects and resumes with Last-Event-ID, then it gets the missed events exactly once', async () => {
    const user = uniqueName('resume');
    const first = await open(`?userId=${user}`);
    const before = Array.from({ length: 5 }, () => anActivityInput({ userId: user }));
    await post(before);
    await first.waitFor('5 events', (c) => c.activities().length >= 5);
    const lastId = first.lastId()!;
    await first.close();

    const missed = Array.from({ length: 7 }, () => anActivityInput({ userId: user }));
    await post(missed);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const resumed = await open(`?userId=${user}`, { ...auth(), 'Last-Event-ID': lastId });
    const after = anActivityInput({ userId: user });
    await post([after]);
    await resumed.waitFor('8 events', (c) => c.activities().length >= 8);
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(resumed.activities().map((a) => a.eventId)).toEqual([...missed, after].map((e) => e.eventId));
  });

  it('when a client does not read, then it later gets dropped with a count and the server keeps going', async () => {
    const user = uniqueName('slow');
    // A raw socket that sends the request and then reads nothing for a while.
    const socket = connect(api.port, '127.0.0.1');
    socket.write(
      `GET /api/v1/activities/stream?userId=${user} HTTP/1.1\r\nHost: x\r\nX-API-Key: ${KEY}\r\nAccept: text/event-stream\r\n\r\n`,
    );
    socket.pause();
    const big = 'x'.repeat(6_000);
    for (let i = 0; i < 10; i++) {
      await post(Array.from({ length: 100 }, () => anActivityInput({ userId: user, metadata: { big } })));
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.resume();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    socket.destroy();

    const dropped = /event: dropped\ndata: \{"count":(\d+)\}/.exec(text);
    expect(dropped).not.toBeNull();
    expect(Number(dropped![1])).toBeGreaterThan(0);
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(Number(/uap_stream_events_dropped_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
    // The server kept serving: a fresh stream still works.
    const fresh = await open(`?userId=${user}`);
    await post([anActivityInput({ userId: user })]);
    await fresh.waitFor('1 event', (c) => c.activities().length >= 1);
  });

  it('when a key opens more streams than its cap, then it gets 429 with Retry-After', async () => {
    const streams = await Promise.all(Array.from({ length: 6 }, () => open('', auth(OTHER_KEY))));
    expect(streams.every((s) => s.status === 200)).toBe(true);
    const res = await fetch(`${api.url}/api/v1/activities/stream`, { headers: auth(OTHER_KEY) });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    await Promise.all(streams.map((s) => s.close()));
  });

  it('when a browser uses a ticket, then it connects once; a reused or expired ticket is 401', async () => {
    const issue = async () =>
      (
        (await (await fetch(`${api.url}/api/v1/stream-tickets`, { method: 'POST', headers: auth() })).json()) as {
          ticket: string;
        }
      ).ticket;
    const ticket = await issue();
    const withTicket = await open(`?ticket=${ticket}`, {});
    expect(withTicket.status).toBe(200);
    expect((await fetch(`${api.url}/api/v1/activities/stream?ticket=${ticket}`)).status).toBe(401);
    const late = await issue();
    await new Promise((resolve) => setTimeout(resolve, 1_700));
    expect((await fetch(`${api.url}/api/v1/activities/stream?ticket=${late}`)).status).toBe(401);
    expect(api.logs.join('\n')).not.toContain(ticket);
  });

  it.each([
    '?from=2026-01-01T00:00:00Z',
    '?cursor=abc',
    '?limit=5',
    '?page=1',
    '?type=tele-port',
    '?userId[$ne]=x',
    '?lastEventId=!!!',
  ])('when the query is hostile (%s), then it is a 400 problem', async (query) => {
    const res = await fetch(`${api.url}/api/v1/activities/stream${query}`, { headers: auth() });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
  });

  it('when every stream has closed, then the api stops reading the topic, and a resume after that still gets every missed event', async () => {
    const user = uniqueName('idle');
    const first = await open(`?userId=${user}`);
    const before = anActivityInput({ userId: user });
    await post([before]);
    await first.waitFor('1 event', (c) => c.activities().length >= 1);
    const lastId = first.lastId()!;
    await Promise.all(clients.splice(0).map((c) => c.close()));
    const stopped = () => api.logs.filter((l) => l.includes('live stream feed stopped')).length;
    const stopsBefore = stopped();
    const deadline = Date.now() + IDLE_STOP_MS + 10_000;
    while (stopped() === stopsBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(stopped()).toBeGreaterThan(stopsBefore);

    const missed = Array.from({ length: 4 }, () => anActivityInput({ userId: user }));
    await post(missed);
    const resumed = await open(`?userId=${user}`, { ...auth(), 'Last-Event-ID': lastId });
    await resumed.waitFor('4 events', (c) => c.activities().length >= 4);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(resumed.activities().map((a) => a.eventId)).toEqual(missed.map((e) => e.eventId));
  });

  it('when the api gets SIGTERM, then every open stream ends with a reconnect event and the process exits 0', async () => {
    const streams = [await open(), await open('?type=LOGIN')];
    api.kill('SIGTERM');
    await Promise.all(streams.map((s) => s.finished()));
    expect(await api.exited).toEqual({ code: 0, signal: null });
    for (const s of streams) expect(s.events.at(-1)?.event).toBe('reconnect');
  });
});
