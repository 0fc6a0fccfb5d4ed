import { randomUUID } from 'node:crypto';
import { anActivityRecord, InMemoryActivityReader } from '../testing/in-memory-activity.reader';
import type { ActivityRecord } from './ports/activity-reader.port';
import { QueryActivitiesUseCase } from './query-activities.use-case';
import { ExportActivitiesUseCase } from './export-activities.use-case';
import type { ActivityFilters, SortOrder } from '../domain/activity-query';

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second));

/** 3,000 records on 40 instants, so every chunk boundary falls inside a run of equal occurredAt. */
function seed(): ActivityRecord[] {
  return Array.from({ length: 3_000 }, (_, i) =>
    anActivityRecord({
      eventId: randomUUID(),
      userId: ['alice', 'bob', 'carol'][i % 3]!,
      type: (['LOGIN', 'SEARCH', 'LOGOUT'] as const)[i % 3]!,
      occurredAt: at(i % 40),
    }),
  );
}

async function collect(exporter: ExportActivitiesUseCase, filters: ActivityFilters, sort: SortOrder = 'desc') {
  const pages: ActivityRecord[][] = [];
  for await (const page of exporter.pages({ filters, sort })) pages.push(page);
  return pages;
}

async function cursorWalk(reader: InMemoryActivityReader, filters: ActivityFilters, sort: SortOrder = 'desc') {
  const queries = new QueryActivitiesUseCase({ reader });
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const list = await queries.list({
      filters,
      sort,
      limit: 100,
      pagination: { mode: 'cursor', ...(cursor ? { cursor } : {}) },
    });
    ids.push(...list.data.map((r) => r.eventId));
    cursor = (list.page as { nextCursor: string | null }).nextCursor ?? undefined;
  } while (cursor);
  return ids;
}

describe('ExportActivitiesUseCase', () => {
  it.each([
    ['no filters, desc', {}, 'desc'],
    ['a user and a range, asc', { userId: 'bob', from: at(5), to: at(33) }, 'asc'],
    ['two types', { types: ['LOGIN', 'LOGOUT'] }, 'desc'],
  ] as const)(
    'when exporting with %s, then the pages together equal a cursor walk of the list, ties across chunks included',
    async (_label, filters, sort) => {
      const reader = new InMemoryActivityReader(seed());
      const exporter = new ExportActivitiesUseCase({ chunkSize: 500 }, { reader });

      const pages = await collect(exporter, filters, sort);
      const exported = pages.flat().map((r) => r.eventId);

      expect(exported).toEqual(await cursorWalk(reader, filters, sort));
      expect(new Set(exported).size).toBe(exported.length);
      expect(pages.every((p) => p.length <= 500)).toBe(true);
    },
  );

  it('when the matches are an exact multiple of the chunk, then one extra empty read ends the walk and no empty page is yielded', async () => {
    const reader = new InMemoryActivityReader(seed());
    const pages = await collect(new ExportActivitiesUseCase({ chunkSize: 500 }, { reader }), {});

    expect(pages.map((p) => p.length)).toEqual([500, 500, 500, 500, 500, 500]);
    expect(reader.calls.filter((c) => c.method === 'findPage')).toHaveLength(7);
  });

  it('when the next page is not asked for, then it is not read (one page in memory at a time)', async () => {
    const reader = new InMemoryActivityReader(seed());
    const pages = new ExportActivitiesUseCase({ chunkSize: 500 }, { reader }).pages({ filters: {}, sort: 'desc' });

    await pages.next();
    await pages.next();

    expect(reader.calls).toHaveLength(2);
  });

  it('when the signal aborts, then the walk stops before the next read', async () => {
    const reader = new InMemoryActivityReader(seed());
    const gone = new AbortController();
    const pages = new ExportActivitiesUseCase({ chunkSize: 500 }, { reader }).pages(
      { filters: {}, sort: 'desc' },
      gone.signal,
    );

    await pages.next();
    gone.abort();

    expect((await pages.next()).done).toBe(true);
    expect(reader.calls).toHaveLength(1);
  });

  it('when nothing matches, then no page is yielded', async () => {
    const reader = new InMemoryActivityReader(seed());
    expect(await collect(new ExportActivitiesUseCase({ chunkSize: 500 }, { reader }), { userId: 'nobody' })).toEqual(
      [],
    );
  });
});
