import type { Timed, WriteScaleReport, WriteScaleSize } from '../support/measure-results';
import {
  ACTIVITIES_COLLECTION,
  ERASURES_COLLECTION,
  encodeActivityMessage,
  type ActivityEvent,
} from '@uap/shared/contract';
import type { Producer } from 'kafkajs';
import type { Collection } from 'mongodb';
import { createConnection } from 'mongoose';
import type { UserDataEraser } from '../../api-service/src/application/ports/erasure.ports';
import { MongoUserDataEraser } from '../../api-service/src/infrastructure/mongo/mongo-erasure.store';
import { FerretDbPostgresUserDataEraser } from '../../api-service/src/infrastructure/postgres/ferretdb-postgres-user-data.eraser';
import { FerretDbSqlStore } from '../../worker-service/src/infrastructure/postgres/ferretdb-sql.store';
import type { ServiceProcess } from '../../test/support/service-process';
import { CONFIG } from '../support/bench-config';
import { benchKafka } from '../support/bench-context';
import { benchInputs, toEvents } from '../support/bench-events';
import { startWorker, type BenchStack } from '../support/bench-stack';
import { createIndexes, seedDocuments, vacuumIfSql } from '../support/bench-store';
import { waitForCount } from './pipeline.measure';

/** Sends events to the worker's topic and waits until its counters have seen them all; resolves the elapsed ms. */
export async function sendAndDrain(
  producer: Producer,
  topic: string,
  events: readonly ActivityEvent[],
  processed: () => Promise<number>,
  timeoutMs: number,
): Promise<number> {
  const before = await processed();
  const t0 = performance.now();
  for (let i = 0; i < events.length; i += 2_000) {
    await producer.send({ topic, acks: -1, messages: events.slice(i, i + 2_000).map((e) => encodeActivityMessage(e)) });
  }
  const done = await waitForCount(processed, before + events.length, t0, timeoutMs);
  if (!done.reached) throw new Error(`the worker did not drain ${events.length} events within ${timeoutMs} ms`);
  return done.atMs;
}

/**
 * The duplicate check as the worker made it before issue 24 (one `findOne({eventId})` per id, 8 in flight),
 * timed on the first `sample` ids and extrapolated to all: at a million events each lookup is a scan.
 */
export async function perIdLookupsBefore(
  collection: Collection,
  eventIds: readonly string[],
  sample: number,
): Promise<Timed> {
  const queue = eventIds.slice(0, sample);
  const t0 = performance.now();
  const lookUp = async () => {
    for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
      await collection.findOne({ eventId: id }, { projection: { _id: 0, sourcePartition: 1, sourceOffset: 1 } });
    }
  };
  await Promise.all(Array.from({ length: 8 }, lookUp));
  const ms = performance.now() - t0;
  return sample >= eventIds.length
    ? { ms }
    : { ms: (ms * eventIds.length) / sample, sampled: `${sample} of ${eventIds.length} lookups` };
}

/**
 * Retention as the sweeper did it before issue 24 on FerretDB (find the oldest chunk through the wire, then
 * deleteMany by eventId), for `chunks` chunks: its rate, since a whole sweep would take many minutes.
 */
export async function sweepChunksBefore(
  collection: Collection,
  cutoff: Date,
  chunk: number,
  chunks: number,
): Promise<{ deleted: number; ms: number }> {
  const t0 = performance.now();
  let deleted = 0;
  for (let i = 0; i < chunks; i++) {
    const old = await collection
      .find({ occurredAt: { $lt: cutoff } }, { projection: { _id: 0, eventId: 1 } })
      .sort({ occurredAt: 1 })
      .limit(chunk)
      .toArray();
    if (old.length === 0) break;
    deleted += (await collection.deleteMany({ eventId: { $in: old.map((d) => d['eventId'] as string) } })).deletedCount;
  }
  return { deleted, ms: performance.now() - t0 };
}

/**
 * FerretDB deletes every match of one deleteMany in a single SQL statement, with a parameter per document,
 * so one call over more than 65,535 documents fails ("extended protocol limited to 65535 parameters").
 * Raw deletion is therefore one deleteMany per time slice of at most 50,000 of the known expired events.
 */
export async function deleteExpired(
  collection: Collection,
  expired: readonly ActivityEvent[],
  cutoff: Date,
): Promise<number> {
  const times = expired.map((e) => Date.parse(e.occurredAt)).sort((a, b) => a - b);
  const bounds = times.filter((_, i) => i > 0 && i % 50_000 === 0).map((t) => new Date(t));
  let deleted = 0;
  for (const bound of [...bounds, cutoff]) {
    deleted += (await collection.deleteMany({ occurredAt: { $lt: bound } })).deletedCount;
  }
  return deleted;
}

const RESEND_EVENTS = 500;
const RESEND_SAMPLES = 3;
const ERASED_USER_EVENTS = 100;
const INSERT_EVENTS = 20_000;
const RETENTION_CHUNK = 1_000;

/**
 * `--only write-scale` (issue 24): the write, erase and retention paths at growing store sizes, seeded straight
 * into the store as `--only reads` does. A worker process (as `npm run stack` runs it, with FERRETDB_POSTGRES_URL)
 * drains resent batches and new events from its topic; erasure and retention are timed on their adapters, the new
 * SQL ones next to the Mongo-wire ones they replace on FerretDB (and still use without the URL).
 */
export async function writeScale(stack: BenchStack): Promise<WriteScaleReport> {
  const db = `bench_${stack.id}_writes`;
  const topic = `bench-${stack.id}-writes`;
  const pgUrl = stack.services.ferretdbPostgresUrl;
  const database = stack.client.db(db);
  const collection = database.collection(ACTIVITIES_COLLECTION);
  stack.dbs.push(db);
  await createIndexes(database);
  // As the api creates it: the worker's erasure check reads this collection by userHash.
  await database.collection(ERASURES_COLLECTION).createIndex({ userHash: 1 }, { name: 'userHash' });
  const largest = Math.max(...CONFIG.writeSizes);
  const day = 86_400_000;
  const events = toEvents(
    benchInputs(largest, { users: CONFIG.users, startMs: Date.now() - day, spreadMs: day }),
    new Date(),
  );
  const fresh = (count: number, from: number) =>
    toEvents(benchInputs(count, { users: CONFIG.users, startMs: from, spreadMs: day }), new Date());
  const processed = await startWorker(stack, 'worker-writes', topic, db, pgUrl ? { FERRETDB_POSTGRES_URL: pgUrl } : {});
  const worker = stack.processes.at(-1) as ServiceProcess;
  const kafka = benchKafka(stack.services.kafkaBrokers);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const mongoose = await createConnection(stack.services.mongoUrl, { dbName: db }).asPromise();
  const sqlStore = pgUrl ? FerretDbSqlStore.connect(pgUrl, db) : undefined;
  const sqlEraser = pgUrl ? FerretDbPostgresUserDataEraser.connect({ url: pgUrl, database: db }) : undefined;
  const wireEraser = new MongoUserDataEraser(mongoose);
  const drain = (batch: readonly ActivityEvent[]) =>
    sendAndDrain(producer, topic, batch, processed, CONFIG.stageTimeoutMs);
  try {
    // Warm-up: topic metadata, the worker's first fetch, connection pools.
    await drain(fresh(1_000, Date.now() - day));
    // The api puts its read layout (columns, indexes) on the table when it starts, and its SQL eraser does on first
    // use: put it there now, so every figure below is taken with it, as on a deployment, the empty table's included.
    await sqlEraser?.deleteUser('bench-read-layout', new Date());
    console.error(`[bench] write-scale: ${INSERT_EVENTS} new events into an empty table`);
    const emptyInsertEventsPerSec = (INSERT_EVENTS / (await drain(fresh(INSERT_EVENTS, Date.now() - day)))) * 1000;

    const sizes: WriteScaleSize[] = [];
    let stored = 0;
    for (const size of [...CONFIG.writeSizes].sort((a, b) => a - b)) {
      console.error(`[bench] write-scale: seeding ${stored} → ${size} events by insertMany`);
      await seedDocuments(collection, events.slice(stored, size), stored);
      stored = size;
      await vacuumIfSql(stack, db);
      const count = await collection.estimatedDocumentCount();

      console.error(`[bench] write-scale: ${RESEND_SAMPLES} resends of ${RESEND_EVENTS} stored events at ${count}`);
      const resendMs: number[] = [];
      for (let i = 0; i < RESEND_SAMPLES; i++) {
        const from = Math.floor(((i + 1) * size) / (RESEND_SAMPLES + 1));
        resendMs.push(await drain(events.slice(from, from + RESEND_EVENTS)));
      }
      const resendIds = events.slice(0, RESEND_EVENTS).map((e) => e.eventId);
      const resendLookupsBeforeMs = await perIdLookupsBefore(collection, resendIds, size > 200_000 ? 16 : 64);

      console.error(`[bench] write-scale: ${INSERT_EVENTS} new events at ${count}`);
      const insertEventsPerSec = (INSERT_EVENTS / (await drain(fresh(INSERT_EVENTS, Date.now() - day)))) * 1000;

      console.error(`[bench] write-scale: erasing a user with ${ERASED_USER_EVENTS} events, SQL and wire`);
      const eraseOne = async (eraser: UserDataEraser | undefined, userId: string) => {
        if (!eraser) return Number.NaN;
        const own = toEvents(
          benchInputs(ERASED_USER_EVENTS, { users: 1, startMs: Date.now() - day, spreadMs: day }).map((input) => ({
            ...input,
            userId,
          })),
          new Date(Date.now() - 60_000),
        );
        await seedDocuments(collection, own, 0, 1);
        const t0 = performance.now();
        const deleted = await eraser.deleteUser(userId, new Date());
        const ms = performance.now() - t0;
        if (deleted.activities !== ERASED_USER_EVENTS) throw new Error(`erased ${deleted.activities} events`);
        return ms;
      };
      const eraseSqlMs = await eraseOne(sqlEraser, `erase-sql-${size}`);
      const eraseWireMs = await eraseOne(wireEraser, `erase-wire-${size}`);

      console.error(`[bench] write-scale: retention of ${CONFIG.retentionEvents} expired events, 3 ways`);
      const cutoff = new Date(Date.now() - 300 * day);
      const expired = fresh(CONFIG.retentionEvents, Date.now() - 400 * day);
      const expire = () => seedDocuments(collection, expired, 0);
      const rate = (deleted: number, ms: number) => (deleted / ms) * 1000;
      let sweepEventsPerSec = Number.NaN;
      if (sqlStore) {
        await expire();
        await vacuumIfSql(stack, db);
        const t0 = performance.now();
        let deleted = 0;
        for (let n = -1; n !== 0; deleted += n) n = await sqlStore.deleteOlderThan(cutoff, RETENTION_CHUNK);
        sweepEventsPerSec = rate(deleted, performance.now() - t0);
      }
      await expire();
      const t1 = performance.now();
      const rawDeleteManyEventsPerSec = rate(await deleteExpired(collection, expired, cutoff), performance.now() - t1);
      await expire();
      // Each chunk of the old sweep is two scans of the whole table through FerretDB's wire: one is enough for its rate.
      const before = await sweepChunksBefore(collection, cutoff, RETENTION_CHUNK, 1);
      if (sqlStore) while ((await sqlStore.deleteOlderThan(cutoff, 10_000)) > 0);
      else await deleteExpired(collection, expired, cutoff);
      const sweepBeforeEventsPerSec = {
        eventsPerSec: rate(before.deleted, before.ms),
        sampled: `${before.deleted} of ${CONFIG.retentionEvents} (one chunk)`,
      };
      sizes.push({
        stored: count,
        resendMs,
        resendLookupsBeforeMs,
        eraseSqlMs,
        eraseWireMs,
        sweepEventsPerSec,
        rawDeleteManyEventsPerSec,
        sweepBeforeEventsPerSec,
        insertEventsPerSec,
      });
    }
    const rejoins = worker.logs.filter((l) => l.includes('The coordinator is not aware of this member')).length;
    return {
      worker: pgUrl
        ? `SQL on FerretDB's PostgreSQL for duplicate checks (FERRETDB_POSTGRES_URL); ${rejoins} group rejoins logged`
        : `Mongo wire; ${rejoins} group rejoins logged`,
      emptyInsertEventsPerSec,
      sizes,
    };
  } finally {
    await producer.disconnect();
    await mongoose.close();
    await sqlStore?.close();
    await sqlEraser?.close();
  }
}
