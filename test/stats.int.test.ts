import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  BUILT_IN_ACTIVITY_TYPES,
  ROLLUPS_COLLECTION,
  STATS_SQL_TABLES,
  type ActivityEvent,
} from '@uap/shared/contract';
import { Client as PgClient } from 'pg';
import { anActivity } from '@uap/shared/testing';
import { hashApiKey } from '../api-service/src/domain/api-key';
import { WorkerTestbed } from '../worker-service/src/testing/worker-testbed';
import { requiredEnv, storeEnv, uniqueName } from './support/integration';
import { ServiceProcess } from './support/service-process';
import { waitUntil } from './support/wait-until';
import { WorkerProcess } from './support/worker-process';

const KEY = 'k-stats-int';
const ERASURE_HASH_KEY = 'an-erasure-hash-key-for-the-stats-integration-test';
const BUCKET_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
type Bucket = keyof typeof BUCKET_MS;

interface StatsBody {
  from: string;
  to: string;
  bucket: Bucket;
  start: string;
  bucketCount: number;
  types: string[];
  series: Record<string, number[]>;
  totals: Record<string, number>;
  total: number;
  source: string;
  exact: boolean;
}

interface Query {
  from: Date;
  to: Date;
  bucket: Bucket;
  types?: string[];
  userId?: string;
}

describe('stats on the real broker, worker and store', () => {
  const bed = new WorkerTestbed(3);
  let api: ServiceProcess;
  const workers: WorkerProcess[] = [];
  const logsOfAll = () => workers.map((w) => w.tail()).join('\n');
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${api.url}${path}`, { ...init, headers: { 'X-API-Key': KEY, 'Content-Type': 'application/json' } });
  const startWorker = async (name: string) => {
    const worker = await WorkerProcess.start(
      `stats-${name}`,
      bed.workerEnv({ WRITE_CHUNK_SIZE: '25', ERASURE_HASH_KEY }),
    );
    workers.push(worker);
    await worker.waitUntilReady();
    return worker;
  };

  beforeAll(async () => {
    await bed.setUp();
    api = await ServiceProcess.start('api', 'stats-api', {
      KAFKA_BROKERS: requiredEnv('KAFKA_BROKERS'),
      MONGO_URL: requiredEnv('MONGO_URL'),
      MONGO_DB: bed.dbName,
      ACTIVITIES_TOPIC: bed.topic,
      ACTIVITIES_TOPIC_PARTITIONS: String(bed.partitions),
      WORKER_CONSUMER_GROUP: bed.group,
      API_KEYS: `${hashApiKey(KEY)}:ingest+read+admin`,
      NODE_ENV: 'production',
      RECEIPT_SECRET: 'a-secret-for-the-stats-integration-test',
      ERASURE_HASH_KEY,
      FRESHNESS_REFRESH_MS: '100',
      ...storeEnv(),
    });
    await api.waitUntilReady(30_000);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await api?.stop();
    await bed.tearDown();
  });

  /** The definition: every stored event of the range, read from the store and bucketed one by one. */
  async function bruteForce(query: Query) {
    const filter: Record<string, unknown> = { occurredAt: { $gte: query.from, $lt: query.to } };
    if (query.userId) filter['userId'] = query.userId;
    const docs = await bed.activities.find(filter, { projection: { _id: 0, occurredAt: 1, type: 1 } }).toArray();
    const buckets = new Map<number, Record<string, number>>();
    for (const doc of docs) {
      const type = doc['type'] as string;
      if (query.types && !query.types.includes(type)) continue;
      const size = BUCKET_MS[query.bucket];
      const start = Math.floor((doc['occurredAt'] as Date).getTime() / size) * size;
      const counts = buckets.get(start) ?? {};
      counts[type] = (counts[type] ?? 0) + 1;
      buckets.set(start, counts);
    }
    return [...buckets.entries()]
      .sort(([a], [b]) => a - b)
      .map(([start, counts]) => ({ start: new Date(start).toISOString(), counts }));
  }

  /** The columnar answer's non-empty buckets, in bruteForce's shape; every series must be bucketCount long. */
  function nonEmptyBuckets(body: StatsBody) {
    const size = BUCKET_MS[body.bucket];
    const buckets: Array<{ start: string; counts: Record<string, number> }> = [];
    for (const type of body.types) expect([type, body.series[type]!.length]).toEqual([type, body.bucketCount]);
    for (let i = 0; i < body.bucketCount; i++) {
      const counts: Record<string, number> = {};
      for (const type of body.types) if (body.series[type]![i]! > 0) counts[type] = body.series[type]![i]!;
      if (Object.keys(counts).length > 0) {
        buckets.push({ start: new Date(Date.parse(body.start) + i * size).toISOString(), counts });
      }
    }
    return buckets;
  }

  async function stats(query: Query): Promise<StatsBody> {
    const params = new URLSearchParams({
      from: query.from.toISOString(),
      to: query.to.toISOString(),
      bucket: query.bucket,
      ...(query.types ? { type: query.types.join(',') } : {}),
      ...(query.userId ? { userId: query.userId } : {}),
    });
    const res = await call(`/api/v1/activities/stats?${params}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-read-lag')).not.toBeNull();
    return (await res.json()) as StatsBody;
  }

  let queries: Query[] = [];
  let allEvents: ActivityEvent[] = [];

  async function expectExact(queries: Query[]): Promise<void> {
    for (const query of queries) {
      const body = await stats(query);
      expect({ query, buckets: nonEmptyBuckets(body) }).toEqual({
        query,
        buckets: await bruteForce(query),
      });
      expect(body.exact).toBe(true);
      expect(body.source).toBe(query.userId ? 'events' : 'rollups');
    }
  }

  it('when events (with resent duplicates) are consumed across a worker SIGKILL and an erasure, then the stats always equal a brute-force count of the stored events', async () => {
    const now = Date.now();
    const users = Array.from({ length: 5 }, (_, i) => uniqueName(`stats-user-${i}`));
    const receivedAt = new Date(now).toISOString();
    // 3,000 events over the last three hours (the contract accepts any past occurredAt), every type.
    const events: ActivityEvent[] = Array.from({ length: 3_000 }, (_, i) => {
      const type = BUILT_IN_ACTIVITY_TYPES[(i * 7) % BUILT_IN_ACTIVITY_TYPES.length]!;
      return anActivity({
        userId: users[i % users.length]!,
        type,
        metadata: type === 'SEARCH' ? { query: `q${i % 13}` } : {},
        occurredAt: new Date(now - 3 * 3_600_000 + ((i * 3_593_117) % (3 * 3_600_000))).toISOString(),
        receivedAt,
      });
    });
    // Every 15th event is sent again later (a client retry): a second message, the same eventId.
    const resent = events.filter((_, i) => i % 15 === 0);
    const a = await startWorker('a');
    const b = await startWorker('b');
    const producing = (async () => {
      const stream = [...events, ...resent];
      for (let i = 0; i < stream.length; i += 100) {
        await bed.produce(stream.slice(i, i + 100));
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    })();
    await waitUntil(
      'the workers to be mid-stream',
      async () => ((await bed.activities.countDocuments({})) >= 400 ? true : undefined),
      { timeoutMs: 30_000, describe: logsOfAll },
    );
    a.kill('SIGKILL');
    expect(await a.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await producing;
    await startWorker('c');
    await bed.waitUntilStored(
      events.map((e) => e.eventId),
      90_000,
      logsOfAll,
    );
    expect(await bed.activities.countDocuments({})).toBe(events.length);

    const from = new Date(now - 3 * 3_600_000 - 12_345);
    const to = new Date(now + 60_000);
    const whole = { from: new Date(Math.floor(from.getTime() / 60_000) * 60_000), to };
    // The rollups are written before the offsets are committed; wait until the last chunk's are.
    await waitUntil(
      'the stats to count every stored event',
      async () => ((await stats({ from, to, bucket: 'hour' })).total === events.length ? true : undefined),
      { timeoutMs: 30_000, describe: logsOfAll },
    );
    queries = [
      { from, to, bucket: 'minute' },
      { ...whole, bucket: 'minute' },
      { from, to, bucket: 'hour' },
      { from, to, bucket: 'day' },
      { from, to, bucket: 'minute', types: ['LOGIN', 'SEARCH'] },
      { from: new Date(now - 90 * 60_000 + 7_000), to: new Date(now - 30 * 60_000 - 3_000), bucket: 'minute' },
      { from, to, bucket: 'minute', userId: users[1]! },
      { from, to, bucket: 'hour', userId: users[2]!, types: ['PURCHASE'] },
    ];
    await expectExact(queries);

    const erase = await call(`/api/v1/users/${users[0]}/activities`, { method: 'DELETE' });
    expect(erase.status).toBe(202);
    const location = erase.headers.get('location')!;
    await waitUntil(
      'the erasure to finish',
      async () => ((await (await call(location)).json()) as { state: string }).state === 'done' || undefined,
      { timeoutMs: 60_000, describe: logsOfAll },
    );
    expect(await bed.activities.countDocuments({ userId: users[0] })).toBe(0);
    expect((await stats({ from, to, bucket: 'hour' })).total).toBe(events.length - events.length / users.length);
    await expectExact(queries);
    expect(b.isRunning).toBe(true);
    allEvents = events;
  }, 240_000);

  /** As on an install from before the rollups: counts gone, coverage incomplete. */
  async function wipeRollups(): Promise<void> {
    const url = process.env['FERRETDB_POSTGRES_URL'];
    if (url) {
      const pg = new PgClient({ connectionString: url });
      await pg.connect();
      const table = (name: string) => `"${bed.dbName}"."${name}"`;
      await pg.query(`TRUNCATE ${table(STATS_SQL_TABLES.counts)}, ${table(STATS_SQL_TABLES.applied)}`);
      await pg.query(`UPDATE ${table(STATS_SQL_TABLES.coverage)} SET complete = false`);
      await pg.end();
    } else {
      await bed.db.collection(ROLLUPS_COLLECTION).deleteMany({ day: { $exists: true } });
      await bed.db
        .collection(ROLLUPS_COLLECTION)
        .updateOne({ _id: 'coverage' as never }, { $set: { complete: false } });
    }
  }

  it('when the rollups lack events stored before them and the workers are stopped, then npm run stats:rebuild makes the stats exact again, and workers count on from there', async () => {
    expect(allEvents.length).toBeGreaterThan(0);
    await Promise.all(workers.map((w) => w.stop()));
    await wipeRollups();
    await waitUntil(
      'the api to report the rollups incomplete',
      async () => ((await stats(queries[2]!)).exact === false ? true : undefined),
      { timeoutMs: 15_000 },
    );

    const rebuild = spawnSync(
      join(__dirname, '..', 'node_modules', '.bin', 'tsx'),
      ['--tsconfig', 'tsconfig.test.json', 'scripts/stats/stats-rebuild.ts'],
      {
        cwd: join(__dirname, '..'),
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, ...bed.workerEnv() },
      },
    );
    expect({ status: rebuild.status, stderr: rebuild.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
    expect(rebuild.stdout).toMatch(/counted \d+ stored events/);
    await waitUntil(
      'the api to report the rollups complete',
      async () => ((await stats(queries[2]!)).exact ? true : undefined),
      { timeoutMs: 15_000 },
    );
    await expectExact(queries);

    // Counting goes on from the rebuild's offsets: new events, and no old one counted twice.
    const later = Array.from({ length: 300 }, (_, i) =>
      anActivity({
        userId: `stats-later-${i % 3}`,
        type: 'CLICK',
        metadata: {},
        occurredAt: new Date(Date.now() - i * 7_000).toISOString(),
        receivedAt: new Date().toISOString(),
      }),
    );
    await bed.produce(later);
    await startWorker('d');
    await bed.waitUntilStored(
      later.map((e) => e.eventId),
      60_000,
      logsOfAll,
    );
    await waitUntil(
      'the stats to count the new events',
      async () =>
        (await stats({ ...queries[2]!, to: new Date(Date.now() + 60_000) })).total ===
        (await bed.activities.countDocuments({ occurredAt: { $gte: queries[2]!.from } }))
          ? true
          : undefined,
      { timeoutMs: 30_000, describe: logsOfAll },
    );
    await expectExact(queries.map((q) => ({ ...q, to: new Date(Date.now() + 60_000) })));
  }, 240_000);
});
