import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ACTIVITIES_COLLECTION, ACTIVITY_INDEXES, ERASURES_COLLECTION, type ActivityEvent } from '@uap/shared/contract';
import { MongoClient, type Db } from 'mongodb';
import { createConnection } from 'mongoose';
import type { UserDataEraser } from '../api-service/src/application/ports/erasure.ports';
import { MongoUserDataEraser } from '../api-service/src/infrastructure/mongo/mongo-erasure.store';
import { FerretDbPostgresUserDataEraser } from '../api-service/src/infrastructure/postgres/ferretdb-postgres-user-data.eraser';
import { FerretDbSqlStore } from '../worker-service/src/infrastructure/postgres/ferretdb-sql.store';
import {
  deleteExpired,
  perIdLookupsBefore,
  seedDocuments,
  sendAndDrain,
  sweepChunksBefore,
  type WriteScaleReport,
  type WriteScaleSize,
} from './measures/write-scale.measure';
import { encodeCursor } from '../api-service/src/domain/activity-query';
import { toActivityDocument } from '../worker-service/src/infrastructure/mongo/mongo-activity.repository';
import { runNaiveConsumer, prefillTopic } from './measures/drain.measure';
import { runAutocannon, runRawProducer, type HttpRun, type IngestCost } from './measures/ingest.measure';
import { endToEndLatency, publishThroughApi, waitForCount } from './measures/pipeline.measure';
import { readShapes, sampleReads, type ReadSample } from './measures/reads.measure';
import {
  lowest,
  memoryOf,
  secondHalfSlopes,
  steadyLoad,
  type MemorySample,
  type ProcessMemory,
  type SoakLoad,
} from './measures/soak.measure';
import { Client as PgClient } from 'pg';
import { benchInputs, toEvents } from './support/bench-events';
import { coresUsed, cpuSecondsByRole } from './support/cpu-usage';
import { buildServices } from '../test/support/local-services';
import { ServiceProcess, freePort } from '../test/support/service-process';
import {
  BareServer,
  ROOT,
  benchKafka,
  describeBroker,
  describeStore,
  resolveServices,
  uniqueSuffix,
  type BenchServices,
} from './support/bench-context';
import {
  renderMarkdown,
  renderReadsAtScale,
  renderSoak,
  renderStatsAtScale,
  renderWriteScale,
  type BenchReport,
  type ReadsAtScaleReport,
  type StatsAtScaleReport,
} from './support/bench-report';
import { MongoActivityRollups } from '../worker-service/src/infrastructure/mongo/mongo-activity.rollups';
import { PostgresActivityRollups } from '../worker-service/src/infrastructure/postgres/postgres-activity.rollups';

/** Sizes can be shrunk for a smoke run (BENCH_EVENTS=5000 BENCH_HTTP_SECONDS=3); the defaults are the issue's. */
const CONFIG = {
  events: Number(process.env['BENCH_EVENTS'] ?? 200_000),
  httpSeconds: Number(process.env['BENCH_HTTP_SECONDS'] ?? 15),
  warmupSeconds: Number(process.env['BENCH_WARMUP_SECONDS'] ?? 3),
  connections: 32,
  batchSize: 100,
  latencySeconds: Number(process.env['BENCH_LATENCY_SECONDS'] ?? 15),
  naiveBudgetMs: Number(process.env['BENCH_NAIVE_SECONDS'] ?? 30) * 1000,
  readSamples: Number(process.env['BENCH_READ_SAMPLES'] ?? 3),
  /** Stored events the read shapes are measured at (`--only reads`), each size added to the previous. */
  readSizes: (process.env['BENCH_READ_SIZES'] ?? '100000,1000000').split(',').map(Number),
  readScaleSamples: Number(process.env['BENCH_READ_SCALE_SAMPLES'] ?? 21),
  /** Stored events the write path is measured at (`--only write-scale`), each size added to the previous. */
  writeSizes: (process.env['BENCH_WRITE_SIZES'] ?? '100000,1000000').split(',').map(Number),
  /** Expired events one retention measure deletes (`--only write-scale`). */
  retentionEvents: Number(process.env['BENCH_RETENTION_EVENTS'] ?? 100_000),
  /** Stored events the stats request is measured at (`--only stats`). */
  statsEvents: Number(process.env['BENCH_STATS_EVENTS'] ?? 1_000_000),
  /** The soak (`--only soak`): this long at this rate, in batches of this size. */
  soakSeconds: Number(process.env['BENCH_SOAK_SECONDS'] ?? 600),
  soakRate: Number(process.env['BENCH_SOAK_RATE'] ?? 1_500),
  soakBatchSize: Number(process.env['BENCH_SOAK_BATCH'] ?? 10),
  /** NODE_OPTIONS for the soak's api and worker, e.g. `--max-old-space-size=192` to cap V8's heap. */
  soakNodeOptions: process.env['BENCH_SOAK_NODE_OPTIONS'] ?? '',
  writers: 6,
  users: 1_000,
  stageTimeoutMs: 5 * 60_000,
};

interface Stack {
  services: BenchServices;
  client: MongoClient;
  id: string;
  processes: { stop(): Promise<unknown> }[];
  topics: string[];
  dbs: string[];
}

async function startApi(stack: Stack, name: string, topic: string, db: string): Promise<string> {
  return (await startApiProcess(stack, name, topic, db)).url;
}

async function startApiProcess(
  stack: Stack,
  name: string,
  topic: string,
  db: string,
  env: Record<string, string> = {},
): Promise<ServiceProcess> {
  const api = await ServiceProcess.start('api', name, {
    ...env,
    // Long enough to measure the slow shapes on FerretDB instead of cutting them off at the default 5 s.
    QUERY_TIMEOUT_MS: '60000',
    NODE_ENV: 'production',
    KAFKA_BROKERS: stack.services.kafkaBrokers,
    ACTIVITIES_TOPIC: topic,
    MONGO_URL: stack.services.mongoUrl,
    // As `npm run stack` runs it: on FerretDB/PostgreSQL the api reads with SQL over FerretDB's indexes.
    ...(stack.services.ferretdbPostgresUrl ? { FERRETDB_POSTGRES_URL: stack.services.ferretdbPostgresUrl } : {}),
    MONGO_DB: db,
    ...benchAuthEnv(),
  });
  stack.processes.push(api);
  stack.topics.push(topic);
  stack.dbs.push(db);
  await api.waitUntilReady(60_000);
  return api;
}

/** The read method the api chose at start-up, from its own log line. */
function readMethodOf(api: ServiceProcess): string {
  if (api.logs.some((l) => l.includes('"reader":"ferretdb-postgres-sql"')))
    return "SQL on FerretDB's PostgreSQL tables over read columns and btree indexes the api adds (FERRETDB_POSTGRES_URL)";
  if (api.logs.some((l) => l.includes('"reader":"mongo-wire"'))) return 'Mongo queries through the wire protocol';
  return 'unknown (the api did not log its reader)';
}

/**
 * Read shapes at growing store sizes: the documents are bulk-inserted (the worker's shape, through the
 * driver; the pipeline stage measures the write path), then each shape is sampled through the api.
 */
async function readsAtScale(stack: Stack): Promise<ReadsAtScaleReport> {
  const db = `bench_${stack.id}_reads`;
  const largest = Math.max(...CONFIG.readSizes);
  const start = Date.now() - 86_400_000;
  // Spread over a day in 10 ms steps, groups of 4 at one instant (ties), in an order unrelated to insertion.
  const inputs = benchInputs(largest, { users: CONFIG.users, startMs: start, spreadMs: 86_400_000 }).map(
    (input, i) => ({
      ...input,
      occurredAt: new Date(start + ((Math.floor(i / 4) * 2_654_435_761) % 8_640_000) * 10).toISOString(),
    }),
  );
  const collection = stack.client.db(db).collection(ACTIVITIES_COLLECTION);
  stack.dbs.push(db);
  await createIndexes(stack.client.db(db));
  const api = await startApiProcess(stack, 'api-reads', `bench-${stack.id}-reads`, db);
  const method = readMethodOf(api);
  const base = `${api.url}/api/v1/activities`;
  const sizes: ReadsAtScaleReport['sizes'] = [];
  let stored = 0;
  for (const size of [...CONFIG.readSizes].sort((a, b) => a - b)) {
    console.error(`[bench] reads: seeding ${stored} → ${size} events by insertMany`);
    const s0 = performance.now();
    await seedDocuments(collection, toEvents(inputs.slice(stored, size), new Date()), stored, CONFIG.writers);
    stored = size;
    const seedSeconds = (performance.now() - s0) / 1000;
    // What autovacuum does after inserts (the api sets it to every 10,000 on this table): statistics for the
    // planner, and the visibility map that lets the offset page's boundary be read from the index alone.
    await vacuumIfSql(stack, db);

    const present = inputs.slice(0, size);
    const depth = Math.min(10_000, size - 100);
    const walk = present
      .map((i) => ({ occurredAt: new Date(i.occurredAt!), eventId: i.eventId! }))
      .sort((a, b) => b.occurredAt.getTime() - a.occurredAt.getTime() || (a.eventId < b.eventId ? 1 : -1));
    const keysetAt = walk[depth - 1]!;
    const sample = present[123]!;
    const shapes = readShapes(
      base,
      { sample: { userId: sample.userId, type: sample.type, occurredAt: sample.occurredAt! }, keysetAt, depth },
      encodeCursor(keysetAt, {}, 'desc'),
    );
    console.error(`[bench] reads: ${shapes.length} shapes × ${CONFIG.readScaleSamples} requests at ${size} events`);
    const samples: ReadSample[] = [];
    for (const [shape, url] of shapes) {
      await sampleReads(shape, url, 1, AUTH_HEADERS); // warm-up: connection pool, plan cache
      samples.push(await sampleReads(shape, url, CONFIG.readScaleSamples, AUTH_HEADERS));
    }
    const count = await stack.client.db(db).collection(ACTIVITIES_COLLECTION).estimatedDocumentCount();
    sizes.push({ events: size, stored: count, seedSeconds, shapes: samples });
  }
  await Promise.all(stack.processes.splice(0).map((p) => p.stop()));
  return { method, samplesPerShape: CONFIG.readScaleSamples, sizes };
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
async function writeScale(stack: Stack): Promise<WriteScaleReport> {
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

const STATS_WARM_UP_REQUESTS = 10;

/**
 * `--only stats`: GET /api/v1/activities/stats for 24 h at minute buckets over BENCH_STATS_EVENTS (1,000,000)
 * stored events, next to the first list page on the same store and api (issue 19: within 2× of it).
 * Events are stored as the worker stores them (its document shape, 6 partitions, consecutive offsets) and
 * counted into the rollups by the worker's own rollup adapter (PostgreSQL tables on FerretDB, documents on
 * MongoDB), chunk by chunk per partition as the worker does. Time order follows offsets, as in live traffic: each chunk touches one or two hours.
 */
async function statsAtScale(stack: Stack): Promise<StatsAtScaleReport> {
  const db = `bench_${stack.id}_stats`;
  const total = CONFIG.statsEvents;
  const partitions = 6;
  const chunk = 500;
  const now = Date.now();
  const start = now - 86_400_000;
  const inputs = benchInputs(total, { users: CONFIG.users, startMs: start, spreadMs: 86_400_000 }).map((input, i) => ({
    ...input,
    occurredAt: new Date(start + Math.floor((i * 86_400_000) / total)).toISOString(),
  }));
  stack.dbs.push(db);
  const database = stack.client.db(db);
  await createIndexes(database);
  const collection = database.collection(ACTIVITIES_COLLECTION);
  // The worker's choice: PostgreSQL tables on FerretDB (FERRETDB_POSTGRES_URL), documents on MongoDB.
  await collection.insertOne({ _id: 'probe' } as never);
  await collection.deleteOne({ _id: 'probe' } as never);
  const pgUrl = stack.services.ferretdbPostgresUrl;
  const rollups = pgUrl
    ? PostgresActivityRollups.connect(pgUrl, db)
    : new MongoActivityRollups(() => database as never);
  await rollups.prepare(async () => false);
  console.error(`[bench] stats: storing ${total} events and counting them into the rollups`);
  const s0 = performance.now();
  const receivedAt = new Date();
  const events = toEvents(inputs, receivedAt);
  const writer = async (partition: number) => {
    const mine = events.filter((_, i) => i % partitions === partition);
    for (let offset = 0; offset < mine.length; offset += chunk) {
      const slice = mine.slice(offset, offset + chunk);
      const docs = slice.map((event, i) =>
        toActivityDocument({ event, partition, offset: String(offset + i) }, receivedAt),
      );
      await collection.insertMany(docs, { ordered: false });
      await rollups.apply(
        partition,
        slice.map((event, i) => ({
          partition,
          offset: offset + i,
          occurredAt: new Date(event.occurredAt),
          type: event.type,
        })),
        offset + slice.length - 1,
      );
    }
  };
  await Promise.all(Array.from({ length: partitions }, (_, p) => writer(p)));
  const seedSeconds = (performance.now() - s0) / 1000;
  if (rollups instanceof PostgresActivityRollups) await rollups.close();
  await vacuumIfSql(stack, db);

  const api = await startApiProcess(stack, 'api-stats', `bench-${stack.id}-stats`, db);
  const method = readMethodOf(api);
  const base = `${api.url}/api/v1/activities`;
  const alignedFrom = new Date(Math.ceil(start / 60_000) * 60_000);
  const alignedTo = new Date(alignedFrom.getTime() + 86_400_000);
  const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
  const shapes: Array<[string, string]> = [
    ['list: first page', base],
    [
      'stats: 24 h, minute buckets, whole minutes',
      `${base}/stats?${q({ from: alignedFrom.toISOString(), to: alignedTo.toISOString(), bucket: 'minute' })}`,
    ],
    ['stats: last 24 h (default range), minute buckets', `${base}/stats?bucket=minute`],
    [
      'stats: 24 h, hour buckets, two types',
      `${base}/stats?${q({ from: alignedFrom.toISOString(), to: alignedTo.toISOString(), type: 'LOGIN,SEARCH' })}`,
    ],
  ];
  const samples: ReadSample[] = [];
  for (const [shape, url] of shapes) {
    // Every shape as a long-running api serves it: with one warm-up, the first stats shape paid for compiling
    // the tally (measured: its requests 1-10 took 4-7 ms, 11-22 2.3-4.8 ms), whichever shape came first.
    await sampleReads(shape, url, STATS_WARM_UP_REQUESTS, AUTH_HEADERS);
    samples.push(await sampleReads(shape, url, CONFIG.readScaleSamples, AUTH_HEADERS));
  }
  // The answer is checked, not only timed: its total must be every stored event of the range.
  const check = (await (
    await fetch(
      `${base}/stats?${q({ from: new Date(start).toISOString(), to: new Date(now + 1).toISOString(), bucket: 'minute' })}`,
      {
        headers: AUTH_HEADERS,
      },
    )
  ).json()) as { total: number; bucketCount: number; source: string; exact: boolean };
  const stored = await collection.estimatedDocumentCount();
  await Promise.all(stack.processes.splice(0).map((p) => p.stop()));
  return {
    method,
    samplesPerShape: CONFIG.readScaleSamples,
    warmUp: STATS_WARM_UP_REQUESTS,
    events: total,
    stored,
    seedSeconds,
    shapes: samples,
    check: { total: check.total, buckets: check.bucketCount, source: check.source, exact: check.exact },
  };
}

async function vacuumIfSql(stack: Stack, db: string): Promise<void> {
  const url = stack.services.ferretdbPostgresUrl;
  if (!url) return;
  const pg = new PgClient({ connectionString: url });
  await pg.connect();
  try {
    const { rows } = await pg.query<{ table: string }>(
      `SELECT _jsonb ->> 'table' AS table FROM "${db}"._ferretdb_database_metadata WHERE _jsonb ->> '_id' = $1`,
      [ACTIVITIES_COLLECTION],
    );
    if (!rows[0]) return;
    const table = `"${db}"."${rows[0].table}"`;
    const visible = async () =>
      (
        await pg.query<{ v: string }>(
          `SELECT relallvisible || '/' || relpages AS v FROM pg_class WHERE oid = $1::regclass`,
          [table],
        )
      ).rows[0]!.v;
    const before = await visible();
    const started = performance.now();
    await pg.query(`VACUUM (ANALYZE) ${table}`);
    console.error(
      `[bench] reads: VACUUM (ANALYZE) in ${((performance.now() - started) / 1000).toFixed(1)} s; all-visible pages (pg_class, as of the last (auto)vacuum) ${before} → ${await visible()}`,
    );
  } finally {
    await pg.end();
  }
}

async function startWorker(
  stack: Stack,
  name: string,
  topic: string,
  db: string,
  env: Record<string, string> = {},
): Promise<() => Promise<number>> {
  const worker = await ServiceProcess.start<{ stats: { inserted: number; duplicates: number } }>('worker', name, {
    ...env,
    NODE_ENV: 'production',
    KAFKA_BROKERS: stack.services.kafkaBrokers,
    KAFKA_CLIENT_ID: name,
    CONSUMER_GROUP: `${topic}-workers`,
    ACTIVITIES_TOPIC: topic,
    DLQ_TOPIC: `${topic}.dlq`,
    MONGO_URL: stack.services.mongoUrl,
    MONGO_DB: db,
  });
  stack.processes.push(worker);
  stack.topics.push(topic, `${topic}.dlq`);
  stack.dbs.push(db);
  await worker.waitUntilReady(60_000);
  // The worker's own counters: cheap to poll, unlike a count over hundreds of thousands of documents.
  return async () => {
    const { body } = await worker.readiness();
    return body.stats.inserted + body.stats.duplicates;
  };
}

// The API runs as in production (NODE_ENV=production): with a key, and without the per-key rate limit,
// which would otherwise be what the ingest measures hit.
const BENCH_KEY = randomBytes(24).toString('base64url');
const AUTH_HEADERS = { 'x-api-key': BENCH_KEY };
function benchAuthEnv(): Record<string, string> {
  return { API_KEYS: `${createHash('sha256').update(BENCH_KEY).digest('hex')}:ingest+read`, RATE_LIMIT_MAX: '0' };
}

function ratio(value: number, baseline: number): number {
  return baseline === 0 ? 0 : value / baseline;
}

async function createIndexes(db: Db): Promise<void> {
  for (const index of ACTIVITY_INDEXES) {
    await db
      .collection(ACTIVITIES_COLLECTION)
      .createIndex(index.key, { name: index.name, ...(index.unique ? { unique: true } : {}) });
  }
}

/**
 * Issue 25's cost table: the API again, in a process of its own per variant, with one optional piece switched. Off
 * by configuration: request logging at info, metrics, receipts. In use (idle by default, since nothing asks for them
 * during ingest): the freshness poller, and the live stream's topic reader. Last, the defaults again as a control.
 */
const COST_VARIANTS: Array<{ name: string; env: Record<string, string>; subscriber?: boolean; freshness?: boolean }> = [
  { name: 'request logging off (LOG_LEVEL=warn)', env: { LOG_LEVEL: 'warn' } },
  { name: 'metrics off (METRICS_ENABLED=false)', env: { METRICS_ENABLED: 'false' } },
  { name: 'receipts off (RECEIPTS_ENABLED=false)', env: { RECEIPTS_ENABLED: 'false' } },
  { name: 'freshness poller in use: GET /api/v1/freshness every second', env: {}, freshness: true },
  { name: 'live stream in use: one subscriber reading everything', env: {}, subscriber: true },
  { name: 'all on again, as the first row (a control: its Δ is this run’s noise)', env: {} },
];

/** Asks the api for freshness every second, which keeps its progress poller polling (every 250 ms). */
function askFreshness(url: string): { stop(): void } {
  const timer = setInterval(
    () =>
      void fetch(`${url}/api/v1/freshness`, { headers: AUTH_HEADERS, signal: AbortSignal.timeout(5_000) }).then(
        (r) => r.arrayBuffer(),
        () => undefined,
      ),
    1_000,
  );
  return { stop: () => clearInterval(timer) };
}

/** A live-stream subscriber in its own process (bench/stream-subscriber.ts), open once this resolves. */
async function openStream(url: string): Promise<{ close(): Promise<number> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/stream-subscriber.ts'], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', URL: url, API_KEY: BENCH_KEY },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 30_000;
  while (!out.startsWith('open\n')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('the stream subscriber did not open');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    async close() {
      child.kill('SIGTERM');
      await exited;
      return (JSON.parse(out.trim().split('\n').at(-1)!) as { events: number }).events;
    },
  };
}

async function ingestCeilings(stack: Stack): Promise<BenchReport['ingest']> {
  const barePort = await freePort();
  const bare = BareServer.start(barePort);
  stack.processes.push(bare);
  const bareUrl = `http://127.0.0.1:${barePort}`;
  await bare.waitForHttp(`${bareUrl}/healthz`);
  const apiUrl = await startApi(stack, 'api-ingest', `bench-${stack.id}-ingest`, `bench_${stack.id}_ingest`);

  const [single] = benchInputs(1, { users: 1, startMs: Date.now() - 60_000, spreadMs: 1_000 });
  const { eventId: _id, ...singleBody } = single!; // the server assigns ids, so every request is a new event
  const batch = benchInputs(CONFIG.batchSize, {
    users: CONFIG.users,
    startMs: Date.now() - 60_000,
    spreadMs: 10_000,
  }).map(({ eventId: _e, ...rest }) => rest);
  const load = (url: string, path: string, body: unknown, connections: number) =>
    runAutocannon({
      url: `${url}${path}`,
      body: JSON.stringify(body),
      connections,
      durationS: CONFIG.httpSeconds,
      warmupS: CONFIG.warmupSeconds,
      headers: AUTH_HEADERS,
    });
  const results: Record<string, HttpRun> = {};
  console.error('[bench] 1/6 single-event ingest: bare Express, then the API');
  results['singleBare'] = await load(bareUrl, '/api/v1/activities', singleBody, CONFIG.connections);
  results['singleApi'] = await load(apiUrl, '/api/v1/activities', singleBody, CONFIG.connections);
  console.error('[bench] 2/6 batch ingest (100 events per request)');
  results['batchBare'] = await load(bareUrl, '/api/v1/activities/batch', { events: batch }, 8);
  results['batchApi'] = await load(apiUrl, '/api/v1/activities/batch', { events: batch }, 8);
  await Promise.all(stack.processes.splice(0).map((p) => p.stop()));
  const costs: IngestCost[] = [];
  for (const variant of COST_VARIANTS) {
    console.error(`[bench] 1-2/6 ingest cost: ${variant.name}`);
    const api = await startApiProcess(
      stack,
      'api-cost',
      `bench-${stack.id}-ingest`,
      `bench_${stack.id}_ingest`,
      variant.env,
    );
    const subscriber = variant.subscriber ? await openStream(`${api.url}/api/v1/activities/stream`) : undefined;
    const asker = variant.freshness ? askFreshness(api.url) : undefined;
    costs.push({
      variant: variant.name,
      single: await load(api.url, '/api/v1/activities', singleBody, CONFIG.connections),
      batch: await load(api.url, '/api/v1/activities/batch', { events: batch }, 8),
      ...(subscriber ? { streamed: await subscriber.close() } : {}),
    });
    asker?.stop();
    await Promise.all(stack.processes.splice(0).map((p) => p.stop()));
  }
  console.error('[bench] 2/6 batch ingest ceiling: a raw kafkajs producer sending the same batches');
  const rawProducer = await runRawProducer(ROOT, {
    brokers: stack.services.kafkaBrokers,
    topic: `bench-${stack.id}-ingest`,
    connections: 8,
    warmupS: CONFIG.warmupSeconds,
    durationS: CONFIG.httpSeconds,
    batchSize: CONFIG.batchSize,
  });
  return {
    single: {
      bare: results['singleBare']!,
      api: results['singleApi']!,
      ratio: ratio(results['singleApi']!.requestsPerSec, results['singleBare']!.requestsPerSec),
    },
    batch: {
      bare: results['batchBare']!,
      api: results['batchApi']!,
      eventsPerSec: results['batchApi']!.requestsPerSec * CONFIG.batchSize,
      ratio: ratio(results['batchApi']!.requestsPerSec, results['batchBare']!.requestsPerSec),
      rawProducer,
      producerRatio: ratio(results['batchApi']!.requestsPerSec * CONFIG.batchSize, rawProducer.eventsPerSec),
    },
    costs,
  };
}

async function pipelineAndReads(stack: Stack): Promise<Pick<BenchReport, 'pipeline' | 'latency' | 'reads'>> {
  const topic = `bench-${stack.id}-pipeline`;
  const db = `bench_${stack.id}_pipeline`;
  const apiUrl = await startApi(stack, 'api-pipeline', topic, db);
  const persisted = await startWorker(stack, 'worker-pipeline', topic, db);
  const inputs = benchInputs(CONFIG.events, {
    users: CONFIG.users,
    startMs: Date.now() - 86_400_000,
    spreadMs: 86_400_000,
  });

  console.error(`[bench] 3/6 pipeline: ${CONFIG.events} events through the API until all are persisted`);
  const cpuBefore = cpuSecondsByRole();
  const t0 = performance.now();
  const published = await publishThroughApi(apiUrl, inputs, { batchSize: 500, concurrency: 4, headers: AUTH_HEADERS });
  const done = await waitForCount(persisted, CONFIG.events, t0, CONFIG.stageTimeoutMs);
  const pipelineCpu = coresUsed(cpuBefore, cpuSecondsByRole(), performance.now() - t0);
  const stored = await stack.client.db(db).collection(ACTIVITIES_COLLECTION).countDocuments();
  const pipelineRate = done.reached ? (CONFIG.events / done.atMs) * 1000 : 0;

  console.error('[bench] 3/6 baseline: raw driver insertMany (unordered) of the same documents');
  const rawDb = stack.client.db(`bench_${stack.id}_raw`);
  stack.dbs.push(rawDb.databaseName);
  await createIndexes(rawDb);
  const docs = toEvents(inputs, new Date()).map((event, i) =>
    toActivityDocument({ event, partition: 0, offset: String(i) }, new Date()),
  );
  // As many writers as the worker has (PARTITIONS_CONCURRENCY, default 6), each with the worker's chunk size.
  const r0 = performance.now();
  let next = 0;
  const writer = async () => {
    for (let i = next; i < docs.length; i = next) {
      next += 500;
      await rawDb.collection(ACTIVITIES_COLLECTION).insertMany(docs.slice(i, i + 500), { ordered: false });
    }
  };
  await Promise.all(Array.from({ length: CONFIG.writers }, writer));
  const rawRate = (docs.length / (performance.now() - r0)) * 1000;

  console.error('[bench] 6/6 reads on the pipeline data');
  const reads = await measureReads(apiUrl, inputs);
  await Promise.all(stack.processes.splice(0).map((p) => p.stop()));

  console.error(`[bench] 4/6 end-to-end latency at half the pipeline rate (${Math.round(pipelineRate / 2)} events/s)`);
  const latTopic = `bench-${stack.id}-latency`;
  const latDb = `bench_${stack.id}_latency`;
  const latApi = await startApi(stack, 'api-latency', latTopic, latDb);
  const latPersisted = await startWorker(stack, 'worker-latency', latTopic, latDb);
  const halfRate = Math.max(50, Math.round(pipelineRate / 2));
  const latInputs = benchInputs(halfRate * CONFIG.latencySeconds, {
    users: CONFIG.users,
    startMs: Date.now() - 60_000,
    spreadMs: 60_000,
  });
  const latPublished = await publishThroughApi(latApi, latInputs, {
    batchSize: 50,
    concurrency: 8,
    ratePerSec: halfRate,
    headers: AUTH_HEADERS,
  });
  await waitForCount(latPersisted, latPublished.accepted, performance.now(), 120_000);
  const lag = await endToEndLatency(stack.client.db(latDb), ACTIVITIES_COLLECTION);
  await Promise.all(stack.processes.splice(0).map((p) => p.stop()));

  return {
    pipeline: {
      events: CONFIG.events,
      accepted: published.accepted,
      failedRequests: published.failedRequests,
      publishMs: published.elapsedMs,
      persistedMs: done.atMs,
      allPersisted: done.reached && stored === CONFIG.events,
      stored,
      eventsPerSec: pipelineRate,
      rawInsertEventsPerSec: rawRate,
      ratio: ratio(pipelineRate, rawRate),
      cpu: pipelineCpu,
    },
    latency: { ratePerSec: halfRate, accepted: latPublished.accepted, ...lag },
    reads,
  };
}

async function measureReads(apiUrl: string, inputs: ReturnType<typeof benchInputs>): Promise<BenchReport['reads']> {
  const base = `${apiUrl}/api/v1/activities`;
  const sample = inputs[123]!;
  const from = new Date(Date.parse(sample.occurredAt!) - 3_600_000).toISOString();
  const to = new Date(Date.parse(sample.occurredAt!) + 3_600_000).toISOString();
  const shapes: [string, string][] = [
    ['latest (no filter)', `${base}?limit=20`],
    ['userId', `${base}?userId=${sample.userId}`],
    ['type', `${base}?type=SEARCH`],
    ['types (2)', `${base}?type=LOGIN,LOGOUT`],
    ['userId + type', `${base}?userId=${sample.userId}&type=${sample.type}`],
    ['range (2 h)', `${base}?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`],
    ['userId + range', `${base}?userId=${sample.userId}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`],
  ];
  const samples: ReadSample[] = [];
  for (const [shape, url] of shapes) samples.push(await sampleReads(shape, url, CONFIG.readSamples, AUTH_HEADERS));

  // The cursor a client holds after walking 99 pages of 100, built from the known data instead of walking.
  const sorted = inputs
    .map((i) => ({ occurredAt: new Date(i.occurredAt!), eventId: i.eventId! }))
    .sort((a, b) => b.occurredAt.getTime() - a.occurredAt.getTime() || (a.eventId < b.eventId ? 1 : -1));
  const depth = Math.min(9_900, sorted.length - 100);
  const cursor = encodeCursor(sorted[depth - 1]!, {}, 'desc');
  const firstPage = await sampleReads('first page (limit 100)', `${base}?limit=100`, CONFIG.readSamples, AUTH_HEADERS);
  const keysetDeep = await sampleReads(
    `keyset page at depth ${depth}`,
    `${base}?limit=100&cursor=${cursor}`,
    CONFIG.readSamples,
    AUTH_HEADERS,
  );
  const offsetDeep = await sampleReads(
    `offset page at depth ${depth}`,
    `${base}?limit=100&page=${depth / 100 + 1}`,
    CONFIG.readSamples,
    AUTH_HEADERS,
  );
  return {
    shapes: samples,
    firstPage,
    keysetDeep,
    offsetDeep,
    keysetDeepRatio: ratio(keysetDeep.p50Ms, firstPage.p50Ms),
  };
}

async function drain(stack: Stack): Promise<BenchReport['drain']> {
  const kafka = benchKafka(stack.services.kafkaBrokers);
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench-${stack.id}-drain`;
  stack.topics.push(topic);
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
  await admin.disconnect();
  console.error(`[bench] 5/6 worker drain: prefilling ${CONFIG.events} events`);
  const events = toEvents(
    benchInputs(CONFIG.events, { users: CONFIG.users, startMs: Date.now() - 86_400_000, spreadMs: 86_400_000 }),
    new Date(),
  );
  await prefillTopic(kafka, topic, events);

  const cpuBefore = cpuSecondsByRole();
  const t0 = performance.now();
  const persisted = await startWorker(stack, 'worker-drain', topic, `bench_${stack.id}_drain`);
  const done = await waitForCount(persisted, CONFIG.events, t0, CONFIG.stageTimeoutMs);
  const drainCpu = coresUsed(cpuBefore, cpuSecondsByRole(), performance.now() - t0);
  await Promise.all(stack.processes.splice(0).map((p) => p.stop()));
  const workerRate = done.reached ? (CONFIG.events / done.atMs) * 1000 : 0;

  console.error(`[bench] 5/6 naive consumer (eachMessage + insertOne) for ${CONFIG.naiveBudgetMs / 1000}s`);
  const naiveDb = stack.client.db(`bench_${stack.id}_naive`);
  stack.dbs.push(naiveDb.databaseName);
  await createIndexes(naiveDb);
  const naive = await runNaiveConsumer(
    kafka,
    topic,
    naiveDb.collection(ACTIVITIES_COLLECTION),
    CONFIG.naiveBudgetMs,
    CONFIG.events,
  );
  const naiveRate = (naive.inserted / naive.elapsedMs) * 1000;
  return {
    events: CONFIG.events,
    workerMs: done.atMs,
    allPersisted: done.reached,
    workerEventsPerSec: workerRate,
    naiveInserted: naive.inserted,
    naiveMs: naive.elapsedMs,
    naiveEventsPerSec: naiveRate,
    ratio: ratio(workerRate, naiveRate),
    cpu: drainCpu,
  };
}

async function cleanup(stack: Stack): Promise<void> {
  await Promise.all(stack.processes.splice(0).map((p) => p.stop()));
  const admin = benchKafka(stack.services.kafkaBrokers).admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  const topics = [...new Set(stack.topics)].filter((t) => existing.has(t));
  if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 }).catch(() => undefined);
  await admin.disconnect();
  for (const db of new Set(stack.dbs))
    await stack.client
      .db(db)
      .dropDatabase()
      .catch(() => undefined);
  await stack.client.close();
}

/** How long the soak watches the processes idle after the load: past STREAM_IDLE_STOP_MS and FRESHNESS_IDLE_STOP_MS (30 s). */
const SOAK_IDLE_S = 90;

/**
 * `--only soak` (issue 25): an api and a worker as `npm run stack` runs them take BENCH_SOAK_RATE events/s for
 * BENCH_SOAK_SECONDS with every optional piece in use (a live-stream subscriber reading everything, freshness asked
 * every second), sampling each process's RSS (/proc) and used heap (its /metrics, so also a scrape) every 5 s.
 * Memory that plateaus has a flat slope over the second half; then everything disconnects and, once the idle
 * timers have run out, the lowest readings show what an idle process keeps.
 */
async function soak(
  stack: Stack,
): Promise<{ load: SoakLoad; persisted: number; nodeOptions: string; api: ProcessMemory; worker: ProcessMemory }> {
  const topic = `bench-${stack.id}-soak`;
  const db = `bench_${stack.id}_soak`;
  const pgUrl = stack.services.ferretdbPostgresUrl;
  const nodeOptions: Record<string, string> = CONFIG.soakNodeOptions ? { NODE_OPTIONS: CONFIG.soakNodeOptions } : {};
  const processed = await startWorker(stack, 'worker-soak', topic, db, {
    ...nodeOptions,
    ...(pgUrl ? { FERRETDB_POSTGRES_URL: pgUrl } : {}),
  });
  const worker = stack.processes.at(-1) as ServiceProcess;
  const api = await startApiProcess(stack, 'api-soak', topic, db, {
    ...nodeOptions,
    WORKER_CONSUMER_GROUP: `${topic}-workers`,
  });
  const sample = (process: ServiceProcess, metricsUrl: string, atS: number) => memoryOf(process.pid!, metricsUrl, atS);
  const apiMetrics = `${api.url}/metrics`;
  const workerMetrics = `http://127.0.0.1:${worker.port}/metrics`;
  const samples = { api: [] as MemorySample[], worker: [] as MemorySample[] };
  const subscriber = await openStream(`${api.url}/api/v1/activities/stream`);
  const asker = askFreshness(api.url);
  console.error(
    `[bench] soak: ${CONFIG.soakRate} events/s in batches of ${CONFIG.soakBatchSize} for ${CONFIG.soakSeconds} s`,
  );
  const load = await steadyLoad(api.url, {
    ratePerSec: CONFIG.soakRate,
    batchSize: CONFIG.soakBatchSize,
    durationS: CONFIG.soakSeconds,
    concurrency: 16,
    headers: AUTH_HEADERS,
    sampleEveryS: 5,
    tick: async (atS) => {
      samples.api.push(await sample(api, apiMetrics, atS));
      samples.worker.push(await sample(worker, workerMetrics, atS));
      if (Math.round(atS) % 60 < 5) {
        const [a, w] = [samples.api.at(-1)!, samples.worker.at(-1)!];
        console.error(`[bench] soak ${n0(atS)} s: api ${n0(a.rssMb)} MB RSS, worker ${n0(w.rssMb)} MB RSS`);
      }
    },
  });
  const streamed = await subscriber.close();
  asker.stop();
  const drained = await waitForCount(processed, load.accepted, performance.now(), CONFIG.stageTimeoutMs);
  console.error(`[bench] soak: the stream read ${streamed} events; idle for ${SOAK_IDLE_S} s`);
  const idleFrom = performance.now();
  const idle = { api: [] as MemorySample[], worker: [] as MemorySample[] };
  // The idle timers run out after 30 s; the readings after that are what an idle process keeps.
  await new Promise((r) => setTimeout(r, (SOAK_IDLE_S / 2) * 1000));
  while (performance.now() - idleFrom < SOAK_IDLE_S * 1000) {
    const atS = load.durationS + (performance.now() - idleFrom) / 1000;
    idle.api.push(await sample(api, apiMetrics, atS));
    idle.worker.push(await sample(worker, workerMetrics, atS));
    await new Promise((r) => setTimeout(r, 5_000));
  }
  const memory = (list: MemorySample[], idleSamples: MemorySample[]): ProcessMemory => ({
    samples: list,
    ...secondHalfSlopes(list, load.durationS),
    idle: lowest(idleSamples),
  });
  return {
    load,
    persisted: drained.last,
    nodeOptions: CONFIG.soakNodeOptions,
    api: memory(samples.api, idle.api),
    worker: memory(samples.worker, idle.worker),
  };
}

function n0(value: number): string {
  return value.toFixed(0);
}

/**
 * `--only reads`: only the read shapes at growing store sizes (BENCH_READ_SIZES), a few minutes.
 * `--only stats`: only the stats request at BENCH_STATS_EVENTS, next to the first list page.
 * `--only write-scale`: resends, inserts, erasure and retention at BENCH_WRITE_SIZES stored events, about 10 minutes.
 * `--only soak`: memory of the api and the worker under BENCH_SOAK_SECONDS of steady load, about 12 minutes.
 */
function onlyStage(): 'reads' | 'stats' | 'write-scale' | 'soak' | undefined {
  const i = process.argv.indexOf('--only');
  if (i === -1) return undefined;
  const stage = process.argv[i + 1];
  if (stage !== 'reads' && stage !== 'stats' && stage !== 'write-scale' && stage !== 'soak') {
    throw new Error(`--only takes "reads", "stats", "write-scale" or "soak" (got ${stage ?? 'nothing'})`);
  }
  return stage;
}

/** `--kafka-nodes N`: the measures against a local KRaft cluster of N brokers (topics replicated min(3, N) times). */
function kafkaNodesOption(): { kafkaNodes?: number } {
  const i = process.argv.indexOf('--kafka-nodes');
  if (i === -1) return {};
  const nodes = Number(process.argv[i + 1]);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 9) {
    throw new Error(`--kafka-nodes takes a count of 1-9 (got ${process.argv[i + 1] ?? 'nothing'})`);
  }
  return { kafkaNodes: nodes };
}

type StageReport = { date: string; machine: { cpus: number; node: string }; store: string; durationS: number };

/** One `--only` stage: measured, printed, and written to `bench/results/<date>-<name>.json`. */
async function runStage<T extends object>(
  stack: Stack,
  name: string,
  measure: (stack: Stack) => Promise<T>,
  render: (report: StageReport & T) => string,
): Promise<void> {
  const started = Date.now();
  try {
    const report: StageReport & T = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      store: (await describeStore(stack.client)).detail,
      ...(await measure(stack)),
      durationS: 0,
    };
    report.durationS = (Date.now() - started) / 1000;
    const dir = join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${report.date.replace(/[:.]/g, '-')}-${name}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(render(report));
    console.error(`[bench] wrote ${file} in ${report.durationS.toFixed(0)}s`);
  } finally {
    await cleanup(stack);
  }
}

/**
 * `--only soak --report FILE`: the soak's table again from a saved result, its slopes and idle readings computed by
 * this code from the samples (so a table stays reproducible when the way it is read changes).
 */
function reportSavedSoak(file: string): void {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as Parameters<typeof renderSoak>[0];
  const { load } = saved.soak;
  for (const process of ['api', 'worker'] as const) {
    const memory = saved.soak[process];
    Object.assign(memory, secondHalfSlopes(memory.samples, load.durationS));
  }
  console.log(renderSoak(saved));
}

async function main(): Promise<void> {
  const started = Date.now();
  const only = onlyStage();
  const report = process.argv.indexOf('--report');
  if (only === 'soak' && report !== -1) return reportSavedSoak(process.argv[report + 1] ?? '');
  const services = await resolveServices(kafkaNodesOption());
  await buildServices();
  const client = await MongoClient.connect(services.mongoUrl, { serverSelectionTimeoutMS: 5_000 });
  const stack: Stack = { services, client, id: uniqueSuffix(), processes: [], topics: [], dbs: [] };
  const stop = () => void cleanup(stack).finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (only === 'reads')
    return runStage(stack, 'reads', async (st) => ({ readsAtScale: await readsAtScale(st) }), renderReadsAtScale);
  if (only === 'stats')
    return runStage(stack, 'stats', async (st) => ({ statsAtScale: await statsAtScale(st) }), renderStatsAtScale);
  if (only === 'write-scale')
    return runStage(stack, 'write-scale', async (st) => ({ writeScale: await writeScale(st) }), renderWriteScale);
  if (only === 'soak') return runStage(stack, 'soak', async (st) => ({ soak: await soak(st) }), renderSoak);
  try {
    const report: BenchReport = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      store: (await describeStore(client)).detail,
      broker: describeBroker(services),
      config: CONFIG,
      ingest: await ingestCeilings(stack),
      ...(await pipelineAndReads(stack)),
      drain: await drain(stack),
      durationS: 0,
    };
    report.durationS = (Date.now() - started) / 1000;
    const dir = join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${report.date.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(renderMarkdown(report));
    console.error(`[bench] wrote ${file} in ${report.durationS.toFixed(0)}s`);
  } finally {
    await cleanup(stack);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
