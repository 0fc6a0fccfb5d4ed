import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { memoryIo } from '../cli/testing/memory-io';
import { runExport } from './export';
import { downloadExport } from './export-download';
import type { ExportOptions } from './export-options';
import { ExportProgress } from './export-progress';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A stand-in for the API on an ephemeral port. */
class FakeApi {
  handler: Handler = (_req, res) => res.end();
  readonly seen: Array<{ path: string; key: string | undefined }> = [];
  private readonly server: Server = createServer((req, res) => {
    this.seen.push({ path: req.url ?? '', key: req.headers['x-api-key'] as string | undefined });
    this.handler(req, res);
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const HEADER = 'eventId,userId,type,occurredAt,receivedAt,persistedAt,sessionId,schemaVersion,metadata,context\r\n';
const csvRow = (i: number) => `e${i},u,LOGIN,2026-01-01T00:00:00.000Z,,,,1,{},{}\r\n`;

describe('downloadExport', () => {
  const api = new FakeApi();
  let url: string;
  let dir: string;
  const progress: string[] = [];
  const io = () => ({
    progress: { tty: false, show: (line: string) => progress.push(line), end: () => undefined },
    stdout: new PassThrough(),
    progressEveryMs: 5,
  });
  const options = (overrides: Partial<ExportOptions> = {}): ExportOptions => ({
    url,
    out: join(dir, 'out.csv'),
    format: 'csv',
    query: {},
    ...overrides,
  });

  beforeAll(async () => {
    url = await api.start();
  });
  afterAll(() => api.stop());
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'export-test-'));
    progress.length = 0;
    api.seen.length = 0;
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('when the API streams a CSV in chunks, then the file holds it byte for byte and progress counts the rows', async () => {
    api.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
      res.write(HEADER);
      let i = 0;
      const timer = setInterval(() => {
        res.write(Array.from({ length: 100 }, () => csvRow(i++)).join(''));
        if (i >= 1_000) {
          clearInterval(timer);
          res.end();
        }
      }, 2);
    };
    const target = options({ key: 'k1', query: { userId: 'alice', type: 'LOGIN,SEARCH', sort: 'asc' } });

    const result = await downloadExport(target, io());

    const expected = HEADER + Array.from({ length: 1_000 }, (_, i) => csvRow(i)).join('');
    expect(result).toEqual({ outcome: 'done', rows: 1_000, bytes: Buffer.byteLength(expected) });
    expect(await readFile(target.out, 'utf8')).toBe(expected);
    await expect(stat(`${target.out}.partial`)).rejects.toThrow();
    expect(api.seen).toEqual([
      { path: '/api/v1/activities/export?format=csv&userId=alice&type=LOGIN%2CSEARCH&sort=asc', key: 'k1' },
    ]);
    expect(progress.at(-1)).toMatch(/^1000 rows, \d+\.\d KiB in \d+\.\ds \(\d+ rows\/s, .+\/s\)$/);
  });

  it('when the API answers 400, then the problem is thrown, exit 2 lists its errors, and no file is written', async () => {
    api.handler = (_req, res) => {
      res.writeHead(400, { 'content-type': 'application/problem+json' });
      res.end(
        JSON.stringify({
          title: 'Validation failed',
          status: 400,
          detail: 'The query parameters are invalid',
          errors: [{ path: 'type.0', message: 'Invalid option' }],
        }),
      );
    };
    const target = options();

    await expect(downloadExport(target, io())).rejects.toMatchObject({
      status: 400,
      problem: { title: 'Validation failed' },
    });
    const { io: cli, err } = memoryIo();
    expect(await runExport(target, cli, io())).toBe(2);
    expect(err).toEqual([
      'export: HTTP 400 Validation failed: The query parameters are invalid',
      '  type.0: Invalid option',
    ]);
    await expect(stat(target.out)).rejects.toThrow();
  });

  it('when the stream is cut off mid-way, then exit 1 says so and only a .partial file remains', async () => {
    api.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write('{"a":1}\n{"a":2}\n', () => res.socket?.end());
    };
    const target = options({ format: 'ndjson', out: join(dir, 'out.ndjson') });

    const { io: cli, err } = memoryIo();
    expect(await runExport(target, cli, io())).toBe(1);

    expect(err.at(-1)).toMatch(
      /^export: the export was cut off after 2 rows \(.+\); it is incomplete, kept as .+\.partial$/,
    );
    expect(await readFile(`${target.out}.partial`, 'utf8')).toBe('{"a":1}\n{"a":2}\n');
    await expect(stat(target.out)).rejects.toThrow();
  });

  it('when nothing listens, then it is a connection error (exit 2)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));

    const { io: cli, stderr } = memoryIo();
    expect(await runExport(options({ url: `http://127.0.0.1:${port}` }), cli, io())).toBe(2);
    expect(stderr()).toContain('ECONNREFUSED');
  });

  it('when --out is -, then the body goes to stdout', async () => {
    api.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end('{"a":1}\n');
    };
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on('data', (chunk: Buffer) => chunks.push(chunk));

    const result = await downloadExport(options({ out: '-', format: 'ndjson' }), { ...io(), stdout });

    expect(result).toEqual({ outcome: 'done', rows: 1, bytes: 8 });
    expect(Buffer.concat(chunks).toString()).toBe('{"a":1}\n');
  });
});

describe('ExportProgress', () => {
  it('when counting CSV, then the header row is not a data row, and the rate is per elapsed second', () => {
    let now = 0;
    const progress = new ExportProgress('csv', () => now);
    progress.add(Buffer.from(HEADER + csvRow(1) + csvRow(2)));
    now = 2_000;

    expect(progress.dataRows).toBe(2);
    expect(progress.line()).toMatch(/^2 rows, \d+ B in 2\.0s \(1 rows\/s, \d+ B\/s\)$/);
  });
});
