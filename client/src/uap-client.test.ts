import { anActivity } from '@uap/shared/testing';
import type { FetchLike } from './http-transport';
import { UapClient } from './uap-client';
import { UapHttpError } from './http-transport';
import { FakeIngestApi } from './testing/fake-api';
import type { Activity } from './types';

type Route = (url: URL, init: RequestInit) => Response | Promise<Response>;

/** A fake fetch that records every request and answers with `route`. */
function fakeFetch(route: Route) {
  const seen: { url: URL; headers: Record<string, string> }[] = [];
  const fetch: FetchLike = async (input, init = {}) => {
    const url = new URL(input);
    seen.push({ url, headers: (init.headers ?? {}) as Record<string, string> });
    return route(url, init);
  };
  return { fetch, seen };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' },
  });

describe('UapClient reads', () => {
  it('when list() is walked, then it follows nextCursor page by page, keeps the filters, and yields every activity once', async () => {
    const all: Activity[] = Array.from({ length: 5 }, (_, i) => anActivity({ userId: `u${i}` }));
    const { fetch, seen } = fakeFetch((url) => {
      const start = Number(url.searchParams.get('cursor') ?? '0');
      const next = start + 2 < all.length ? String(start + 2) : null;
      return json({ data: all.slice(start, start + 2), page: { limit: 2, nextCursor: next, hasMore: next !== null } });
    });
    const client = new UapClient({ baseUrl: 'http://api.test', apiKey: 'k', fetch });

    const walked: Activity[] = [];
    for await (const activity of client.list({ type: ['LOGIN', 'SEARCH'], limit: 2, from: new Date(0) }))
      walked.push(activity);

    expect(walked).toEqual(all);
    expect(seen).toHaveLength(3);
    expect(seen.map((s) => s.url.searchParams.get('cursor'))).toEqual([null, '2', '4']);
    for (const { url, headers } of seen) {
      expect(url.pathname).toBe('/api/v1/activities');
      expect(url.searchParams.getAll('type')).toEqual(['LOGIN', 'SEARCH']);
      expect(url.searchParams.get('from')).toBe('1970-01-01T00:00:00.000Z');
      expect(headers['authorization']).toBe('Bearer k');
    }
  });

  it('when get() finds nothing, then undefined; when the API refuses, then a UapHttpError with the problem', async () => {
    const problem = { type: 'urn:uap:problem:validation-failed', title: 'Validation failed', status: 400, detail: 'd' };
    const { fetch } = fakeFetch((url) =>
      url.pathname.endsWith('missing') ? json({ status: 404 }, 404) : json(problem, 400),
    );
    const client = new UapClient({ baseUrl: 'http://api.test', fetch });

    await expect(client.get('missing')).resolves.toBeUndefined();
    await expect(client.get('bad')).rejects.toEqual(expect.any(UapHttpError));
    await expect(client.get('bad')).rejects.toMatchObject({ status: 400, problem });
  });

  it('when receipt() waits for final, then waitFor and timeoutMs travel as the API expects', async () => {
    const { fetch, seen } = fakeFetch(() => json({ status: 'persisted' }));
    const client = new UapClient({ baseUrl: 'http://api.test', fetch });

    await client.receipt('r/1', { waitFor: 'final', timeoutMs: 3_000 });
    await client.receipt('r2');

    expect(seen[0]!.url.pathname).toBe('/api/v1/receipts/r%2F1');
    expect(Object.fromEntries(seen[0]!.url.searchParams)).toEqual({ waitFor: 'final', timeoutMs: '3000' });
    expect([...seen[1]!.url.searchParams]).toEqual([]);
  });
});

describe('UapClient anonymous visitors', () => {
  it('when a visitor is tracked by anonymousId and identified later, then both events go out with the ids given', async () => {
    const api = new FakeIngestApi();
    const client = new UapClient({ baseUrl: 'http://api.test', fetch: api.fetch });

    client.track({ anonymousId: 'anon-7f3a', type: 'PAGE_VIEW', metadata: { path: '/pricing' } });
    client.identify('alice', { anonymousId: 'anon-7f3a', traits: { plan: 'pro' } });
    client.identify('bob');
    await client.flush();

    expect(api.batches.flat()).toEqual([
      expect.objectContaining({ anonymousId: 'anon-7f3a', type: 'PAGE_VIEW', metadata: { path: '/pricing' } }),
      expect.objectContaining({
        userId: 'alice',
        anonymousId: 'anon-7f3a',
        type: 'IDENTIFY',
        metadata: { plan: 'pro' },
      }),
      expect.objectContaining({ userId: 'bob', type: 'IDENTIFY' }),
    ]);
    expect(api.batches.flat()[0]).not.toHaveProperty('userId');
    expect(api.batches.flat()[2]).not.toHaveProperty('anonymousId');
    expect(client.stats().accepted).toBe(3);
  });

  it('when a user’s history is walked, then it reads the user path (linked anonymous ids included) page by page', async () => {
    const all: Activity[] = [anActivity({ userId: 'a/b' }), anActivity({ userId: undefined, anonymousId: 'anon-1' })];
    const { fetch, seen } = fakeFetch((url) => {
      const start = Number(url.searchParams.get('cursor') ?? '0');
      const next = start + 1 < all.length ? String(start + 1) : null;
      return json({ data: all.slice(start, start + 1), page: { limit: 1, nextCursor: next, hasMore: next !== null } });
    });
    const client = new UapClient({ baseUrl: 'http://api.test', fetch });

    const walked: Activity[] = [];
    for await (const activity of client.userActivities('a/b', { sort: 'asc', limit: 1 })) walked.push(activity);

    expect(walked).toEqual(all);
    expect(seen.map((s) => s.url.pathname)).toEqual([
      '/api/v1/users/a%2Fb/activities',
      '/api/v1/users/a%2Fb/activities',
    ]);
    expect(Object.fromEntries(seen[1]!.url.searchParams)).toEqual({ sort: 'asc', limit: '1', cursor: '1' });
  });

  it('when the list or the stream is filtered by anonymousId, then the filter travels as a query parameter', async () => {
    const { fetch, seen } = fakeFetch((url) =>
      url.pathname.endsWith('/stream')
        ? json({ title: 'Forbidden', status: 403, detail: 'stop here' }, 403)
        : json({ data: [], page: { limit: 20, nextCursor: null, hasMore: false } }),
    );
    const client = new UapClient({ baseUrl: 'http://api.test', fetch });

    for await (const activity of client.list({ anonymousId: 'anon-1' })) void activity;
    await expect(client.stream({ anonymousId: 'anon-1' }).next()).rejects.toMatchObject({ status: 403 });

    expect(seen.map((s) => s.url.searchParams.get('anonymousId'))).toEqual(['anon-1', 'anon-1']);
  });
});

describe('UapClient stream', () => {
  it('when the connection ends, then it reconnects with Last-Event-ID of the last activity and yields each once', async () => {
    const activity = (id: string) =>
      `id: ${id}\nevent: activity\ndata: ${JSON.stringify(anActivity({ userId: id }))}\n\n`;
    const bodies = [
      `retry: 1\n: hello\n\n${activity('p0-1')}event: dropped\ndata: {"count":2}\n\n`,
      `${activity('p0-2')}event: reconnect\ndata: {"reason":"lifetime","retryMs":1}\n\n`,
      `id: p0-9\nevent: reset\ndata: {"reason":"too old"}\n\n${activity('p0-10')}`,
    ];
    const { fetch, seen } = fakeFetch(
      () => new Response(bodies.shift() ?? '', { headers: { 'content-type': 'text/event-stream' } }),
    );
    const client = new UapClient({ baseUrl: 'http://api.test', fetch });
    const controller = new AbortController();

    const got: unknown[] = [];
    for await (const message of client.stream({ userId: 'u1' }, { signal: controller.signal, retryMs: 1 })) {
      got.push(message.kind === 'activity' ? `activity ${message.id}` : message);
      if (got.length === 5) controller.abort();
    }

    expect(got).toEqual([
      'activity p0-1',
      { kind: 'dropped', count: 2 },
      'activity p0-2',
      { kind: 'reset', id: 'p0-9', reason: 'too old' },
      'activity p0-10',
    ]);
    expect(seen.map((s) => s.headers['last-event-id'])).toEqual([undefined, 'p0-1', 'p0-2']);
    expect(seen[0]!.url.searchParams.get('userId')).toBe('u1');
  });

  it('when the stream is refused with 403, then the iterator throws the problem', async () => {
    const { fetch } = fakeFetch(() => json({ title: 'Forbidden', status: 403, detail: 'read scope needed' }, 403));
    const client = new UapClient({ baseUrl: 'http://api.test', fetch });

    await expect(client.stream().next()).rejects.toMatchObject({
      status: 403,
      problem: { detail: 'read scope needed' },
    });
  });
});
