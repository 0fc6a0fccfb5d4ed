import { ACTIVITIES_COLLECTION, ACTIVITY_INDEXES, ERASURES_COLLECTION } from '@uap/shared/contract';
import { FerretDbTables } from '@uap/shared/runtime';
import type { Connection } from 'mongoose';
import { Pool } from 'pg';
import {
  dropDatabase,
  requiredFerretDbPostgresUrl,
  storeIsFerretDb,
  testDatabase,
} from '../../../../test/support/integration';
import { plansWithoutSeqScan, seqScans } from '../../../../test/support/sql-plans';
import { MongoActivityRepository } from '../mongo/mongo-activity.repository';
import { activityModel } from '../mongo/activity.model';
import { MongoErasureLookup } from '../mongo/mongo-erasure.lookup';
import { erasedAtSql, FerretDbSqlStore, retentionDeleteSql, storedPositionsSql } from './ferretdb-sql.store';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00.000Z');

/** 40 events over 40 days, written as the worker writes them (through the Mongo wire, with positions). */
const events = Array.from({ length: 40 }, (_, i) => ({
  eventId: `ev-${String(i).padStart(2, '0')}`,
  schemaVersion: 1,
  userId: `u${i % 4}`,
  type: 'LOGIN',
  occurredAt: new Date(NOW - (40 - i) * DAY),
  receivedAt: new Date(NOW - (40 - i) * DAY),
  persistedAt: new Date(NOW),
  sourcePartition: i % 3,
  sourceOffset: 1_000 + i,
  metadata: {},
  context: {},
}));

async function seed(db: Connection): Promise<void> {
  const activities = db.collection(ACTIVITIES_COLLECTION);
  for (const index of ACTIVITY_INDEXES) {
    await activities.createIndex({ ...index.key }, { name: index.name, ...(index.unique ? { unique: true } : {}) });
  }
  await activities.insertMany(events.map((e) => ({ ...e })));
  // As the api creates them (MongoErasureStore.ensureIndexes); two records for u1, the later one wins. The erasure
  // of u2 also covers an anonymous id u2 linked: its record is filed under userHash too (LinkedErasureRecord).
  const erasures = db.collection(ERASURES_COLLECTION);
  await erasures.createIndex({ userHash: 1 }, { name: 'userHash' });
  await erasures.insertMany([
    { erasureId: 'e1', userHash: 'h-u1', erasedAt: new Date(NOW - 5 * DAY) },
    { erasureId: 'e2', userHash: 'h-u1', erasedAt: new Date(NOW - DAY) },
    { erasureId: 'e3', userHash: 'h-u2', erasedAt: new Date(NOW - 2 * DAY) },
    { erasureId: 'e3.1', userHash: 'h-anonymous:a2', erasedAt: new Date(NOW - 2 * DAY), linkedTo: 'e3' },
  ]);
}

if (!storeIsFerretDb()) {
  describe('worker store paths on MongoDB', () => {
    let db: Connection;
    beforeAll(async () => {
      db = await testDatabase('worker_store_paths');
      await seed(db);
    });
    afterAll(async () => dropDatabase(db));

    it('when the duplicate check is explained, then MongoDB serves it from the unique eventId index (no COLLSCAN)', async () => {
      const explained = await db
        .collection(ACTIVITIES_COLLECTION)
        .find({ eventId: { $in: ['ev-01', 'ev-02'] } })
        .explain('queryPlanner');
      expect(JSON.stringify(explained['queryPlanner'])).not.toContain('COLLSCAN');
      const positions = await new MongoActivityRepository(activityModel(db)).storedPositions(['ev-01', 'nope']);
      expect([...positions]).toEqual([['ev-01', { partition: 1, offset: 1_001 }]]);
    });

    it('when the erasure check is explained, then MongoDB serves it from the userHash index, the linked anonymous ids’ records too', async () => {
      const hashes = ['h-u1', 'h-anonymous:a2', 'h-u3'];
      const explained = await db
        .collection(ERASURES_COLLECTION)
        .find({ userHash: { $in: hashes } })
        .explain('queryPlanner');
      expect(JSON.stringify(explained['queryPlanner'])).not.toContain('COLLSCAN');
      const latest = await new MongoErasureLookup(db).erasedAt(hashes);
      expect(Object.fromEntries(latest)).toEqual({
        'h-u1': new Date(NOW - DAY),
        'h-anonymous:a2': new Date(NOW - 2 * DAY),
      });
    });
  });
} else {
  describe('worker store paths on FerretDB: SQL over FerretDB’s indexes', () => {
    let db: Connection;
    let store: FerretDbSqlStore;
    let table: string;
    let erasures: string;

    beforeAll(async () => {
      db = await testDatabase('worker_store_paths');
      await seed(db);
      store = FerretDbSqlStore.connect(requiredFerretDbPostgresUrl(), db.name);
      const pg = new Pool({ connectionString: requiredFerretDbPostgresUrl(), max: 1 });
      const tables = new FerretDbTables(pg);
      table = (await tables.tableOf(db.name, ACTIVITIES_COLLECTION))!;
      erasures = (await tables.tableOf(db.name, ERASURES_COLLECTION))!;
      await pg.end();
    });

    afterAll(async () => {
      await store?.close();
      await dropDatabase(db);
    });

    it('when every statement is explained with sequential scans forbidden, then each is served by an index of FerretDB', async () => {
      const plans = await plansWithoutSeqScan(requiredFerretDbPostgresUrl(), {
        'stored positions': storedPositionsSql(table, ['ev-01', 'ev-02', 'nope']),
        'retention delete': retentionDeleteSql(table, new Date(NOW), 100),
        'erasure lookup': erasedAtSql(erasures, ['h-u1', 'h-u2']),
      });
      expect(seqScans(plans)).toEqual([]);
      // What serves them: the btrees FerretDB built for the declared indexes (named after them), and row addresses.
      expect(plans['stored positions']!.join()).toMatch(/Index Scan using \w+_eventid_unique_\w+_idx/);
      expect(plans['retention delete']!.join()).toMatch(/Index Scan on \w+ using \w+_occurredat_eventid_\w+_idx/);
      expect(plans['retention delete']!.join()).toContain('Tid Scan');
      expect(plans['erasure lookup']!.join()).toMatch(/Index Scan using \w+_userhash_\w+_idx/);
    });

    it('when positions are looked up, then each stored eventId has the position of its stored copy and unknown ids none', async () => {
      const positions = await store.storedPositions(['ev-00', 'ev-07', 'never-stored']);
      expect(Object.fromEntries(positions)).toEqual({
        'ev-00': { partition: 0, offset: 1_000 },
        'ev-07': { partition: 1, offset: 1_007 },
      });
      expect((await store.storedPositions([])).size).toBe(0);
    });

    it('when erasures are looked up, then each user or anonymous id hash has its latest erasure and others none', async () => {
      const latest = await store.erasedAt(['h-u1', 'h-u2', 'h-u3', 'h-anonymous:a2', 'h-anonymous:a3']);
      expect(Object.fromEntries(latest)).toEqual({
        'h-u1': new Date(NOW - DAY),
        'h-u2': new Date(NOW - 2 * DAY),
        'h-anonymous:a2': new Date(NOW - 2 * DAY),
      });
    });

    it('when retention deletes in chunks, then the oldest go first, at most a chunk at a time, and nothing newer', async () => {
      const cutoff = new Date(NOW - 30 * DAY + 1); // ev-00 … ev-10 are older
      expect(await store.deleteOlderThan(cutoff, 4)).toBe(4);
      const left = async () =>
        (
          await db
            .collection(ACTIVITIES_COLLECTION)
            .find({}, { projection: { eventId: 1 } })
            .toArray()
        )
          .map((d) => d['eventId'] as string)
          .sort();
      expect((await left())[0]).toBe('ev-04');
      expect(await store.deleteOlderThan(cutoff, 100)).toBe(7);
      expect(await store.deleteOlderThan(cutoff, 100)).toBe(0);
      expect(await left()).toEqual(events.slice(11).map((e) => e.eventId));
    });

    it('when retention has deleted through SQL, then FerretDB still reads what is left through its wire', async () => {
      expect(await db.collection(ACTIVITIES_COLLECTION).countDocuments({})).toBe(29);
      expect(await db.collection(ACTIVITIES_COLLECTION).findOne({ eventId: 'ev-11' })).not.toBeNull();
    });
  });
}
