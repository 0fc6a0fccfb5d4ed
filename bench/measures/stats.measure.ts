import { ACTIVITIES_COLLECTION } from '@uap/shared/contract';
import { toActivityDocument } from '../../worker-service/src/infrastructure/mongo/mongo-activity.repository';
import { MongoActivityRollups } from '../../worker-service/src/infrastructure/mongo/mongo-activity.rollups';
import { PostgresActivityRollups } from '../../worker-service/src/infrastructure/postgres/postgres-activity.rollups';
import { CONFIG } from '../support/bench-config';
import { benchInputs, toEvents } from '../support/bench-events';
import type { StatsAtScaleReport } from '../support/bench-report';
import { AUTH_HEADERS, readMethodOf, startApiProcess, stopProcesses, type BenchStack } from '../support/bench-stack';
import { createIndexes, vacuumIfSql } from '../support/bench-store';
import type { ReadSample } from '../support/measure-results';
import { sampleReads } from './reads.measure';

const STATS_WARM_UP_REQUESTS = 10;

/**
 * `--only stats`: GET /api/v1/activities/stats for 24 h at minute buckets over BENCH_STATS_EVENTS (1,000,000)
 * stored events, next to the first list page on the same store and api (issue 19: within 2× of it).
 * Events are stored as the worker stores them (its document shape, 6 partitions, consecutive offsets) and
 * counted into the rollups by the worker's own rollup adapter (PostgreSQL tables on FerretDB, documents on
 * MongoDB), chunk by chunk per partition as the worker does. Time order follows offsets, as in live traffic: each chunk touches one or two hours.
 */
export async function statsAtScale(stack: BenchStack): Promise<StatsAtScaleReport> {
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
      await rollups.apply(partition, rollupEntries(slice, partition, offset, true), offset + slice.length - 1);
    }
  };
  await Promise.all(Array.from({ length: partitions }, (_, p) => writer(p)));
  const seedSeconds = (performance.now() - s0) / 1000;
  if (rollups instanceof PostgresActivityRollups) await rollups.close();
  const rollupCost = pgUrl ? await activeUsersCost(stack, pgUrl, events.slice(0, ROLLUP_COST_EVENTS)) : undefined;
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
  await stopProcesses(stack);
  return {
    method,
    samplesPerShape: CONFIG.readScaleSamples,
    warmUp: STATS_WARM_UP_REQUESTS,
    events: total,
    stored,
    seedSeconds,
    shapes: samples,
    check: { total: check.total, buckets: check.bucketCount, source: check.source, exact: check.exact },
    ...(rollupCost ? { rollupCost } : {}),
  };
}

type BenchEvent = ReturnType<typeof toEvents>[number];

/** A chunk's rollup entries, as the worker makes them: with the stored copy's userId (the active-user bitmaps). */
function rollupEntries(slice: readonly BenchEvent[], partition: number, offset: number, withUsers: boolean) {
  return slice.map((event, i) => ({
    partition,
    offset: offset + i,
    occurredAt: new Date(event.occurredAt),
    type: event.type,
    ...(withUsers && event.userId !== undefined ? { userId: event.userId } : {}),
  }));
}

const ROLLUP_COST_EVENTS = 120_000;

/**
 * What the active-user bitmaps add to the worker's per-chunk rollup transaction (issue 29): the same chunks (6
 * partitions, 500 each, in parallel as the worker's partitions are) applied to fresh rollup tables once with the entries'
 * userIds and once without (the stats alone, as before), timing the apply calls only.
 */
async function activeUsersCost(
  stack: BenchStack,
  pgUrl: string,
  events: readonly BenchEvent[],
): Promise<NonNullable<StatsAtScaleReport['rollupCost']>> {
  const partitions = 6;
  const chunk = 500;
  const run = async (withUsers: boolean) => {
    const db = `bench_${stack.id}_rollups_${withUsers ? 'users' : 'stats'}`;
    stack.dbs.push(db);
    // The schema FerretDB would have made with the collection (the rollup tables live beside it).
    await stack.client
      .db(db)
      .collection(ACTIVITIES_COLLECTION)
      .insertOne({ _id: 'probe' } as never);
    const rollups = PostgresActivityRollups.connect(pgUrl, db);
    await rollups.prepare(async () => false);
    let chunks = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: partitions }, async (_, partition) => {
        const mine = events.filter((_, i) => i % partitions === partition);
        for (let offset = 0; offset < mine.length; offset += chunk) {
          const slice = mine.slice(offset, offset + chunk);
          await rollups.apply(partition, rollupEntries(slice, partition, offset, withUsers), offset + slice.length - 1);
          chunks++;
        }
      }),
    );
    const ms = performance.now() - t0;
    await rollups.close();
    return { ms, chunks };
  };
  const statsOnly = await run(false);
  const withUsers = await run(true);
  return {
    events: events.length,
    chunks: statsOnly.chunks,
    statsOnlyMsPerChunk: statsOnly.ms / statsOnly.chunks,
    withUsersMsPerChunk: withUsers.ms / withUsers.chunks,
  };
}
