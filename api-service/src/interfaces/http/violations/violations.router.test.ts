import pino from 'pino';
import request from 'supertest';
import { appRoutes, createApp, type AppDeps } from '../../../app';
import { IngestActivityUseCase } from '../../../application/ingest-activity.use-case';
import { ListViolationsUseCase } from '../../../application/list-violations.use-case';
import type { ActivityRecord } from '../../../application/ports/activity-reader.port';
import { QueryActivitiesUseCase } from '../../../application/query-activities.use-case';
import { scopeFor } from '../../../domain/api-key';
import { DomainError } from '../../../domain/domain-error';
import { anActivityRecord, InMemoryActivityReader } from '../../../testing/in-memory-activity.reader';
import { TEST_APP_CONFIG, TEST_INGEST_CONFIG, TEST_RECEIPTS } from '../../../testing/test-app';

function depsWith(reader: InMemoryActivityReader, extra: Partial<AppDeps> = {}): AppDeps {
  return {
    logger: pino({ level: 'silent' }),
    ingest: new IngestActivityUseCase(TEST_INGEST_CONFIG, {
      publisher: { publish: async () => [] },
      receipts: TEST_RECEIPTS,
    }),
    queries: new QueryActivitiesUseCase({ reader }),
    violations: new ListViolationsUseCase({ reader }),
    readiness: [],
    config: TEST_APP_CONFIG,
    ...extra,
  };
}
const appWith = (reader: InMemoryActivityReader, extra: Partial<AppDeps> = {}) => createApp(depsWith(reader, extra));

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));
const VIOLATION = { pointer: '/metadata/seconds', message: 'must be integer' };

function seed(): ActivityRecord[] {
  return [
    anActivityRecord({ type: 'VIDEO_PLAY', planned: false, occurredAt: at(5) }),
    anActivityRecord({ type: 'SEARCH', typeVersion: 2, violations: [VIOLATION], occurredAt: at(4) }),
    anActivityRecord({ type: 'LOGIN', typeVersion: 1, occurredAt: at(3) }),
    anActivityRecord({ type: 'VIDEO_PLAY', planned: false, occurredAt: at(2) }),
    anActivityRecord({ type: 'SEARCH', typeVersion: 2, violations: [VIOLATION], occurredAt: at(1) }),
    anActivityRecord({ type: 'SEARCH', typeVersion: 2, occurredAt: at(0) }),
  ];
}

type ListBody = {
  data: Array<Record<string, unknown>>;
  page: { limit: number; nextCursor: string | null; hasMore: boolean };
};
const PATH = '/api/v1/activity-types/violations';

describe('GET /api/v1/activity-types/violations', () => {
  it('when called without parameters, then the unplanned and flagged events come newest first in the activity list’s shape', async () => {
    const records = seed();
    const res = await request(appWith(new InMemoryActivityReader(records)))
      .get(PATH)
      .expect(200);
    const body = res.body as ListBody;

    expect(body.page).toEqual({ limit: 50, nextCursor: null, hasMore: false });
    expect(body.data.map((d) => d['eventId'])).toEqual([0, 1, 3, 4].map((i) => records[i]!.eventId));
    expect(body.data[0]).toEqual({
      eventId: records[0]!.eventId,
      userId: 'user-1',
      type: 'VIDEO_PLAY',
      occurredAt: at(5).toISOString(),
      receivedAt: records[0]!.receivedAt.toISOString(),
      persistedAt: records[0]!.persistedAt!.toISOString(),
      metadata: records[0]!.metadata,
      context: records[0]!.context,
      schemaVersion: 1,
      planned: false,
    });
    expect(body.data[1]).toMatchObject({ type: 'SEARCH', typeVersion: 2, violations: [VIOLATION] });
  });

  it('when kind, type and limit are given, then the page follows them and the cursor reaches the rest', async () => {
    const records = seed();
    const app = appWith(new InMemoryActivityReader(records));
    const flagged = await request(app).get(PATH).query({ kind: 'flagged', type: 'SEARCH', limit: 1 }).expect(200);
    const first = flagged.body as ListBody;
    expect(first.data.map((d) => d['eventId'])).toEqual([records[1]!.eventId]);
    expect(first.page).toMatchObject({ limit: 1, hasMore: true });

    const second = await request(app)
      .get(PATH)
      .query({ kind: 'flagged', type: 'SEARCH', limit: 1, cursor: first.page.nextCursor })
      .expect(200);
    expect((second.body as ListBody).data.map((d) => d['eventId'])).toEqual([records[4]!.eventId]);
    expect((second.body as ListBody).page).toEqual({ limit: 1, nextCursor: null, hasMore: false });

    const unplanned = await request(app).get(PATH).query({ kind: 'unplanned' }).expect(200);
    expect((unplanned.body as ListBody).data.map((d) => d['type'])).toEqual(['VIDEO_PLAY', 'VIDEO_PLAY']);
  });

  it('when the cursor is sent with other filters, then it is refused naming cursor-not-issued', async () => {
    const app = appWith(new InMemoryActivityReader(seed()));
    const first = (await request(app).get(PATH).query({ limit: 1 }).expect(200)).body as ListBody;
    const res = await request(app)
      .get(PATH)
      .query({ limit: 1, kind: 'unplanned', cursor: first.page.nextCursor })
      .expect(400);
    expect(res.type).toBe('application/problem+json');
    expect(JSON.parse(res.text)).toMatchObject({ errors: [{ path: 'cursor', rule: 'cursor-not-issued' }] });
  });

  it.each([
    ['an unknown kind', { kind: 'deprecated' }, 'kind'],
    ['a malformed type', { type: 'video_play' }, 'type'],
    ['two types', { type: ['SEARCH', 'LOGIN'] }, 'type'],
    ['a limit past 100', { limit: '101' }, 'limit'],
    ['a limit of 0', { limit: '0' }, 'limit'],
    ['an unknown parameter', { userId: 'alice' }, 'userId'],
    ['an operator', { 'type[$ne]': 'X' }, 'type[$ne]'],
  ])('when the query has %s, then 400 names it and nothing is read', async (_, query, path) => {
    const reader = new InMemoryActivityReader(seed());
    const res = await request(appWith(reader)).get(PATH).query(query).expect(400);
    expect(JSON.parse(res.text)).toMatchObject({ errors: [expect.objectContaining({ path })] });
    expect(reader.calls).toEqual([]);
  });

  it('when the store is down, then 503 with Retry-After', async () => {
    const reader = new InMemoryActivityReader();
    jest
      .spyOn(reader, 'findViolations')
      .mockRejectedValue(
        new DomainError('SERVICE_UNAVAILABLE', 'the activity store did not answer', { retriable: true }),
      );
    const res = await request(appWith(reader)).get(PATH).expect(503);
    expect(res.headers['retry-after']).toBe(String(TEST_APP_CONFIG.retryAfterSeconds));
  });

  it('when the activity types are mounted too, then the listing wins over /activity-types/:name, and other methods get 405', async () => {
    // A registry with no methods: had its router taken the request, it would answer 400 (no such name) or 500.
    const deps = depsWith(new InMemoryActivityReader(seed()), { activityTypes: {} as never });
    const app = createApp(deps);

    expect(((await request(app).get(PATH).expect(200)).body as ListBody).data).toHaveLength(4);
    const put = await request(app).put(PATH).send({}).expect(405);
    expect(put.headers['allow']).toBe('GET, HEAD');
    // A read: the registry's prefix asks for admin only on the methods that change it.
    expect(scopeFor('GET', PATH)).toBe('read');
    const routes = appRoutes(deps).map((r) => r.path);
    expect(routes.indexOf(PATH)).toBeGreaterThanOrEqual(0);
    expect(routes.indexOf(PATH)).toBeLessThan(routes.indexOf('/api/v1/activity-types/:name'));
  });
});
