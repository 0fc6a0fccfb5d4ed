import { DEAD_LETTER_INDEXES, DEAD_LETTERS_COLLECTION, type DeadLetterRecord } from '@uap/shared/contract';
import { detectStoreServer, storeLabel } from '@uap/shared/runtime';
import { aDeadLetterRecord } from '@uap/shared/testing';
import type { Connection } from 'mongoose';
import { dropDatabase, integrationStore, testDatabase } from '../../../../test/support/integration';
import { InMemoryDeadLetterStore } from '../../testing/in-memory-dead-letters';
import { lettersBySourcePipeline, MongoDeadLetterStore } from './mongo-dead-letter.store';

/** web: one letter of each status; ios: one; two letters from keys bound to no source. */
const LETTERS: DeadLetterRecord[] = [
  aDeadLetterRecord({ sourceId: 'web' }),
  aDeadLetterRecord({ sourceId: 'web', status: 'replayed' }),
  aDeadLetterRecord({ sourceId: 'web', status: 'parked' }),
  aDeadLetterRecord({ sourceId: 'ios', reason: 'invalid-json' }),
  aDeadLetterRecord(),
  aDeadLetterRecord({ reason: 'invalid-json' }),
];

describe(`MongoDeadLetterStore on ${integrationStore()}: letters per source`, () => {
  let db: Connection;
  let store: MongoDeadLetterStore;
  const reference = new InMemoryDeadLetterStore().add(...LETTERS);

  beforeAll(async () => {
    db = await testDatabase('dead_letters_by_source');
    // As the worker declares them (none partial, so FerretDB takes them too).
    for (const { name, key, unique } of DEAD_LETTER_INDEXES) {
      await db.collection(DEAD_LETTERS_COLLECTION).createIndex({ ...key }, { name, ...(unique ? { unique } : {}) });
    }
    await db.collection(DEAD_LETTERS_COLLECTION).insertMany(LETTERS.map((letter) => ({ ...letter })));
    store = new MongoDeadLetterStore(db, { maxTimeMs: 10_000 });
  });
  afterAll(async () => {
    await dropDatabase(db);
  });

  it('when letters of several sources and of none are indexed, then one grouped count gives each source all of its letters', async () => {
    const all = await store.countsBySource();

    expect(Object.fromEntries(all)).toEqual({ web: 3, ios: 1 });
    expect(all).toEqual(await reference.countsBySource());
  });

  it('when one source is asked for, then only its letters are counted; a source without letters is absent', async () => {
    expect(Object.fromEntries(await store.countsBySource('web'))).toEqual({ web: 3 });
    expect(Object.fromEntries(await store.countsBySource('backend'))).toEqual({});
  });

  it('when the grouped count is explained on MongoDB, then it walks sourceId_failedAt_letterId, never the collection (on FerretDB: reported as not run)', async () => {
    const server = await detectStoreServer(db.db!);
    if (server.kind === 'FerretDB') {
      console.warn(
        `store is ${storeLabel(server)}: the MongoDB-only explain() of the letters-per-source count was NOT run; ` +
          'FerretDB plans it in SQL, over a dead-letter index that stays small (letters are few)',
      );
      return;
    }
    for (const sourceId of [undefined, 'web']) {
      const explained = await db
        .collection(DEAD_LETTERS_COLLECTION)
        .aggregate(lettersBySourcePipeline(sourceId))
        .explain('queryPlanner');
      const plan = JSON.stringify(explained);

      expect([sourceId, plan.includes('sourceId_failedAt_letterId'), plan.includes('COLLSCAN')]).toEqual([
        sourceId,
        true,
        false,
      ]);
    }
  });
});
