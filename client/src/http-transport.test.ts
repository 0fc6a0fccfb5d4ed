import { HttpTransport, UapHttpError, type FetchLike } from './http-transport';

/** A fake fetch that records each request and answers with `answer`. */
function fakeFetch(answer: () => Response) {
  const seen: { url: string; init: RequestInit }[] = [];
  const fetch: FetchLike = async (url, init = {}) => {
    seen.push({ url, init });
    return answer();
  };
  return { fetch, seen };
}

const problem = (status: number, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ title: 'Conflict', status, detail: 'a job is running' }), {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
  });

describe('HttpTransport', () => {
  it('when requestJson is given a json body, then it is sent as JSON with the method and headers asked for', async () => {
    const { fetch, seen } = fakeFetch(() => Response.json({ jobId: 'j1' }, { status: 202 }));
    const transport = new HttpTransport({ baseUrl: 'http://api.test/', fetch, headers: { 'x-api-key': 'k' } });

    const job = await transport.requestJson<{ jobId: string }>('/api/v1/jobs', {
      method: 'POST',
      json: { dryRun: true },
      query: { type: 'LOGIN,SEARCH' },
    });

    expect(job).toEqual({ jobId: 'j1' });
    expect(seen[0]!.url).toBe('http://api.test/api/v1/jobs?type=LOGIN%2CSEARCH');
    expect(seen[0]!.init).toMatchObject({
      method: 'POST',
      body: '{"dryRun":true}',
      headers: { 'x-api-key': 'k', 'content-type': 'application/json' },
    });
  });

  it('when open is answered 2xx, then the response comes back unread, for the caller to stream', async () => {
    const { fetch } = fakeFetch(() => new Response('{"a":1}\n{"a":2}\n', { status: 200 }));
    const transport = new HttpTransport({ baseUrl: 'http://api.test', fetch });

    const response = await transport.open('/api/v1/activities/export', { timeoutMs: null });

    expect(response.bodyUsed).toBe(false);
    expect(await response.text()).toBe('{"a":1}\n{"a":2}\n');
  });

  it('when the API refuses, then open and requestJson throw a UapHttpError with the problem', async () => {
    const { fetch } = fakeFetch(() => problem(409));
    const transport = new HttpTransport({ baseUrl: 'http://api.test', fetch });

    await expect(transport.open('/x')).rejects.toEqual(expect.any(UapHttpError));
    await expect(transport.requestJson('/x', { method: 'POST', json: {} })).rejects.toMatchObject({
      status: 409,
      problem: { title: 'Conflict', detail: 'a job is running' },
      retriable: false,
    });
  });
});

describe('UapHttpError', () => {
  it('when the status is 408, 429 or 5xx, then it is retriable; any other 4xx is not', () => {
    const retriable = (status: number) => new UapHttpError(status, undefined).retriable;
    expect([408, 429, 500, 503].map(retriable)).toEqual([true, true, true, true]);
    expect([400, 401, 403, 404, 409].map(retriable)).toEqual([false, false, false, false, false]);
  });

  it('when Retry-After is seconds or an HTTP date, then retryAfterMs is the wait; absent or unreadable, undefined', () => {
    const now = Date.parse('2026-11-28T09:00:00Z');
    expect(new UapHttpError(429, undefined, '5').retryAfterMs(now)).toBe(5_000);
    expect(new UapHttpError(503, undefined, 'Sat, 28 Nov 2026 09:00:10 GMT').retryAfterMs(now)).toBe(10_000);
    expect(new UapHttpError(503, undefined, 'soon').retryAfterMs(now)).toBeUndefined();
    expect(new UapHttpError(503, undefined).retryAfterMs(now)).toBeUndefined();
  });
});
