import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { memoryIo } from '../cli/testing/memory-io';
import { runDlq } from './dlq-commands';
import { aJob, aLetter, aLetterDetail, someStats } from './dlq-fixtures';
import { parseDlqArgs, type DlqOptions } from './dlq-options';

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  key: string | undefined;
  body: unknown;
}
type Answer = { status?: number; body?: unknown; type?: string };
type Route = (req: Seen) => Answer | Promise<Answer>;

/** A stand-in for the API on an ephemeral port: answers from `route`, and records what it was asked. */
class FakeApi {
  readonly seen: Seen[] = [];
  route: Route = () => ({ status: 404, body: { title: 'Not found', detail: 'no route' } });
  private readonly server: Server = createServer((req, res) => {
    void this.answer(req).then(({ status = 200, body, type }) => {
      res.writeHead(status, {
        'content-type': type ?? (status >= 400 ? 'application/problem+json' : 'application/json'),
      });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async answer(req: IncomingMessage): Promise<Answer> {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const url = new URL(req.url ?? '/', 'http://fake');
    const seen: Seen = {
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      key: req.headers['x-api-key'] as string | undefined,
      body: raw ? JSON.parse(raw) : undefined,
    };
    this.seen.push(seen);
    return this.route(seen);
  }
}

const api = new FakeApi();
let baseUrl: string;
const fast = { pollMs: 5, plainProgressEveryMs: 0, pollGiveUpMs: 200 };

function optionsFor(argv: string[]): DlqOptions {
  const parsed = parseDlqArgs([...argv, '--url', baseUrl, '--key', 'admin-key'], {});
  if (!('options' in parsed)) throw new Error(`bad test arguments: ${JSON.stringify(parsed)}`);
  return parsed.options;
}

beforeAll(async () => {
  baseUrl = await api.start();
});
afterAll(() => api.stop());
beforeEach(() => {
  api.seen.length = 0;
});

describe('dlq against a fake API', () => {
  it('when list is asked with filters, then they go out as query parameters with the key', async () => {
    api.route = () => ({ body: { data: [aLetter()], page: { limit: 20, nextCursor: 'eyJ2', hasMore: true } } });
    const { io, stdout } = memoryIo();
    const code = await runDlq(optionsFor(['list', '--reason', 'schema-violation', '--status', 'dead,parked']), io);
    expect(code).toBe(0);
    expect(api.seen[0]).toMatchObject({ method: 'GET', path: '/api/v1/dead-letters', key: 'admin-key' });
    expect(Object.fromEntries(api.seen[0]!.query)).toEqual({ reason: 'schema-violation', status: 'dead,parked' });
    expect(stdout()).toContain('0-42');
    expect(stdout()).toContain('more with --cursor eyJ2');
  });

  it('when list --all --json is asked, then it follows every cursor and prints one document with all rows', async () => {
    api.route = (req) =>
      req.query.get('cursor') === 'p2'
        ? { body: { data: [aLetter({ letterId: '0-1' })], page: { limit: 2, nextCursor: null, hasMore: false } } }
        : {
            body: {
              data: [aLetter({ letterId: '0-3' }), aLetter({ letterId: '0-2' })],
              page: { limit: 2, nextCursor: 'p2', hasMore: true },
            },
          };
    const { io, stdout } = memoryIo();
    expect(await runDlq(optionsFor(['list', '--all', '--json', '--limit', '2']), io)).toBe(0);
    expect(api.seen.map((s) => s.query.get('cursor'))).toEqual([null, 'p2']);
    const doc = JSON.parse(stdout()) as { data: Array<{ letterId: string }>; page: unknown };
    expect(doc.data.map((l) => l.letterId)).toEqual(['0-3', '0-2', '0-1']);
    expect(doc.page).toEqual({ limit: 2, nextCursor: null, hasMore: false });
  });

  it('when show and stats are asked with --json, then the API documents are printed as they came', async () => {
    api.route = (req) =>
      req.path.endsWith('/stats') ? { body: someStats([['invalid-json', 'dead', 4]]) } : { body: aLetterDetail() };
    const show = memoryIo();
    expect(await runDlq(optionsFor(['show', '0-42', '--json']), show.io)).toBe(0);
    expect(api.seen[0]!.path).toBe('/api/v1/dead-letters/0-42');
    expect(JSON.parse(show.stdout())).toEqual(aLetterDetail());
    const stats = memoryIo();
    expect(await runDlq(optionsFor(['stats', '--from', '2026-11-01T00:00:00Z']), stats.io)).toBe(0);
    expect(api.seen[1]!.query.get('from')).toBe('2026-11-01T00:00:00Z');
    expect(stats.stdout()).toContain('invalid-json');
  });

  it('when the key lacks the admin scope, then the problem is printed and the exit code is 2', async () => {
    api.route = () => ({
      status: 403,
      body: { title: 'Forbidden', status: 403, detail: 'This API key lacks the "admin" scope' },
    });
    const { io, stderr } = memoryIo();
    expect(await runDlq(optionsFor(['stats']), io)).toBe(2);
    expect(stderr()).toContain('HTTP 403 Forbidden: This API key lacks the "admin" scope');
  });

  it('when nothing listens at the url, then the exit code is 2 with the connection error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const { io, stderr } = memoryIo();
    const options = { ...optionsFor(['stats']), url: `http://127.0.0.1:${port}` };
    expect(await runDlq(options, io)).toBe(2);
    expect(stderr()).toContain('ECONNREFUSED');
  });

  it('when a replay dry run passes everything, then the body carries the filter and the exit code is 0', async () => {
    let polls = 0;
    api.route = (req) => {
      if (req.path.endsWith('/stats')) return { body: someStats([['schema-violation', 'dead', 3]]) };
      if (req.method === 'POST') return { status: 202, body: aJob({ dryRun: true }) };
      polls++;
      const scanned = Math.min(3, polls);
      return {
        body: aJob({
          dryRun: true,
          state: scanned === 3 ? 'done' : 'running',
          counts: { scanned, wouldPass: scanned, passed: scanned },
        }),
      };
    };
    const { io, stdout, err } = memoryIo();
    const argv = ['replay', '--reason', 'schema-violation', '--dry-run', '--max', '10', '--rate', '50'];
    expect(await runDlq(optionsFor(argv), io, fast)).toBe(0);
    const post = api.seen.find((s) => s.method === 'POST')!;
    expect(post.path).toBe('/api/v1/dead-letters/replays');
    expect(post.body).toEqual({ filter: { reason: 'schema-violation' }, dryRun: true, max: 10, ratePerSec: 50 });
    expect(api.seen.filter((s) => s.path === '/api/v1/dead-letters/replays/rj_AbCdEfGhIjKl')).toHaveLength(3);
    expect(err.some((line) => line.includes('scanned 3/3'))).toBe(true);
    expect(stdout()).toContain('would pass 3, still failing 0');
  });

  it('when a replay leaves letters failing, then the exit code is 1 and --json prints the final job', async () => {
    const final = aJob({
      state: 'done',
      counts: { scanned: 2, passed: 1, published: 1, stillFailing: { 'schema-violation': 1 } },
    });
    api.route = (req) => (req.method === 'POST' ? { status: 202, body: aJob() } : { body: final });
    const { io, stdout } = memoryIo();
    expect(await runDlq(optionsFor(['replay', '--id', '0-1', '--id', '0-2', '--json']), io, fast)).toBe(1);
    expect(api.seen[0]!.body).toEqual({ filter: { letterIds: ['0-1', '0-2'] }, dryRun: false });
    expect(JSON.parse(stdout())).toEqual(final);
  });

  it('when the job ends cancelled, then the exit code is 1', async () => {
    api.route = (req) =>
      req.method === 'POST' ? { status: 202, body: aJob() } : { body: aJob({ state: 'cancelled' }) };
    expect(await runDlq(optionsFor(['replay', '--type', 'SEARCH']), memoryIo().io, fast)).toBe(1);
  });

  it('when a running job overlaps, then the 409 detail is printed and the exit code is 2', async () => {
    api.route = (req) =>
      req.method === 'POST'
        ? {
            status: 409,
            body: { title: 'Conflict', detail: 'Replay job rj_x is running with a filter that overlaps this one' },
          }
        : { body: someStats([]) };
    const { io, stderr } = memoryIo();
    expect(await runDlq(optionsFor(['replay']), io, fast)).toBe(2);
    expect(stderr()).toContain('HTTP 409 Conflict: Replay job rj_x is running');
  });

  it('when the API is briefly unavailable while watching, then watching carries on', async () => {
    let polls = 0;
    api.route = (req) => {
      if (req.method === 'POST') return { status: 202, body: aJob() };
      if (req.path.endsWith('/stats')) return { body: someStats([]) };
      polls++;
      return polls === 1 ? { status: 503, body: { title: 'Service unavailable' } } : { body: aJob({ state: 'done' }) };
    };
    expect(await runDlq(optionsFor(['replay']), memoryIo().io, fast)).toBe(0);
    expect(polls).toBe(2);
  });

  it('when Ctrl-C comes while watching, then the job is left running, the DELETE is named and the exit code is 130', async () => {
    const interrupt = new AbortController();
    api.route = (req) => {
      if (req.method === 'POST') return { status: 202, body: aJob() };
      if (req.path.endsWith('/stats')) return { body: someStats([]) };
      interrupt.abort();
      return { body: aJob({ counts: { scanned: 1 } }) };
    };
    const { io, stderr } = memoryIo(true);
    expect(await runDlq(optionsFor(['replay']), io, { ...fast, signal: interrupt.signal })).toBe(130);
    expect(stderr()).toContain('Replay job rj_AbCdEfGhIjKl keeps running on the server');
    expect(stderr()).toContain(`curl -s -X DELETE ${baseUrl}/api/v1/dead-letters/replays/rj_AbCdEfGhIjKl`);
    expect(api.seen.some((s) => s.method === 'DELETE')).toBe(false);
  });
});
