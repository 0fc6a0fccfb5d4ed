import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../../app';
import { anActivityRecord, InMemoryActivityReader } from '../../../testing/in-memory-activity.reader';
import { IngestActivityUseCase } from '../../../application/ingest-activity.use-case';
import type { ActivityReader, ActivityRecord } from '../../../application/ports/activity-reader.port';
import type { IdentityReader } from '../../../application/ports/identity-reader.port';
import { QueryActivitiesUseCase } from '../../../application/query-activities.use-case';
import { UserProfileUseCase } from '../../../application/user-profile.use-case';
import { InMemoryIdentityReader } from '../../../testing/in-memory-identity.reader';
import { encodeCursor } from '../../../domain/activity-query';
import { DomainError } from '../../../domain/domain-error';
import { TEST_APP_CONFIG, TEST_INGEST_CONFIG, TEST_RECEIPTS } from '../../../testing/test-app';

function appWith(reader: ActivityReader, identities: IdentityReader = new InMemoryIdentityReader()) {
  return createApp({
    logger: pino({ level: 'silent' }),
    ingest: new IngestActivityUseCase(TEST_INGEST_CONFIG, {
      publisher: { publish: async () => [] },
      receipts: TEST_RECEIPTS,
    }),
    queries: new QueryActivitiesUseCase({ reader, identities }),
    profiles: new UserProfileUseCase({ reader, identities }),
    readiness: [],
    config: TEST_APP_CONFIG,
  });
}

/** Reader and identity fakes over the same records, as the store answers both. */
const appOver = (records: ActivityRecord[]) =>
  appWith(new InMemoryActivityReader(records), new InMemoryIdentityReader(records));

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));

function seed(): ActivityRecord[] {
  return Array.from({ length: 30 }, (_, i) =>
    anActivityRecord({
      userId: ['alice', 'bob', 'carol'][i % 3]!,
      type: (['LOGIN', 'SEARCH', 'LOGOUT', 'PAGE_VIEW'] as const)[i % 4]!,
      occurredAt: at(Math.floor(i / 2)),
      sessionId: 's-1',
    }),
  );
}

type ListBody = {
  data: Array<Record<string, unknown>>;
  page: {
    limit: number;
    nextCursor: string | null;
    hasMore: boolean;
    total?: number;
    totalPages?: number;
    totalIsExact?: boolean;
  };
};

describe('GET /api/v1/activities', () => {
  it('when called without parameters, then the newest 20 come as DTOs with ISO dates and a next cursor', async () => {
    const records = seed();
    const res = await request(appWith(new InMemoryActivityReader(records)))
      .get('/api/v1/activities')
      .expect(200);
    const body = res.body as ListBody;

    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(body.data).toHaveLength(20);
    expect(body.page).toEqual({ limit: 20, nextCursor: expect.any(String), hasMore: true });
    const newest = [...records].sort(
      (a, b) => b.occurredAt.getTime() - a.occurredAt.getTime() || (a.eventId < b.eventId ? 1 : -1),
    )[0]!;
    expect(body.data[0]).toEqual({
      eventId: newest.eventId,
      userId: newest.userId,
      type: newest.type,
      occurredAt: newest.occurredAt.toISOString(),
      receivedAt: newest.receivedAt.toISOString(),
      persistedAt: newest.persistedAt!.toISOString(),
      sessionId: 's-1',
      metadata: newest.metadata,
      context: newest.context,
      schemaVersion: 1,
    });
  });

  it('when following nextCursor to the end, then every event comes exactly once in asc order', async () => {
    const records = seed();
    const app = appWith(new InMemoryActivityReader(records));
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 20; i++) {
      const res = await request(app)
        .get('/api/v1/activities')
        .query({ sort: 'asc', limit: 7, ...(cursor ? { cursor } : {}) })
        .expect(200);
      const body = res.body as ListBody;
      seen.push(...body.data.map((d) => d['eventId'] as string));
      cursor = body.page.nextCursor;
      if (!cursor) break;
    }
    const expected = [...records].sort(
      (a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || (a.eventId < b.eventId ? -1 : 1),
    );
    expect(seen).toEqual(expected.map((r) => r.eventId));
  });

  it('when types are repeated or comma-separated, then both spellings select the same events', async () => {
    const reader = new InMemoryActivityReader(seed());
    const app = appWith(reader);
    const repeated = await request(app).get('/api/v1/activities?type=LOGIN&type=SEARCH&userId=alice').expect(200);
    const commas = await request(app).get('/api/v1/activities?type=LOGIN,SEARCH&userId=alice').expect(200);

    expect(repeated.body).toEqual(commas.body);
    const data = (repeated.body as ListBody).data;
    expect(data.length).toBeGreaterThan(0);
    expect(data.every((d) => d['userId'] === 'alice' && ['LOGIN', 'SEARCH'].includes(d['type'] as string))).toBe(true);
    expect(reader.calls[0]).toEqual({
      method: 'findPage',
      arg: { filters: { userId: 'alice', types: ['LOGIN', 'SEARCH'] }, sort: 'desc', limit: 21 },
    });
  });

  it('when a type registered at runtime is asked for, then its events are listed, and a name never stored matches nothing', async () => {
    const video = anActivityRecord({ type: 'VIDEO_PLAY', typeVersion: 2, occurredAt: at(40) });
    const reader = new InMemoryActivityReader([...seed(), video]);
    const app = appWith(reader);

    const res = await request(app).get('/api/v1/activities?type=VIDEO_PLAY').expect(200);
    expect((res.body as ListBody).data).toEqual([expect.objectContaining({ eventId: video.eventId, typeVersion: 2 })]);
    expect(reader.calls[0]).toMatchObject({ arg: { filters: { types: ['VIDEO_PLAY'] } } });
    const none = await request(app).get('/api/v1/activities?type=NEVER_SENT').expect(200);
    expect((none.body as ListBody).data).toEqual([]);
  });

  it('when a type is not a type name, then the 400 problem says what a name must look like', async () => {
    const res = await request(appWith(new InMemoryActivityReader(seed())))
      .get('/api/v1/activities?type=bad-name')
      .expect(400);
    expect(JSON.parse(res.text)).toMatchObject({
      errors: [{ path: 'type.0', message: expect.stringMatching(/upper snake case.*start with a letter.*64/) }],
    });
  });

  it('when more than 50 distinct types come in all, then 400 names the rule; 50 repeated in any spelling are fine', async () => {
    const names = Array.from({ length: 51 }, (_, i) => `TYPE_${i}`);
    const app = appWith(new InMemoryActivityReader(seed()));
    const res = await request(app)
      .get(`/api/v1/activities?type=${names.slice(0, 30).join(',')}&type=${names.slice(30).join(',')}`)
      .expect(400);
    expect(JSON.parse(res.text)).toMatchObject({ errors: [{ path: 'type', rule: 'type-count-cap' }] });
    await request(app)
      .get(`/api/v1/activities?type=${names.slice(0, 50).join(',')}&type=${names.slice(0, 50).join(',')}`)
      .expect(200);
  });

  it('when a stored event carries typeVersion, planned and violations, then the list shows them; absent ones stay absent', async () => {
    const flagged = anActivityRecord({
      type: 'VIDEO_PLAY',
      typeVersion: 3,
      planned: false,
      violations: [{ pointer: '/metadata/seconds', message: 'must be integer' }],
    });
    const plain = anActivityRecord({ occurredAt: at(-1) });
    const res = await request(appWith(new InMemoryActivityReader([flagged, plain])))
      .get('/api/v1/activities')
      .expect(200);
    const [first, second] = (res.body as ListBody).data;
    expect(first).toMatchObject({
      typeVersion: 3,
      planned: false,
      violations: [{ pointer: '/metadata/seconds', message: 'must be integer' }],
    });
    expect(second).not.toHaveProperty('typeVersion');
    expect(second).not.toHaveProperty('planned');
    expect(second).not.toHaveProperty('violations');
  });

  it('when from and to are given, then from is inclusive and to exclusive', async () => {
    const res = await request(appWith(new InMemoryActivityReader(seed())))
      .get('/api/v1/activities')
      .query({ from: '2026-01-01T00:02:00Z', to: '2026-01-01T01:04:00+01:00', limit: 100 })
      .expect(200);
    const times = (res.body as ListBody).data.map((d) => d['occurredAt']);
    expect(new Set(times)).toEqual(new Set(['2026-01-01T00:02:00.000Z', '2026-01-01T00:03:00.000Z']));
    expect(times).toHaveLength(4);
  });

  it('when a page number is given, then the page is answered with total and totalPages', async () => {
    const app = appWith(new InMemoryActivityReader(seed()));
    const cursorOrder = await request(app).get('/api/v1/activities?limit=30').expect(200);
    const res = await request(app).get('/api/v1/activities?limit=7&page=2').expect(200);
    const body = res.body as ListBody;

    expect(body.page).toEqual({ limit: 7, page: 2, total: 30, totalPages: 5, totalIsExact: true, hasMore: true });
    expect(body.data).toEqual((cursorOrder.body as ListBody).data.slice(7, 14));
  });

  const otherFiltersCursor = encodeCursor(
    { occurredAt: at(3), eventId: '00000000-0000-4000-8000-000000000001' },
    { userId: 'bob' },
    'desc',
  );
  it.each([
    ['an unknown parameter', 'foo=1', 'foo'],
    ['operator syntax', 'userId[$ne]=x', 'userId[$ne]'],
    ['url-encoded operator syntax', 'type%5B%24gt%5D=', 'type[$gt]'],
    ['a $-key', '$where=1', '$where'],
    ['a dotted key', 'metadata.query=x', 'metadata.query'],
    ['a prototype key', '__proto__=x', '__proto__'],
    ['userId twice', 'userId=a&userId=b', 'userId'],
    ['an invalid userId', 'userId=a%20b', 'userId'],
    ['an invalid anonymousId', 'anonymousId=a%20b', 'anonymousId'],
    ['anonymousId twice', 'anonymousId=a&anonymousId=b', 'anonymousId'],
    ['a type that is not a type name', 'type=LOGIN,bad-name', 'type.1'],
    ['an empty type', 'type=', 'type.0'],
    ['a type name over 64 characters', `type=${'A'.repeat(65)}`, 'type.0'],
    ['type given more than 50 times', new Array(51).fill('type=LOGIN').join('&'), 'type'],
    ['limit 0', 'limit=0', 'limit'],
    ['limit 101', 'limit=101', 'limit'],
    ['a non-numeric limit', 'limit=1e2', 'limit'],
    ['an unknown sort', 'sort=newest', 'sort'],
    ['a date without offset', 'from=2026-01-01T00:00:00', 'from'],
    ['a non-date', 'to=yesterday', 'to'],
    ['from after to', 'from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'from'],
    ['cursor with page', 'cursor=abc&page=2', 'page'],
    ['page 0', 'page=0', 'page'],
    ['a page beyond 10,000 rows', 'limit=100&page=101', 'page'],
    ['a garbage cursor', 'cursor=bm90LWEtY3Vyc29y', 'cursor'],
    ['a cursor with non-base64url characters', 'cursor=%7B%7D', 'cursor'],
    ['a cursor from other filters', `userId=alice&cursor=${otherFiltersCursor}`, 'cursor'],
    ['a cursor from the other sort', `userId=bob&sort=asc&cursor=${otherFiltersCursor}`, 'cursor'],
  ])('when the query has %s, then 400 problem+json names it and nothing is queried', async (_, query, path) => {
    const reader = new InMemoryActivityReader(seed());
    const res = await request(appWith(reader)).get(`/api/v1/activities?${query}`).expect(400);

    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.text)).toMatchObject({
      type: 'urn:uap:problem:validation-failed',
      status: 400,
      instance: '/api/v1/activities',
      errors: expect.arrayContaining([expect.objectContaining({ path })]),
    });
    expect(reader.calls).toEqual([]);
  });

  it.each([
    ['userId[$ne]=x', 'userId'],
    ['type[$in][]=LOGIN', 'type'],
    ['limit[$gt]=1', 'limit'],
    ['sort[]=asc', 'sort'],
  ])(
    'when a qs-style parser turns %s into an object or array, then it is still 400 and nothing is queried',
    async (query, path) => {
      const reader = new InMemoryActivityReader(seed());
      const app = appWith(reader);
      // Defence in depth: if someone switches on the extended parser, values are still typed by zod.
      app.set('query parser', 'extended');
      const res = await request(app).get(`/api/v1/activities?${query}`).expect(400);
      expect(JSON.parse(res.text)).toMatchObject({ errors: [expect.objectContaining({ path })] });
      expect(reader.calls).toEqual([]);
    },
  );

  it('when the store is down, then 503 problem+json with Retry-After', async () => {
    const reader = new InMemoryActivityReader();
    reader.findPage = async () => {
      throw new DomainError('SERVICE_UNAVAILABLE', 'the activity store did not answer', { retriable: true });
    };
    const res = await request(appWith(reader)).get('/api/v1/activities').expect(503);
    expect(res.headers['retry-after']).toBe(String(TEST_APP_CONFIG.retryAfterSeconds));
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

describe('GET /api/v1/activities/:eventId', () => {
  it('when the event exists, then 200 with its DTO; when not, then 404 problem+json', async () => {
    const record = anActivityRecord();
    const app = appWith(new InMemoryActivityReader([record]));

    const found = await request(app).get(`/api/v1/activities/${record.eventId}`).expect(200);
    expect(found.body).toMatchObject({ eventId: record.eventId, occurredAt: record.occurredAt.toISOString() });
    expect(found.body).not.toHaveProperty('_id');

    const missing = await request(app).get('/api/v1/activities/00000000-0000-4000-8000-000000000000').expect(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it.each([
    ['not a UUID', '/api/v1/activities/not-a-uuid'],
    ['an operator-looking id', '/api/v1/activities/%7B%22%24gt%22%3A%22%22%7D'],
    ['a query parameter', '/api/v1/activities/00000000-0000-4000-8000-000000000000?fields=all'],
  ])('when the request has %s, then 400 and nothing is queried', async (_, url) => {
    const reader = new InMemoryActivityReader();
    const res = await request(appWith(reader)).get(url).expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(reader.calls).toEqual([]);
  });

  it('when GET /activities/batch is asked for, then the static ingest route wins with 405, not a UUID error', async () => {
    const res = await request(appWith(new InMemoryActivityReader())).get('/api/v1/activities/batch').expect(405);
    expect(res.headers['allow']).toBe('POST');
  });
});

/** Bob browsed as a visitor, identified, then logged out; carol's visit was never linked. */
function visits(): ActivityRecord[] {
  return [
    ...seed(),
    anActivityRecord({ anonymousId: 'anon-1', userId: undefined, type: 'PAGE_VIEW', occurredAt: at(-3) }),
    anActivityRecord({
      anonymousId: 'anon-1',
      userId: 'bob',
      type: 'IDENTIFY',
      occurredAt: at(-2),
      metadata: { plan: 'pro' },
    }),
    anActivityRecord({ anonymousId: 'anon-2', userId: undefined, type: 'PAGE_VIEW', occurredAt: at(-1) }),
  ];
}

describe('GET /api/v1/activities?anonymousId=', () => {
  it('when a visitor is asked for, then its events come, before and after it identified', async () => {
    const reader = new InMemoryActivityReader(visits());
    const res = await request(appWith(reader)).get('/api/v1/activities?anonymousId=anon-1').expect(200);

    expect((res.body as ListBody).data.map((d) => [d['type'], d['userId'] ?? null, d['anonymousId']])).toEqual([
      ['IDENTIFY', 'bob', 'anon-1'],
      ['PAGE_VIEW', null, 'anon-1'],
    ]);
    expect((res.body as ListBody).data[1]).not.toHaveProperty('userId');
    expect(reader.calls[0]).toMatchObject({ arg: { filters: { anonymousId: 'anon-1' } } });
  });
});

describe('GET /api/v1/activities?sourceId=', () => {
  /** A third of the events from web, a third from ios, the rest sent with keys bound to no source. */
  const sourced = () =>
    seed().map((r, i) => (i % 3 === 0 ? { ...r, sourceId: 'web' } : i % 3 === 1 ? { ...r, sourceId: 'ios' } : r));

  it('when a source is asked for, then only its events come, and following nextCursor keeps to it', async () => {
    const records = sourced();
    const reader = new InMemoryActivityReader(records);
    const app = appWith(reader);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await request(app)
        .get('/api/v1/activities')
        .query({ sourceId: 'web', limit: 3, ...(cursor ? { cursor } : {}) })
        .expect(200);
      const body = res.body as ListBody;
      seen.push(...body.data.map((d) => d['eventId'] as string));
      cursor = body.page.nextCursor;
    } while (cursor);

    const web = records.filter((r) => r.sourceId === 'web');
    expect(seen.sort()).toEqual(web.map((r) => r.eventId).sort());
    expect(reader.calls[0]).toEqual({
      method: 'findPage',
      arg: { filters: { sourceId: 'web' }, sort: 'desc', limit: 4 },
    });
  });

  it('when a source is combined with a user, types and offset paging, then all of them apply', async () => {
    const records = sourced();
    const res = await request(appWith(new InMemoryActivityReader(records)))
      .get('/api/v1/activities?sourceId=ios&userId=bob&type=SEARCH,LOGIN&page=1&limit=100')
      .expect(200);
    const expected = records.filter(
      (r) => r.sourceId === 'ios' && r.userId === 'bob' && ['SEARCH', 'LOGIN'].includes(r.type),
    );
    expect(expected.length).toBeGreaterThan(0);
    expect((res.body as ListBody).data.map((d) => d['eventId']).sort()).toEqual(expected.map((r) => r.eventId).sort());
    expect((res.body as ListBody).page.total).toBe(expected.length);
  });

  it('when a source nothing was stored under is asked for, then the page is empty', async () => {
    const res = await request(appWith(new InMemoryActivityReader(sourced())))
      .get('/api/v1/activities?sourceId=android')
      .expect(200);
    expect((res.body as ListBody).data).toEqual([]);
  });

  it('when a cursor of another source (or of none) is sent, then 400 says it belongs to other filters', async () => {
    const reader = new InMemoryActivityReader(sourced());
    const app = appWith(reader);
    const first = await request(app).get('/api/v1/activities?sourceId=web&limit=2').expect(200);
    const cursor = (first.body as ListBody).page.nextCursor!;
    for (const query of [`sourceId=ios&limit=2&cursor=${cursor}`, `limit=2&cursor=${cursor}`]) {
      const res = await request(app).get(`/api/v1/activities?${query}`).expect(400);
      expect(JSON.parse(res.text)).toMatchObject({
        errors: [expect.objectContaining({ path: 'cursor', rule: 'cursor-not-issued' })],
      });
    }
  });

  it.each([
    ['upper case', 'sourceId=Web'],
    ['a leading digit', 'sourceId=1web'],
    ['41 characters', `sourceId=${'a'.repeat(41)}`],
    ['two values', 'sourceId=web&sourceId=ios'],
    ['operator syntax', 'sourceId[$ne]=web'],
  ])('when sourceId has %s, then 400 names it and nothing is queried', async (_, query) => {
    const reader = new InMemoryActivityReader(sourced());
    const res = await request(appWith(reader)).get(`/api/v1/activities?${query}`).expect(400);
    expect(JSON.parse(res.text)).toMatchObject({
      errors: [expect.objectContaining({ path: expect.stringMatching(/^sourceId/) })],
    });
    expect(reader.calls).toEqual([]);
  });

  it('when a user’s history is filtered by source, then only that source’s events of the history come', async () => {
    const records = visits().map((r) => (r.type === 'IDENTIFY' || r.userId === 'bob' ? { ...r, sourceId: 'web' } : r));
    const res = await request(appOver(records)).get('/api/v1/users/bob/activities?sourceId=web&limit=100').expect(200);
    const data = (res.body as ListBody).data;
    expect(data.length).toBe(records.filter((r) => r.userId === 'bob').length);
    expect(data.map((d) => d['userId'])).not.toContain(undefined);
  });
});

describe('GET /api/v1/users/:userId/activities', () => {
  it('when listing a user, then that user’s events come with the anonymous events of the ids it linked, in order', async () => {
    const app = appOver(visits());
    const byPath = await request(app).get('/api/v1/users/bob/activities?limit=100&sort=asc').expect(200);
    const byQuery = await request(app).get('/api/v1/activities?userId=bob&limit=100&sort=asc').expect(200);

    const history = (byPath.body as ListBody).data;
    expect(history).toHaveLength(12);
    expect(history.slice(0, 2).map((d) => [d['type'], d['userId'] ?? null])).toEqual([
      ['PAGE_VIEW', null],
      ['IDENTIFY', 'bob'],
    ]);
    expect(history.slice(1)).toEqual((byQuery.body as ListBody).data);
  });

  it('when a user linked nothing, then its history is its own events, as the list filtered by userId', async () => {
    const app = appOver(visits());
    const byPath = await request(app).get('/api/v1/users/carol/activities?limit=100').expect(200);
    const byQuery = await request(app).get('/api/v1/activities?userId=carol&limit=100').expect(200);
    expect((byPath.body as ListBody).data).toHaveLength(10);
    expect((byPath.body as ListBody).data).toEqual((byQuery.body as ListBody).data);
  });

  it.each([
    ['an invalid userId', '/api/v1/users/a%20b/activities', 'userId'],
    ['a userId query parameter too', '/api/v1/users/bob/activities?userId=alice', 'userId'],
    ['an anonymousId query parameter', '/api/v1/users/bob/activities?anonymousId=anon-1', 'anonymousId'],
  ])('when the request has %s, then 400 and nothing is queried', async (_, url, path) => {
    const reader = new InMemoryActivityReader(seed());
    const res = await request(appWith(reader)).get(url).expect(400);
    expect(JSON.parse(res.text)).toMatchObject({ errors: [expect.objectContaining({ path })] });
    expect(reader.calls).toEqual([]);
  });
});

describe('GET /api/v1/users/:userId', () => {
  it('when the user has events, then its profile comes with merged traits, ISO dates and linked ids', async () => {
    const res = await request(appOver(visits())).get('/api/v1/users/bob').expect(200);
    expect(res.body).toEqual({
      userId: 'bob',
      traits: { plan: 'pro' },
      firstSeen: at(-3).toISOString(),
      lastSeen: at(14).toISOString(),
      anonymousIds: ['anon-1'],
      identifies: 1,
      complete: true,
    });
  });

  it('when the user has no event, then 404 problem+json', async () => {
    const res = await request(appOver(visits())).get('/api/v1/users/nobody').expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.text)).toMatchObject({ type: 'urn:uap:problem:not-found', status: 404 });
  });

  it.each([
    ['an invalid userId', '/api/v1/users/a%20b', 'userId'],
    ['a query parameter', '/api/v1/users/bob?fields=all', 'fields'],
  ])('when the request has %s, then 400 and nothing is queried', async (_, url, path) => {
    const reader = new InMemoryActivityReader(visits());
    const identities = new InMemoryIdentityReader(visits());
    const res = await request(appWith(reader, identities)).get(url).expect(400);
    expect(JSON.parse(res.text)).toMatchObject({ errors: [expect.objectContaining({ path })] });
    expect(reader.calls).toEqual([]);
    expect(identities.calls).toEqual([]);
  });
});

describe('the source on a read activity', () => {
  it('when an event was sent with a key bound to a source, then the list and the event show its sourceId; others none', async () => {
    const sourced = anActivityRecord({ occurredAt: at(2), sourceId: 'web' });
    const app = appOver([sourced, anActivityRecord({ occurredAt: at(1) })]);

    const list = await request(app).get('/api/v1/activities').expect(200);
    const one = await request(app).get(`/api/v1/activities/${sourced.eventId}`).expect(200);

    expect((list.body as ListBody).data.map((d) => d['sourceId'])).toEqual(['web', undefined]);
    expect(one.body).toMatchObject({ sourceId: 'web' });
  });
});
