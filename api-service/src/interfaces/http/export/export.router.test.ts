import http from 'node:http';
import { validate } from '@readme/openapi-parser';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../../app';
import { ExportActivitiesUseCase } from '../../../application/export-activities.use-case';
import { IngestActivityUseCase } from '../../../application/ingest-activity.use-case';
import type { ActivityReader, ActivityRecord } from '../../../application/ports/activity-reader.port';
import { QueryActivitiesUseCase } from '../../../application/query-activities.use-case';
import { DomainError } from '../../../domain/domain-error';
import { anActivityRecord, InMemoryActivityReader } from '../../../testing/in-memory-activity.reader';
import { TEST_APP_CONFIG, TEST_INGEST_CONFIG, TEST_RECEIPTS } from '../../../testing/test-app';
import { toActivityDto } from '../queries/activity-queries.router';
import { CSV_HEADER } from './csv.format';
import type { ExportChunkStats } from './export.router';

function appWith(reader: ActivityReader, onChunk?: (stats: ExportChunkStats) => void) {
  return createApp({
    logger: pino({ level: 'silent' }),
    ingest: new IngestActivityUseCase(TEST_INGEST_CONFIG, {
      publisher: { publish: async () => [] },
      receipts: TEST_RECEIPTS,
    }),
    queries: new QueryActivitiesUseCase({ reader }),
    exports: {
      exporter: new ExportActivitiesUseCase({ chunkSize: 7 }, { reader }),
      ...(onChunk ? { onChunk } : {}),
    },
    readiness: [],
    config: TEST_APP_CONFIG,
  });
}

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));

function seed(): ActivityRecord[] {
  return Array.from({ length: 30 }, (_, i) =>
    anActivityRecord({
      userId: ['alice', 'bob', 'carol'][i % 3]!,
      type: (['LOGIN', 'SEARCH', 'LOGOUT'] as const)[i % 3]!,
      occurredAt: at(Math.floor(i / 4)),
      ...(i % 2 === 0 ? { sessionId: 's-1' } : {}),
    }),
  );
}

async function listAll(app: ReturnType<typeof appWith>, query: string): Promise<unknown[]> {
  const rows: unknown[] = [];
  let cursor: string | null = null;
  do {
    const res = await request(app)
      .get(`/api/v1/activities?limit=100${query ? `&${query}` : ''}${cursor ? `&cursor=${cursor}` : ''}`)
      .expect(200);
    const body = res.body as { data: unknown[]; page: { nextCursor: string | null } };
    rows.push(...body.data);
    cursor = body.page.nextCursor;
  } while (cursor);
  return rows;
}

/** Fails on the nth findPage call (1-based), answering normally before. */
class FailingReader extends InMemoryActivityReader {
  private calls_ = 0;
  constructor(
    records: ActivityRecord[],
    private readonly failOn: number,
  ) {
    super(records);
  }
  override async findPage(...args: Parameters<InMemoryActivityReader['findPage']>): Promise<ActivityRecord[]> {
    this.calls_ += 1;
    if (this.calls_ >= this.failOn) throw new DomainError('SERVICE_UNAVAILABLE', 'store down', { retriable: true });
    return super.findPage(...args);
  }
}

/** A raw GET that reports whether the response ended cleanly or was cut off. */
async function rawGet(app: ReturnType<typeof appWith>, path: string) {
  const server = app.listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<{ status: number; body: string; complete: boolean }>((resolve, reject) => {
      http
        .get({ port, path }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, complete: res.complete }));
          res.on('aborted', () => resolve({ status: res.statusCode ?? 0, body, complete: false }));
          res.on('error', () => resolve({ status: res.statusCode ?? 0, body, complete: false }));
        })
        .on('error', reject);
    });
  } finally {
    server.close();
  }
}

describe('GET /api/v1/activities/export', () => {
  it('when called without format, then every match streams as NDJSON, line for line the list in its default order', async () => {
    const app = appWith(new InMemoryActivityReader(seed()));

    const res = await request(app).get('/api/v1/activities/export').buffer(true).parse(textParser).expect(200);

    expect(res.headers['content-type']).toBe('application/x-ndjson');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="activities-\d{8}T\d{6}Z\.ndjson"$/);
    const lines = (res.body as string).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(await listAll(app, ''));
    expect(lines).toHaveLength(30);
  });

  it('when filtered and sorted asc, then it is the same selection as the list with those parameters', async () => {
    const app = appWith(new InMemoryActivityReader(seed()));
    const query = 'userId=bob&type=SEARCH,LOGIN&from=2026-01-01T00:01:00Z&to=2026-01-01T00:06:00Z&sort=asc';

    const res = await request(app).get(`/api/v1/activities/export?${query}`).parse(textParser).expect(200);

    const lines = (res.body as string).trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(await listAll(app, query));
  });

  it('when filtered by sourceId, then only that source’s events come, the same selection as the list’s', async () => {
    const reader = new InMemoryActivityReader(seed().map((r, i) => (i % 4 === 0 ? { ...r, sourceId: 'web' } : r)));
    const app = appWith(reader);
    const query = 'sourceId=web&type=LOGIN,SEARCH';

    const res = await request(app).get(`/api/v1/activities/export?${query}`).parse(textParser).expect(200);

    const lines = (res.body as string).trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(await listAll(app, query));
    expect(reader.calls[0]).toMatchObject({ arg: { filters: { sourceId: 'web', types: ['LOGIN', 'SEARCH'] } } });
    await request(app).get('/api/v1/activities/export?sourceId=Web').expect(400);
  });

  it('when format=csv, then a header row and one escaped row per activity come as text/csv', async () => {
    const hostile = anActivityRecord({
      userId: '=HYPERLINK("http://evil")',
      sessionId: '+1',
      occurredAt: at(100),
      metadata: { note: 'a,b' },
    });
    const records = [hostile, ...seed()];
    const app = appWith(new InMemoryActivityReader(records));

    const res = await request(app).get('/api/v1/activities/export?format=csv').parse(textParser).expect(200);

    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/filename="activities-\d{8}T\d{6}Z\.csv"$/);
    const body = res.body as string;
    expect(body.startsWith(CSV_HEADER)).toBe(true);
    const rows = body.slice(CSV_HEADER.length).split('\r\n');
    expect(rows.pop()).toBe('');
    expect(rows).toHaveLength(31);
    const dto = toActivityDto(hostile);
    expect(rows[0]).toBe(
      [
        hostile.eventId,
        `"'=HYPERLINK(""http://evil"")"`,
        'LOGIN',
        dto.occurredAt,
        dto.receivedAt,
        dto.persistedAt,
        `"'+1"`,
        '1',
        '"{""note"":""a,b""}"',
        '"{""ip"":""127.0.0.1"",""userAgent"":""jest""}"',
      ].join(','),
    );
  });

  it('when a type registered at runtime is exported, then NDJSON carries its registry fields and CSV keeps its columns', async () => {
    const video = anActivityRecord({
      type: 'VIDEO_PLAY',
      typeVersion: 2,
      planned: false,
      violations: [{ pointer: '/metadata/seconds', message: 'must be integer' }],
      occurredAt: at(100),
    });
    const app = appWith(new InMemoryActivityReader([video, ...seed()]));

    const ndjson = await request(app).get('/api/v1/activities/export?type=VIDEO_PLAY').parse(textParser).expect(200);
    expect(
      (ndjson.body as string)
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown),
    ).toEqual([toActivityDto(video)]);
    expect(toActivityDto(video)).toMatchObject({ typeVersion: 2, planned: false });
    const csv = await request(app).get('/api/v1/activities/export?type=VIDEO_PLAY&format=csv').parse(textParser);
    const [header, row] = (csv.body as string).split('\r\n');
    expect(`${header}\r\n`).toBe(CSV_HEADER);
    expect(row!.split(',')[2]).toBe('VIDEO_PLAY');
    expect(row).not.toContain('must be integer');
  });

  it('when nothing matches, then CSV is the header row alone and NDJSON is empty', async () => {
    const app = appWith(new InMemoryActivityReader(seed()));
    const csv = await request(app).get('/api/v1/activities/export?format=csv&userId=nobody').parse(textParser);
    const ndjson = await request(app).get('/api/v1/activities/export?userId=nobody').parse(textParser);

    expect([csv.status, csv.body]).toEqual([200, CSV_HEADER]);
    expect([ndjson.status, ndjson.body]).toEqual([200, '']);
  });

  it.each([
    ['limit=10', 'limit'],
    ['cursor=abc', 'cursor'],
    ['page=2', 'page'],
    ['format=xlsx', 'format'],
    ['format=csv&format=ndjson', 'format'],
    ['type=no-pe', 'type.0'],
    ['from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'from'],
    ['userId[$ne]=x', 'userId[$ne]'],
  ])('when the query has %s, then 400 names %s and nothing is read', async (query, path) => {
    const reader = new InMemoryActivityReader(seed());

    const res = await request(appWith(reader)).get(`/api/v1/activities/export?${query}`).expect(400);

    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((res.body as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).toContain(path);
    expect(reader.calls).toEqual([]);
  });

  it('when the store fails before the first row, then it is a 503 problem with Retry-After', async () => {
    const res = await request(appWith(new FailingReader(seed(), 1)))
      .get('/api/v1/activities/export?format=csv')
      .expect(503);

    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['retry-after']).toBe('5');
  });

  it('when the store fails mid-export (NDJSON), then an error line ends the body and the transfer is cut off', async () => {
    const result = await rawGet(appWith(new FailingReader(seed(), 3)), '/api/v1/activities/export');

    expect(result.status).toBe(200);
    expect(result.complete).toBe(false);
    const lines = result.body.trimEnd().split('\n');
    expect(lines).toHaveLength(15);
    expect(JSON.parse(lines[14]!)).toEqual({
      error: { title: 'Export failed', detail: expect.stringContaining('14 rows') },
    });
  });

  it('when the store fails mid-export (CSV), then the transfer is cut off after the rows already sent', async () => {
    const result = await rawGet(appWith(new FailingReader(seed(), 2)), '/api/v1/activities/export?format=csv');

    expect(result.status).toBe(200);
    expect(result.complete).toBe(false);
    expect(result.body.split('\r\n')).toHaveLength(1 + 7 + 1);
  });

  it('when exporting, then chunks are written one page at a time and the hook sees each', async () => {
    const chunks: ExportChunkStats[] = [];
    await request(appWith(new InMemoryActivityReader(seed()), (s) => chunks.push(s)))
      .get('/api/v1/activities/export')
      .expect(200);

    expect(chunks.map((c) => c.rows)).toEqual([7, 7, 7, 7, 2]);
  });

  it('when the app serves the export, then the OpenAPI document describes it validly with both media types', async () => {
    const res = await request(appWith(new InMemoryActivityReader())).get('/openapi.json').expect(200);
    const document = res.body as {
      paths: Record<string, { get?: { responses: Record<string, { content?: object }> } }>;
    };

    const result = await validate(structuredClone(document) as never);
    expect(result.valid ? [] : result.errors).toEqual([]);
    const operation = document.paths['/api/v1/activities/export']?.get;
    expect(Object.keys(operation?.responses['200']?.content ?? {}).sort()).toEqual([
      'application/x-ndjson',
      'text/csv; charset=utf-8',
    ]);
    expect(Object.keys(operation?.responses ?? {})).toEqual(expect.arrayContaining(['400', '503']));
  });

  it('when another method is used on the export path, then 405 allows GET only', async () => {
    const res = await request(appWith(new InMemoryActivityReader())).post('/api/v1/activities/export').expect(405);
    expect(res.headers['allow']).toMatch(/GET/);
  });
});

function textParser(res: request.Response, callback: (err: Error | null, body: string) => void): void {
  let text = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => (text += chunk));
  res.on('end', () => callback(null, text));
}
