import { ACTIVITIES_COLLECTION, ACTIVITY_INDEXES } from '@uap/shared/contract';
import type { Connection } from 'mongoose';
import {
  dropDatabase,
  integrationStore,
  requiredFerretDbPostgresUrl,
  storeIsFerretDb,
  testDatabase,
} from '../../../../test/support/integration';
import type { ActivityFilters } from '../../domain/activity-query';
import { FerretDbPostgresActivityReader } from './ferretdb-postgres-activity.reader';

/**
 * Offset pages are answered as keyset pages from a boundary key (buildPageSql). Ties are where that could go
 * wrong: here most events share one instant, so every page boundary falls inside a tie, broken by eventId.
 */
if (!storeIsFerretDb()) {
  describe('FerretDB SQL reader offset pages', () => {
    it('when the store is not FerretDB, then the SQL reader does not apply and is not run', () => {
      console.warn(`ferretdb-postgres-activity.reader: NOT run: the store is ${integrationStore()}, not FerretDB`);
      expect(storeIsFerretDb()).toBe(false);
    });
  });
} else {
  describe('FerretDB SQL reader offset pages', () => {
    let db: Connection;
    let reader: FerretDbPostgresActivityReader;
    const at = Date.parse('2026-04-01T10:00:00.000Z');
    const types = ['LOGIN', 'CLICK', 'SEARCH'] as const;
    const events = Array.from({ length: 60 }, (_, i) => ({
      eventId: `tie-${String((i * 37) % 60).padStart(2, '0')}`,
      userId: `u${i % 2}`,
      type: types[i % 3]!,
      // 40 at one instant, 10 just before, 10 just after.
      occurredAt: new Date(i < 40 ? at : i < 50 ? at - 1 : at + 1),
    }));

    beforeAll(async () => {
      db = await testDatabase('ferretdb_offset_ties');
      const collection = db.collection(ACTIVITIES_COLLECTION);
      for (const index of ACTIVITY_INDEXES) {
        await collection.createIndex({ ...index.key }, { name: index.name, ...(index.unique ? { unique: true } : {}) });
      }
      // Inserted in an order unrelated to the sort, as the worker may.
      await collection.insertMany(
        events.map((e) => ({ ...e, receivedAt: new Date(at), metadata: {}, context: {}, schemaVersion: 1 })),
      );
      reader = await FerretDbPostgresActivityReader.connect({
        url: requiredFerretDbPostgresUrl(),
        database: db.name,
        queryTimeoutMs: 5_000,
      });
    });

    afterAll(async () => {
      await reader?.close();
      await dropDatabase(db);
    });

    const cases: Array<[string, ActivityFilters]> = [
      ['no filter', {}],
      ['two types', { types: ['LOGIN', 'SEARCH'] }],
      ['userId + from', { userId: 'u1', from: new Date(at) }],
      ['one type + to', { types: ['CLICK'], to: new Date(at + 1) }],
    ];
    it.each(
      cases.flatMap(([name, filters]) => (['desc', 'asc'] as const).map((sort) => [name, filters, sort] as const)),
    )(
      'when paging by offset through ties (%s, %s), then every page equals the same slice of the sorted matches',
      async (_, filters, sort) => {
        const sign = sort === 'asc' ? 1 : -1;
        const expected = events
          .filter((e) => filters.userId === undefined || e.userId === filters.userId)
          .filter((e) => filters.types === undefined || (filters.types as readonly string[]).includes(e.type))
          .filter((e) => !filters.from || e.occurredAt >= filters.from)
          .filter((e) => !filters.to || e.occurredAt < filters.to)
          .sort((a, b) => sign * (a.occurredAt.getTime() - b.occurredAt.getTime() || (a.eventId < b.eventId ? -1 : 1)))
          .map((e) => e.eventId);
        for (let skip = 0; skip <= expected.length + 7; skip += 7) {
          const page = await reader.findPage({ filters, sort, skip, limit: 7 });
          expect(page.map((r) => r.eventId)).toEqual(expected.slice(skip, skip + 7));
        }
      },
    );
  });
}
