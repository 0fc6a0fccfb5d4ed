import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ACTIVITIES_COLLECTION, ACTIVITY_INDEXES, type ActivityType } from '@uap/shared/contract';
import type { Connection } from 'mongoose';
import pino from 'pino';
import {
  dropDatabase,
  requiredFerretDbPostgresUrl,
  storeIsFerretDb,
  testDatabase,
} from '../../../../../test/support/integration';
import { createApp } from '../../../app';
import { ExportActivitiesUseCase } from '../../../application/export-activities.use-case';
import { IngestActivityUseCase } from '../../../application/ingest-activity.use-case';
import type { ActivityReader, ActivityRecord, PageRequest } from '../../../application/ports/activity-reader.port';
import { QueryActivitiesUseCase } from '../../../application/query-activities.use-case';
import { MongoActivityReader } from '../../../infrastructure/mongo/mongo-activity.reader';
import { FerretDbPostgresActivityReader } from '../../../infrastructure/postgres/ferretdb-postgres-activity.reader';
import { TEST_APP_CONFIG, TEST_INGEST_CONFIG, TEST_RECEIPTS } from '../../../testing/test-app';
import { CSV_HEADER } from './csv.format';
import type { ExportChunkStats } from './export.router';

const EVENTS = 50_000;
const CHUNK = 500;
const BASE = Date.parse('2026-01-01T00:00:00.000Z');
const TYPES: ActivityType[] = ['LOGIN', 'LOGOUT', 'SEARCH', 'PAGE_VIEW', 'CLICK'];
// Seeding and walking 50,000 rows twice takes a while on FerretDB on a busy 2-core machine.
const SLOW_MS = 600_000;

/** The worker's document shape, on 2,000 one-second instants: chunk boundaries fall inside ties. */
function seedDocuments(count: number): ActivityRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const occurredAt = new Date(BASE + (i % 2_000) * 1000);
    return {
      eventId: randomUUID(),
      userId: `u${i % 7}`,
      type: TYPES[i % TYPES.length]!,
      occurredAt,
      receivedAt: new Date(occurredAt.getTime() + 50),
      persistedAt: new Date(occurredAt.getTime() + 120),
      ...(i % 2 === 0 ? { sessionId: `s-${i % 7}` } : {}),
      metadata: i % 11 === 0 ? { note: '=1+2, "quoted"' } : { page: `/p/${i}`, n: i },
      context: { ip: '10.0.0.1', userAgent: 'seed' },
      schemaVersion: 1,
    };
  });
}

/** The reader main.ts picks for this store: the SQL reader on FerretDB/PostgreSQL, Mongo queries otherwise. */
async function openReader(db: Connection): Promise<ActivityReader & { close?(): Promise<void> }> {
  if (!storeIsFerretDb()) return new MongoActivityReader(db);
  return FerretDbPostgresActivityReader.connect({
    url: requiredFerretDbPostgresUrl(),
    database: db.name,
    queryTimeoutMs: 30_000,
  });
}

/** Counts findPage calls, so a test can see reads stop. */
class CountingReader implements ActivityReader {
  pages = 0;
  constructor(private readonly inner: ActivityReader) {}
  findPage(request: PageRequest) {
    this.pages += 1;
    return this.inner.findPage(request);
  }
  count(...args: Parameters<ActivityReader['count']>) {
    return this.inner.count(...args);
  }
  countByType(...args: Parameters<ActivityReader['countByType']>) {
    return this.inner.countByType(...args);
  }
  findByEventId(eventId: string) {
    return this.inner.findByEventId(eventId);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('GET /api/v1/activities/export on the real store', () => {
  let db: Connection;
  let reader: ActivityReader & { close?(): Promise<void> };
  let counting: CountingReader;
  let server: http.Server;
  let port: number;
  const chunks: ExportChunkStats[] = [];

  beforeAll(async () => {
    db = await testDatabase('export');
    const collection = db.collection(ACTIVITIES_COLLECTION);
    for (const index of ACTIVITY_INDEXES) {
      await collection.createIndex({ ...index.key }, { name: index.name, ...(index.unique ? { unique: true } : {}) });
    }
    const records = seedDocuments(EVENTS);
    for (let i = 0; i < records.length; i += 5_000) {
      // Copies: the driver adds _id to the objects it inserts.
      await collection.insertMany(
        records.slice(i, i + 5_000).map((r) => ({ ...r })),
        { ordered: false },
      );
    }
    reader = await openReader(db);
    counting = new CountingReader(reader);
    const app = createApp({
      logger: pino({ level: 'silent' }),
      ingest: new IngestActivityUseCase(TEST_INGEST_CONFIG, {
        publisher: { publish: async () => [] },
        receipts: TEST_RECEIPTS,
      }),
      queries: new QueryActivitiesUseCase({ reader }),
      exports: {
        exporter: new ExportActivitiesUseCase({ chunkSize: CHUNK }, { reader: counting }),
        onChunk: (stats) => chunks.push(stats),
      },
      readiness: [],
      config: TEST_APP_CONFIG,
    });
    server = app.listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
  }, SLOW_MS);

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await reader?.close?.();
    if (db) await dropDatabase(db);
  });

  beforeEach(() => {
    chunks.length = 0;
    counting.pages = 0;
  });

  /** Every list item, following nextCursor, re-serialised as the export writes it. */
  async function listWalk(query = ''): Promise<string[]> {
    const lines: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `http://127.0.0.1:${port}/api/v1/activities?limit=100${query}${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await fetch(url);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: unknown[]; page: { nextCursor: string | null } };
      lines.push(...body.data.map((item) => JSON.stringify(item)));
      cursor = body.page.nextCursor;
    } while (cursor);
    return lines;
  }

  /** Reads the export through a socket that is paused for stretches, so the server's writes must wait. */
  function slowExport(path: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path }, (res) => {
          const parts: Buffer[] = [];
          let received = 0;
          let nextPause = 2 * 1024 * 1024;
          res.on('data', (chunk: Buffer) => {
            parts.push(chunk);
            received += chunk.length;
            if (received >= nextPause) {
              // Stop reading: the kernel buffers fill, then res.write() returns false on the server.
              nextPause += 4 * 1024 * 1024;
              res.pause();
              setTimeout(() => res.resume(), 400);
            }
          });
          res.on('end', () =>
            res.complete
              ? resolve({
                  status: res.statusCode ?? 0,
                  headers: res.headers,
                  body: Buffer.concat(parts).toString('utf8'),
                })
              : reject(new Error('the export was cut off')),
          );
          res.on('error', reject);
        })
        .on('error', reject);
    });
  }

  it(
    'when 50,000 events are exported as NDJSON by a slow reader, then it equals the list walk line for line and the server never buffers more than a chunk or so',
    async () => {
      const listed = await listWalk();
      expect(listed).toHaveLength(EVENTS);

      const res = await slowExport('/api/v1/activities/export');

      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/x-ndjson');
      const lines = res.body.split('\n');
      expect(lines.pop()).toBe('');
      expect(lines.length).toBe(EVENTS);
      // toEqual on 50,000 strings would print megabytes on failure; find the first difference instead.
      const firstDiff = lines.findIndex((line, i) => line !== listed[i]);
      expect(firstDiff).toBe(-1);

      expect(chunks).toHaveLength(EVENTS / CHUNK);
      expect(counting.pages).toBe(EVENTS / CHUNK + 1);
      const largestChunk = Math.max(...chunks.map((c) => c.bytes));
      const mostBuffered = Math.max(...chunks.map((c) => c.buffered));
      // The paused client did push back: some chunks stayed whole in the buffer (the socket took nothing)…
      expect(chunks.filter((c) => c.buffered >= c.bytes).length).toBeGreaterThan(0);
      // …and yet the server never held more than the chunk just written plus one high-water mark.
      expect(mostBuffered).toBeLessThanOrEqual(largestChunk + 16 * 1024);
      expect(mostBuffered).toBeLessThan(res.body.length / 20);
    },
    SLOW_MS,
  );

  it(
    'when exported as CSV with filters, then it has the header and the rows of the filtered list walk, in order',
    async () => {
      const query = '&userId=u3&type=LOGIN,SEARCH&from=2026-01-01T00:05:00Z&to=2026-01-01T00:30:00Z';
      const listed = (await listWalk(query)).map((line) => (JSON.parse(line) as { eventId: string }).eventId);
      expect(listed.length).toBeGreaterThan(CHUNK);

      const res = await slowExport(`/api/v1/activities/export?format=csv${query}`);

      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.body.startsWith(CSV_HEADER)).toBe(true);
      const rows = res.body.slice(CSV_HEADER.length).split('\r\n');
      expect(rows.pop()).toBe('');
      expect(rows.map((row) => row.slice(0, row.indexOf(',')))).toEqual(listed);
    },
    SLOW_MS,
  );

  it(
    'when the client disconnects early, then the server stops reading pages',
    async () => {
      await new Promise<void>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/api/v1/activities/export' }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      });
      await sleep(1_000);
      const afterDisconnect = counting.pages;
      await sleep(1_000);

      expect(counting.pages).toBe(afterDisconnect);
      expect(afterDisconnect).toBeLessThan(EVENTS / CHUNK / 2);
    },
    SLOW_MS,
  );
});
