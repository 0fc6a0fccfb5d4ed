import pino from 'pino';
import request from 'supertest';
import { createApp, type SecurityConfig } from '../../../app';
import { AuditTrailUseCase } from '../../../application/audit-trail.use-case';
import { IngestActivityUseCase } from '../../../application/ingest-activity.use-case';
import { staticKeyRing } from '../../../domain/access/key-ring';
import { hashApiKey, parseApiKeys } from '../../../domain/api-key';
import { anAuditEntry, InMemoryAuditLog } from '../../../testing/in-memory-audit.log';
import { TEST_APP_CONFIG, TEST_INGEST_CONFIG, TEST_RECEIPTS } from '../../../testing/test-app';

const PATH = '/api/v1/audit';
const KEYS = { admin: 'key-admin', read: 'key-read' };
const { entries } = parseApiKeys(`${hashApiKey(KEYS.admin)}:admin,${hashApiKey(KEYS.read)}:ingest+read`);
const SECURE: SecurityConfig = {
  apiKeys: staticKeyRing(entries),
  publicPaths: ['/healthz'],
  rateLimit: { windowMs: 60_000, max: 0 },
  corsOrigins: [],
};
const logger = pino({ level: 'silent' });
const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));

type Page = { records: Array<Record<string, unknown> & { id: string }>; nextCursor: string | null };

async function setUp(security?: SecurityConfig) {
  const log = new InMemoryAuditLog();
  const audit = new AuditTrailUseCase({ retentionDays: 400 }, { log, logger });
  for (let i = 0; i < 7; i++) {
    await audit.record(
      anAuditEntry({
        at: at(i),
        action: i % 2 === 0 ? 'key.create' : 'key.revoke',
        outcome: i === 3 ? 'denied' : 'success',
        status: i === 3 ? 403 : 200,
        target: { kind: 'key', id: `k${i}` },
      }),
    );
  }
  const app = createApp({
    logger,
    ingest: new IngestActivityUseCase(TEST_INGEST_CONFIG, {
      publisher: { publish: async () => [] },
      receipts: TEST_RECEIPTS,
    }),
    audit,
    readiness: [],
    config: { ...TEST_APP_CONFIG, ...(security ? { security } : {}) },
  });
  return { app, log };
}

describe('GET /api/v1/audit', () => {
  it('when listed, then the records come newest first in the documented shape', async () => {
    const { app } = await setUp();
    const res = await request(app).get(PATH).expect(200);
    const body = res.body as Page;

    expect(body.nextCursor).toBeNull();
    expect(body.records.map((r) => (r['target'] as { id: string }).id)).toEqual([
      'k6',
      'k5',
      'k4',
      'k3',
      'k2',
      'k1',
      'k0',
    ]);
    expect(body.records[0]).toEqual({
      id: expect.stringMatching(/^[0-9a-z]{9}-[0-9a-f]{12}$/),
      at: '2026-01-01T00:06:00.000Z',
      actor: { keyId: 'aaaaaaaaaaaa', label: 'API_KEYS #1' },
      action: 'key.create',
      target: { kind: 'key', id: 'k6' },
      requestId: 'req-1',
      outcome: 'success',
      status: 200,
      details: null,
    });
  });

  it('when paged with nextCursor and filters, then the pages join without gaps or repeats', async () => {
    const { app } = await setUp();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await request(app)
        .get(PATH)
        .query({ action: 'key.create', from: at(1).toISOString(), limit: 1, ...(cursor ? { cursor } : {}) })
        .expect(200);
      const page = res.body as Page;
      seen.push(...page.records.map((r) => (r['target'] as { id: string }).id));
      cursor = page.nextCursor;
    } while (cursor !== null);

    expect(seen).toEqual(['k6', 'k4', 'k2']);
  });

  it.each([
    ['outcome', { outcome: 'denied' }, ['k3']],
    ['targetId', { targetId: 'k5' }, ['k5']],
    ['actorKeyId', { actorKeyId: 'bbbbbbbbbbbb' }, []],
    ['a range', { from: at(2).toISOString(), to: at(4).toISOString() }, ['k3', 'k2']],
  ])('when filtered by %s, then only matching records come', async (_what, query, expected) => {
    const { app } = await setUp();
    const res = await request(app).get(PATH).query(query).expect(200);
    expect((res.body as Page).records.map((r) => (r['target'] as { id: string }).id)).toEqual(expected);
  });

  it.each([
    ['an unknown parameter', { actor: 'x' }, 'actor'],
    ['an unknown outcome', { outcome: 'maybe' }, 'outcome'],
    ['a limit of 0', { limit: '0' }, 'limit'],
    ['a limit past 200', { limit: '201' }, 'limit'],
    ['an action that is no action', { action: 'DROP TABLE' }, 'action'],
    ['a target with spaces', { targetId: 'a b' }, 'targetId'],
    ['a date without offset', { from: '2026-01-01T00:00:00' }, 'from'],
    ['from after to', { from: at(5).toISOString(), to: at(1).toISOString() }, 'from'],
    ['a malformed cursor', { cursor: 'bm90LWEtY3Vyc29y' }, 'cursor'],
    ['operator syntax', { 'action[$ne]': 'x' }, 'action[$ne]'],
  ])('when the query has %s, then 400 problem naming it', async (_what, query, path) => {
    const { app } = await setUp();
    const res = await request(app).get(PATH).query(query).expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 400, errors: [expect.objectContaining({ path })] });
  });

  it('when a parameter is repeated, then 400', async () => {
    const { app } = await setUp();
    await request(app).get(`${PATH}?outcome=success&outcome=denied`).expect(400);
  });

  it('when a cursor comes with other filters than its first page, then 400 naming the rule', async () => {
    const { app } = await setUp();
    const first = await request(app).get(PATH).query({ limit: 2 }).expect(200);
    const res = await request(app)
      .get(PATH)
      .query({ limit: 2, action: 'key.create', cursor: (first.body as Page).nextCursor })
      .expect(400);
    expect(res.body).toMatchObject({ errors: [{ path: 'cursor', rule: 'cursor-not-issued' }] });
  });

  it('when API keys are on, then only an admin key reads the trail, and reading it is not recorded', async () => {
    const { app, log } = await setUp(SECURE);
    await request(app).get(PATH).expect(401);
    await request(app).get(PATH).set('X-API-Key', KEYS.read).expect(403);
    await request(app).get(PATH).set('X-API-Key', KEYS.admin).expect(200);
    await new Promise((resolve) => setImmediate(resolve));
    expect(log.records).toHaveLength(7);
  });
});
