import { encodeCursor } from '../domain/activity-query';
import { encodeViolationCursor, type ViolationListQuery } from '../domain/violation-query';
import { domainErrorOf } from '../testing/domain-error-of';
import { anActivityRecord, InMemoryActivityReader } from '../testing/in-memory-activity.reader';
import type { ActivityRecord } from './ports/activity-reader.port';
import { ListViolationsUseCase } from './list-violations.use-case';

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second));
const VIOLATION = { pointer: '/metadata/query', message: 'must be string' };

/** 40 events, several sharing one instant: every 4th unplanned, every 4th (offset 1) flagged, the rest planned. */
function seed(): ActivityRecord[] {
  return Array.from({ length: 40 }, (_, i) =>
    anActivityRecord({
      type: i % 4 === 0 ? 'VIDEO_PLAY' : i % 8 < 4 ? 'SEARCH' : 'LOGIN',
      occurredAt: at(Math.floor(i / 3)),
      ...(i % 4 === 0 ? { planned: false as const } : {}),
      ...(i % 4 === 1 ? { typeVersion: 1, violations: [VIOLATION] } : {}),
    }),
  );
}

const newestFirst = (records: ActivityRecord[]) =>
  [...records].sort((a, b) => b.occurredAt.getTime() - a.occurredAt.getTime() || (a.eventId < b.eventId ? 1 : -1));
const ids = (records: ActivityRecord[]) => records.map((r) => r.eventId);

async function walk(useCase: ListViolationsUseCase, query: Omit<ViolationListQuery, 'cursor'>) {
  const seen: ActivityRecord[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const { data, page } = await useCase.list({ ...query, ...(cursor ? { cursor } : {}) });
    seen.push(...data);
    if (!page.hasMore) {
      expect(page.nextCursor).toBeNull();
      return seen;
    }
    cursor = page.nextCursor!;
  }
  throw new Error('cursor walk did not end');
}

describe('ListViolationsUseCase', () => {
  const records = seed();
  const unplanned = records.filter((r) => r.planned === false);
  const flagged = records.filter((r) => r.violations !== undefined);

  it('when listing without filters, then every unplanned and flagged event comes newest first, and no planned one', async () => {
    const useCase = new ListViolationsUseCase({ reader: new InMemoryActivityReader(records) });
    expect(ids(await walk(useCase, { filters: {}, limit: 3 }))).toEqual(ids(newestFirst([...unplanned, ...flagged])));
  });

  it.each([
    ['kind unplanned', { kind: 'unplanned' as const }, () => unplanned],
    ['kind flagged', { kind: 'flagged' as const }, () => flagged],
    ['one type', { type: 'SEARCH' }, () => flagged.filter((r) => r.type === 'SEARCH')],
    ['a type and a kind that never meet', { type: 'VIDEO_PLAY', kind: 'flagged' as const }, () => []],
  ])('when filtering by %s, then the pages hold exactly the matching violations', async (_, filters, expected) => {
    const useCase = new ListViolationsUseCase({ reader: new InMemoryActivityReader(records) });
    expect(ids(await walk(useCase, { filters, limit: 4 }))).toEqual(ids(newestFirst(expected())));
  });

  it('when a page is read, then the reader is asked for one row more than the limit, and the next page resumes after the last', async () => {
    const reader = new InMemoryActivityReader(records);
    const useCase = new ListViolationsUseCase({ reader });
    const first = await useCase.list({ filters: { kind: 'unplanned' }, limit: 2 });
    await useCase.list({ filters: { kind: 'unplanned' }, limit: 2, cursor: first.page.nextCursor! });

    const last = first.data[1]!;
    expect(reader.calls.map((c) => c.arg)).toEqual([
      { filters: { kind: 'unplanned' }, limit: 3 },
      {
        filters: { kind: 'unplanned' },
        limit: 3,
        after: { occurredAt: last.occurredAt, eventId: last.eventId },
      },
    ]);
  });

  it('when the cursor belongs to other filters, to the activity list, or is garbage, then it is refused with cursor-not-issued and nothing is read', async () => {
    const reader = new InMemoryActivityReader(records);
    const useCase = new ListViolationsUseCase({ reader });
    const position = { occurredAt: at(5), eventId: records[5]!.eventId };
    for (const cursor of [
      encodeViolationCursor(position, { kind: 'flagged' }),
      encodeCursor(position, {}, 'desc'),
      'bm90LWEtY3Vyc29y',
    ]) {
      const err = await domainErrorOf(useCase.list({ filters: { kind: 'unplanned' }, limit: 5, cursor }));
      expect(err.code).toBe('VALIDATION_FAILED');
      expect(err.errors).toEqual([expect.objectContaining({ path: 'cursor', rule: 'cursor-not-issued' })]);
    }
    expect(reader.calls).toEqual([]);
  });
});
