import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitUntil } from '../../test/support/wait-until';
import { StreamFollower, type TailIo } from './stream-follower';
import type { TailOptions } from './tail-options';

type Handler = (req: IncomingMessage, res: ServerResponse, attempt: number) => void;

/** A fake stream endpoint: the nth request is served by the nth handler (the last one repeats). */
async function fakeStream(handlers: Handler[]): Promise<{ url: string; requests: IncomingMessage[]; server: Server }> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    const attempt = requests.length;
    handlers[Math.min(attempt, handlers.length) - 1]!(req, res, attempt);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

const sse = (res: ServerResponse, body = 'retry: 20\n\n') => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(body);
};
const activity = (id: string, eventId: string) =>
  `id: ${id}\nevent: activity\ndata: ${JSON.stringify({
    eventId,
    userId: 'alice',
    type: 'SEARCH',
    occurredAt: '2026-11-28T09:00:00.000Z',
    metadata: { query: eventId },
  })}\n\n`;
/** Holds the response open until the client goes away. */
const hold: Handler = (_req, res) => sse(res);

function recorder(): TailIo & { lines: string[]; notices: string[] } {
  const lines: string[] = [];
  const notices: string[] = [];
  return { lines, notices, out: (line) => lines.push(line), err: (line) => notices.push(line) };
}

describe('stream follower', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  async function follow(handlers: Handler[], options: Partial<TailOptions> = {}, idleTimeoutMs = 5_000) {
    const fake = await fakeStream(handlers);
    server = fake.server;
    const io = recorder();
    const interrupt = new AbortController();
    const follower = new StreamFollower({ url: fake.url, json: true, ...options }, io, {
      signal: interrupt.signal,
      retryMs: 10,
      idleTimeoutMs,
    });
    const done = follower.run();
    return { ...fake, io, follower, done, interrupt };
  }

  it('when the server ends the stream, then it reconnects with Last-Event-ID of the last activity printed', async () => {
    const run = await follow([
      (_req, res) => {
        sse(res);
        res.end(activity('p1', 'e1') + activity('p2', 'e2'));
      },
      (_req, res) => {
        sse(res);
        res.write(activity('p3', 'e3'));
      },
    ]);
    await waitUntil('the third activity', () => (run.io.lines.length === 3 ? true : undefined), { intervalMs: 10 });
    run.interrupt.abort();
    await expect(run.done).resolves.toBe(0);
    expect(run.requests.map((r) => r.headers['last-event-id'])).toEqual([undefined, 'p2']);
    expect(run.io.lines.map((line) => (JSON.parse(line) as { eventId: string }).eventId)).toEqual(['e1', 'e2', 'e3']);
    expect(run.io.notices).toEqual([
      'tail: the server closed the stream; reconnecting in 20 ms',
      'tail: reconnected, resuming after the last event printed',
    ]);
  });

  it('when the server says reconnect, then it waits its retryMs and resumes; filters and key are sent each time', async () => {
    const run = await follow(
      [
        (_req, res) => {
          sse(res);
          res.end(`${activity('p1', 'e1')}event: reconnect\ndata: {"reason":"lifetime","retryMs":5}\n\n`);
        },
        hold,
      ],
      { types: ['SEARCH', 'LOGIN'], userId: 'alice', key: 'uap-demo-key' },
    );
    await waitUntil('the second request', () => (run.requests.length === 2 ? true : undefined), { intervalMs: 10 });
    run.interrupt.abort();
    await run.done;
    expect(run.io.notices[0]).toBe('tail: the server asked to reconnect (lifetime); reconnecting in 5 ms');
    for (const req of run.requests) {
      expect(req.url).toBe('/api/v1/activities/stream?userId=alice&type=SEARCH%2CLOGIN');
      expect(req.headers['x-api-key']).toBe('uap-demo-key');
      expect(req.headers['accept']).toBe('text/event-stream');
    }
    expect(run.requests[1]!.headers['last-event-id']).toBe('p1');
  });

  it('when the connection breaks mid-stream or goes silent, then it resumes from the last id either way', async () => {
    const run = await follow(
      [
        (_req, res) => {
          sse(res, `retry: 5\n\n${activity('p1', 'e1')}`);
          setTimeout(() => res.socket?.destroy(), 20);
        },
        (_req, res) => sse(res, `retry: 5\n\n${activity('p2', 'e2')}`), // then silence: no heartbeat
        hold,
      ],
      {},
      200,
    );
    await waitUntil('the third request', () => (run.requests.length === 3 ? true : undefined), { intervalMs: 10 });
    run.interrupt.abort();
    await run.done;
    expect(run.requests.map((r) => r.headers['last-event-id'])).toEqual([undefined, 'p1', 'p2']);
    expect(run.io.notices.join('\n')).toMatch(/connection lost .*\n.*reconnected[^]*nothing heard for 200 ms/);
  });

  it('when events were dropped or the position reset, then notices go to stderr and the stream goes on', async () => {
    const run = await follow(
      [
        (_req, res) =>
          sse(
            res,
            `retry: 20\n\nevent: reset\ndata: {"reason":"too old"}\n\nevent: dropped\ndata: {"count":7}\n\n: heartbeat\n\n${activity('p9', 'e9')}`,
          ),
      ],
      { json: false },
    );
    await waitUntil('the activity', () => (run.io.lines.length === 1 ? true : undefined), { intervalMs: 10 });
    run.interrupt.abort();
    await expect(run.done).resolves.toBe(0);
    expect(run.io.lines[0]).toMatch(/^2026-11-28T09:00:00.000Z {2}SEARCH +alice +e9 +query=e9$/);
    expect(run.io.notices).toEqual([
      expect.stringContaining('reset: too old'),
      expect.stringContaining('7 events dropped'),
    ]);
    expect(run.follower.position()).toBe('p9');
  });

  it('when the API says 429, then it waits Retry-After before trying again', async () => {
    const run = await follow([
      (_req, res) => {
        res.writeHead(429, { 'content-type': 'application/problem+json', 'retry-after': '0' });
        res.end(JSON.stringify({ title: 'Too Many Requests', status: 429, detail: 'Too many open streams' }));
      },
      hold,
    ]);
    await waitUntil('the second request', () => (run.requests.length === 2 ? true : undefined), { intervalMs: 10 });
    run.interrupt.abort();
    await run.done;
    expect(run.io.notices[0]).toBe(
      'tail: the API has too many open streams (429: Too many open streams); reconnecting in 0 ms',
    );
  });

  it.each([400, 401, 403, 404])(
    'when the API refuses with %i, then it stops with exit 2 and shows the problem',
    async (status) => {
      const run = await follow([
        (_req, res) => {
          res.writeHead(status, { 'content-type': 'application/problem+json' });
          res.end(
            JSON.stringify({ title: 'Refused', status, detail: 'no', errors: [{ path: 'from', message: 'not here' }] }),
          );
        },
      ]);
      await expect(run.done).resolves.toBe(2);
      expect(run.requests).toHaveLength(1);
      expect(run.io.notices[0]).toBe(
        `tail: HTTP ${status} Refused: no\n  from: not here${status === 401 || status === 403 ? '\n  (the stream needs an API key with the read scope: --key or UAP_API_KEY)' : ''}`,
      );
    },
  );

  it('when the API answers 503, then it retries after a backoff instead of giving up', async () => {
    const run = await follow([
      (_req, res) => {
        res.writeHead(503);
        res.end();
      },
      (_req, res) => {
        res.writeHead(503);
        res.end();
      },
      hold,
    ]);
    await waitUntil('the third request', () => (run.requests.length === 3 ? true : undefined), { intervalMs: 10 });
    run.interrupt.abort();
    await run.done;
    expect(run.io.notices.slice(0, 2)).toEqual([
      'tail: the API answered 503; reconnecting in 10 ms',
      'tail: the API answered 503; reconnecting in 20 ms',
    ]);
  });

  it('when Ctrl-C comes while it waits to reconnect, then it ends at once with exit 0', async () => {
    const run = await follow([
      (_req, res) => {
        sse(res, 'retry: 60000\n\n');
        res.end();
      },
    ]);
    await waitUntil('the reconnect notice', () => (run.io.notices.length === 1 ? true : undefined), { intervalMs: 10 });
    run.interrupt.abort();
    await expect(run.done).resolves.toBe(0);
    expect(run.requests).toHaveLength(1);
  });
});
