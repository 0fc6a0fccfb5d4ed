import { DomainError } from '../domain/domain-error';
import { encodeCursor, type ActivityListQuery } from '../domain/activity-query';
import { anActivityRecord, InMemoryActivityReader } from '../testing/in-memory-activity.reader';
import { InMemoryIdentityReader } from '../testing/in-memory-identity.reader';
import type { ActivityRecord } from './ports/activity-reader.port';
import { QueryActivitiesUseCase, type CursorPageInfo, type OffsetPageInfo } from './query-activities.use-case';

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second));

/** 25 events, several sharing one instant, for two users. */
function seed(): ActivityRecord[] {
  return Array.from({ length: 25 }, (_, i) =>
    anActivityRecord({
      userId: i % 2 ? 'alice' : 'bob',
      type: i % 3 ? 'LOGIN' : 'LOGOUT',
      occurredAt: at(Math.floor(i / 4)),
    }),
  );
}

function listQuery(overrides: Partial<ActivityListQuery> = {}): ActivityListQuery {
  return { filters: {}, sort: 'desc', limit: 10, pagination: { mode: 'cursor' }, ...overrides };
}

/** Every page by cursor, of the list or (with `userId`) of that user's history. */
async function walk(
  useCase: QueryActivitiesUseCase,
  query: ActivityListQuery,
  userId?: string,
): Promise<ActivityRecord[]> {
  const seen: ActivityRecord[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const next = { ...query, pagination: { mode: 'cursor' as const, ...(cursor ? { cursor } : {}) } };
    const result = await (userId === undefined ? useCase.list(next) : useCase.listUserHistory(userId, next));
    seen.push(...result.data);
    const page = result.page as CursorPageInfo;
    if (!page.hasMore) {
      expect(page.nextCursor).toBeNull();
      return seen;
    }
    cursor = page.nextCursor!;
  }
  throw new Error('cursor walk did not end');
}

const ids = (records: ActivityRecord[]) => records.map((r) => r.eventId);

describe('QueryActivitiesUseCase.list', () => {
  it('when walking with cursors, then every matching event comes exactly once, newest first, ties by eventId', async () => {
    const records = seed();
    const useCase = new QueryActivitiesUseCase({ reader: new InMemoryActivityReader(records) });

    const seen = await walk(useCase, listQuery({ limit: 3, filters: { userId: 'alice' } }));

    const expected = records
      .filter((r) => r.userId === 'alice')
      .sort((a, b) => b.occurredAt.getTime() - a.occurredAt.getTime() || (a.eventId < b.eventId ? 1 : -1));
    expect(ids(seen)).toEqual(ids(expected));
  });

  it('when a page is exactly full at the end, then hasMore is false and no cursor is given', async () => {
    const reader = new InMemoryActivityReader(seed().slice(0, 10));
    const result = await new QueryActivitiesUseCase({ reader }).list(listQuery({ limit: 10 }));
    expect(result.data).toHaveLength(10);
    expect(result.page).toEqual({ limit: 10, nextCursor: null, hasMore: false });
    expect(reader.calls).toEqual([{ method: 'findPage', arg: expect.objectContaining({ limit: 11 }) }]);
  });

  it('when newer events arrive between pages of a desc walk, then the walk still returns each original event once', async () => {
    const records = seed();
    const reader = new InMemoryActivityReader([...records]);
    const useCase = new QueryActivitiesUseCase({ reader });
    const first = await useCase.list(listQuery({ limit: 5 }));
    reader.add(anActivityRecord({ occurredAt: at(100) }), anActivityRecord({ occurredAt: at(0) }));

    const rest = await walk(useCase, listQuery({ limit: 5 }));
    const resumed = await useCase.list(
      listQuery({ limit: 100, pagination: { mode: 'cursor', cursor: (first.page as CursorPageInfo).nextCursor! } }),
    );

    const original = new Set(ids(records));
    const walked = [...ids(first.data), ...ids(resumed.data)].filter((id) => original.has(id));
    expect(walked.sort()).toEqual([...original].sort());
    expect(new Set(ids(rest)).size).toBe(rest.length);
  });

  it('when a cursor from other filters is sent, then it is rejected and nothing is queried', async () => {
    const reader = new InMemoryActivityReader(seed());
    const cursor = encodeCursor({ occurredAt: at(3), eventId: seed()[0]!.eventId }, { userId: 'alice' }, 'desc');
    const useCase = new QueryActivitiesUseCase({ reader });

    const attempt = useCase.list(listQuery({ filters: { userId: 'bob' }, pagination: { mode: 'cursor', cursor } }));

    await expect(attempt).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ path: 'cursor', message: expect.stringContaining('different filters') }],
    });
    expect(reader.calls).toEqual([]);
  });

  it('when a cursor is garbage, then it is rejected as a validation error', async () => {
    const reader = new InMemoryActivityReader(seed());
    const attempt = new QueryActivitiesUseCase({ reader }).list(
      listQuery({ pagination: { mode: 'cursor', cursor: 'abc' } }),
    );
    await expect(attempt).rejects.toBeInstanceOf(DomainError);
    expect(reader.calls).toEqual([]);
  });

  it('when paging by offset, then pages follow the cursor order and carry total and totalPages', async () => {
    const records = seed();
    const useCase = new QueryActivitiesUseCase({ reader: new InMemoryActivityReader(records) });
    const order = ids(await walk(useCase, listQuery({ sort: 'asc', limit: 7 })));

    const pages = [];
    for (let page = 1; page <= 4; page++) {
      pages.push(await useCase.list(listQuery({ sort: 'asc', limit: 7, pagination: { mode: 'offset', page } })));
    }

    expect(pages.flatMap((p) => ids(p.data))).toEqual(order);
    expect(pages.map((p) => p.page)).toEqual(
      [1, 2, 3, 4].map((page) => ({
        limit: 7,
        page,
        total: 25,
        totalPages: 4,
        totalIsExact: true,
        hasMore: page < 4,
      })) as OffsetPageInfo[],
    );
  });

  it('when an offset page lies beyond 10,000 rows, then it is rejected pointing to cursors and nothing is queried', async () => {
    const reader = new InMemoryActivityReader(seed());
    const attempt = new QueryActivitiesUseCase({ reader }).list(
      listQuery({ limit: 100, pagination: { mode: 'offset', page: 101 } }),
    );
    await expect(attempt).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ path: 'page', message: expect.stringContaining('cursor') }],
    });
    expect(reader.calls).toEqual([]);
  });
});

describe('QueryActivitiesUseCase.getById', () => {
  it('when the event exists, then it is returned; when not, then NOT_FOUND', async () => {
    const record = anActivityRecord();
    const useCase = new QueryActivitiesUseCase({ reader: new InMemoryActivityReader([record]) });
    await expect(useCase.getById(record.eventId)).resolves.toEqual(record);
    await expect(useCase.getById('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('QueryActivitiesUseCase.listUserHistory', () => {
  const A1 = 'anon-browser-1';
  const A2 = 'anon-phone-2';
  const SHARED = 'anon-shared-3';

  /** Alice browsed anonymously on two devices, identified on both; bob used her browser later, and linked another. */
  function history(): ActivityRecord[] {
    return [
      anActivityRecord({ anonymousId: A1, userId: undefined, type: 'PAGE_VIEW', occurredAt: at(1) }),
      anActivityRecord({ anonymousId: A2, userId: undefined, type: 'SEARCH', occurredAt: at(2) }),
      anActivityRecord({ anonymousId: A1, userId: 'alice', type: 'IDENTIFY', occurredAt: at(3) }),
      anActivityRecord({ anonymousId: A1, userId: 'alice', type: 'CLICK', occurredAt: at(4) }),
      anActivityRecord({ anonymousId: A2, userId: 'alice', type: 'ALIAS', occurredAt: at(5) }),
      anActivityRecord({ userId: 'alice', type: 'LOGOUT', occurredAt: at(6) }),
      // bob on alice's browser: his, not hers.
      anActivityRecord({ anonymousId: A1, userId: 'bob', type: 'LOGIN', occurredAt: at(7) }),
      // SHARED was linked by bob first, so alice's later identify does not bring its events to her.
      anActivityRecord({ anonymousId: SHARED, userId: undefined, type: 'PAGE_VIEW', occurredAt: at(8) }),
      anActivityRecord({ anonymousId: SHARED, userId: 'bob', type: 'IDENTIFY', occurredAt: at(9) }),
      anActivityRecord({ anonymousId: SHARED, userId: 'alice', type: 'IDENTIFY', occurredAt: at(10) }),
    ];
  }

  const useCaseOver = (records: ActivityRecord[]) =>
    new QueryActivitiesUseCase({
      reader: new InMemoryActivityReader(records),
      identities: new InMemoryIdentityReader(records),
    });

  it('when walking a user’s history, then the anonymous events of the ids it linked first come in order, once', async () => {
    const records = history();
    const seen = await walk(useCaseOver(records), listQuery({ limit: 2, sort: 'asc' }), 'alice');

    expect(seen.map((r) => [r.type, r.userId ?? null, r.anonymousId ?? null])).toEqual([
      ['PAGE_VIEW', null, A1],
      ['SEARCH', null, A2],
      ['IDENTIFY', 'alice', A1],
      ['CLICK', 'alice', A1],
      ['ALIAS', 'alice', A2],
      ['LOGOUT', 'alice', null],
      ['IDENTIFY', 'alice', SHARED],
    ]);
  });

  it('when a link is stored between two pages, then the cursor still fits and the next pages include its events', async () => {
    const records = history().filter((r) => r.type !== 'ALIAS');
    const useCase = useCaseOver(records);
    const first = await useCase.listUserHistory('alice', listQuery({ limit: 1, sort: 'desc' }));
    expect(ids(first.data)).toEqual([records[8]!.eventId]);
    records.push(anActivityRecord({ anonymousId: A2, userId: 'alice', type: 'ALIAS', occurredAt: at(5) }));

    const next = await useCase.listUserHistory(
      'alice',
      listQuery({
        limit: 100,
        sort: 'desc',
        pagination: { mode: 'cursor', cursor: (first.page as CursorPageInfo).nextCursor! },
      }),
    );
    expect(next.data.map((r) => r.type)).toEqual(['LOGOUT', 'ALIAS', 'CLICK', 'IDENTIFY', 'SEARCH', 'PAGE_VIEW']);
  });

  it('when paging a history by offset, then the total counts the linked events too', async () => {
    const result = await useCaseOver(history()).listUserHistory(
      'alice',
      listQuery({ limit: 5, pagination: { mode: 'offset', page: 2 } }),
    );
    expect(result.page).toMatchObject({ total: 7, totalPages: 2, hasMore: false });
    expect(result.data).toHaveLength(2);
  });

  it('when no identity reader is wired, then a history is the user’s own events', async () => {
    const records = history();
    const result = await new QueryActivitiesUseCase({ reader: new InMemoryActivityReader(records) }).listUserHistory(
      'alice',
      listQuery({ limit: 100 }),
    );
    expect(result.data.every((r) => r.userId === 'alice')).toBe(true);
    expect(result.data).toHaveLength(5);
  });
});
