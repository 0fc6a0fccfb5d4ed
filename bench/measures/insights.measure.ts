import { seededRandom } from '@uap/shared/testing';
import { randomUUID } from 'node:crypto';
import {
  ACTIVITIES_COLLECTION,
  INSIGHTS_SQL_TABLES,
  type ActivityInput,
  type ActivityType,
} from '@uap/shared/contract';
import { Client as PgClient } from 'pg';
import { percentiles } from '../../scripts/loadgen/load-stats';
import { rebuildRollupsFromStore } from '../../scripts/stats/rebuild-rollups';
import { CONFIG } from '../support/bench-config';
import { toEvents } from '../support/bench-events';
import type { InsightSample, InsightsAtScaleReport } from '../support/bench-report';
import { AUTH_HEADERS, readMethodOf, startApiProcess, stopProcesses, type BenchStack } from '../support/bench-stack';
import { createIndexes, seedDocuments, vacuumIfSql } from '../support/bench-store';

const DAY = 86_400_000;
const DAYS = 30;
/** As the stats stage: 10 warm-up requests per shape, so no shape pays for compiling what the first one ran. */
const WARM_UP_REQUESTS = 10;
/** Events generated, converted and inserted at a time: the million never sits in memory as documents. */
const SEED_CHUNK = 100_000;
/** A skewed share of the searches names the first queries of this many: `q0` is the most searched. */
const QUERIES = 5_000;
const PATHS = 2_000;
const ANONYMOUS_SHARE = 0.05;
const TYPE_WEIGHTS: ReadonlyArray<[ActivityType, number]> = [
  ['PAGE_VIEW', 38],
  ['SEARCH', 24],
  ['CLICK', 10],
  ['LOGIN', 8],
  ['PURCHASE', 8],
  ['SIGNUP', 6],
  ['LOGOUT', 6],
];
const TYPE_TOTAL = TYPE_WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);

/**
 * The stage's events, chunk by chunk from one seeded PRNG: `users` users (half the events spread evenly over them,
 * half skewed towards the first ones, as some users are far busier), 5 % anonymous visitors, every type of a product's
 * front page, occurredAt uniform over [start, end). Keeps what the checks compare the answers with.
 */
class InsightsData {
  private readonly rng = seededRandom(29);
  private readonly seen: Uint8Array;
  /** SEARCH events in [end − 24 h, end), with or without a userId. */
  searchesLastDay = 0;

  constructor(
    private readonly users: number,
    readonly start: number,
    readonly end: number,
  ) {
    this.seen = new Uint8Array(users);
  }

  get distinctUsers(): number {
    return this.seen.reduce((sum, seen) => sum + seen, 0);
  }

  chunk(count: number): ActivityInput[] {
    return Array.from({ length: count }, () => this.next());
  }

  private next(): ActivityInput {
    const r = this.rng;
    const user = Math.floor(this.users * r() * (r() < 0.5 ? 1 : r()));
    const anonymous = r() < ANONYMOUS_SHARE;
    const type = this.type();
    const at = this.start + Math.floor(r() * (this.end - this.start));
    if (type === 'SEARCH' && at >= this.end - DAY) this.searchesLastDay++;
    if (!anonymous) this.seen[user] = 1;
    return {
      eventId: randomUUID(),
      type,
      occurredAt: new Date(at).toISOString(),
      ...(anonymous ? { anonymousId: `anon-${user}` } : { userId: `bench-user-${user}` }),
      metadata: this.metadata(type),
    };
  }

  private type(): ActivityType {
    let left = this.rng() * TYPE_TOTAL;
    for (const [type, weight] of TYPE_WEIGHTS) if ((left -= weight) < 0) return type;
    return 'CLICK';
  }

  private metadata(type: ActivityType): Record<string, unknown> {
    const r = this.rng;
    if (type === 'SEARCH') return { query: `q${Math.floor(QUERIES * r() ** 3)}` };
    if (type === 'PAGE_VIEW') return { path: `/p/${Math.floor(PATHS * r() ** 2)}`, ref: r() < 0.3 ? 'ad' : 'direct' };
    if (type === 'PURCHASE') return { amount: 5 + Math.floor(r() * 200), currency: 'EUR' };
    return {};
  }
}

/** Sequential GETs of one shape (as sampleReads, with the p90 the issue asks for). */
async function sampleInsight(shape: string, url: string, samples: number, targetMs?: number): Promise<InsightSample> {
  const latencies: number[] = [];
  const failures: string[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    const res = await fetch(url, { headers: AUTH_HEADERS, signal: AbortSignal.timeout(60_000) }).catch(
      (err: Error) => err,
    );
    if (res instanceof Error) failures.push(res.name === 'TimeoutError' ? 'timeout' : 'network');
    else {
      await res.arrayBuffer(); // the latency includes reading the whole answer
      if (res.status === 200) latencies.push(performance.now() - started);
      else failures.push(String(res.status));
    }
  }
  const p = percentiles(latencies, [50, 90, 99]);
  return {
    shape,
    samples,
    p50Ms: p['p50']!,
    p90Ms: p['p90']!,
    p99Ms: p['p99']!,
    errors: failures.length,
    failures,
    ...(targetMs === undefined ? {} : { targetMs }),
  };
}

/** The run's schema in FerretDB's PostgreSQL after VACUUM: what 10 times the events would need, roughly. */
async function diskIfSql(stack: BenchStack, db: string, events: number): Promise<InsightsAtScaleReport['disk']> {
  const url = stack.services.ferretdbPostgresUrl;
  if (!url) return undefined;
  const pg = new PgClient({ connectionString: url });
  await pg.connect();
  try {
    const { rows } = await pg.query<{ total: string; insights: string }>(
      `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) AS total, ` +
        `coalesce(sum(pg_total_relation_size(c.oid)) FILTER (WHERE c.relname = ANY($2)), 0) AS insights ` +
        `FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = $1 AND c.relkind = 'r'`,
      [db, [INSIGHTS_SQL_TABLES.users, INSIGHTS_SQL_TABLES.days]],
    );
    const schemaBytes = Number(rows[0]!.total);
    return { schemaBytes, insightsBytes: Number(rows[0]!.insights), bytesPerEvent: schemaBytes / events };
  } finally {
    await pg.end();
  }
}

/**
 * `--only insights`: the issue-29 requests over BENCH_INSIGHTS_EVENTS (1,000,000) events of the last 30 days from
 * BENCH_INSIGHTS_USERS (50,000) users, next to the first list page on the same store and api (the cheapest read it
 * serves: the ratio says how a shape compares on this run's machine). Events are bulk-inserted in the worker's
 * document shape (as the reads stage does); since that bypasses the worker, the active-user rollup is then rebuilt
 * from the store as `npm run stats:rebuild` does. The answers are checked against what was seeded, not only timed.
 */
export async function insightsAtScale(stack: BenchStack): Promise<InsightsAtScaleReport> {
  const db = `bench_${stack.id}_insights`;
  const total = CONFIG.insightsEvents;
  const now = Date.now();
  // 30 calendar days, the last one up to now: the active-user shapes ask for exactly these days.
  const to = Math.ceil(now / DAY) * DAY;
  const from = to - DAYS * DAY;
  const data = new InsightsData(CONFIG.insightsUsers, from, now);
  stack.dbs.push(db);
  const database = stack.client.db(db);
  await createIndexes(database);
  const api = await startApiProcess(stack, 'api-insights', `bench-${stack.id}-insights`, db);
  const method = readMethodOf(api);

  console.error(`[bench] insights: seeding ${total} events of ${CONFIG.insightsUsers} users by insertMany`);
  const s0 = performance.now();
  const collection = database.collection(ACTIVITIES_COLLECTION);
  for (let seeded = 0; seeded < total; seeded += SEED_CHUNK) {
    const inputs = data.chunk(Math.min(SEED_CHUNK, total - seeded));
    await seedDocuments(collection, toEvents(inputs, new Date()), seeded, CONFIG.writers);
  }
  const seedSeconds = (performance.now() - s0) / 1000;
  let rebuild: InsightsAtScaleReport['rebuild'];
  const pgUrl = stack.services.ferretdbPostgresUrl;
  if (pgUrl) {
    // The documents bypassed the worker, which keeps the active-user bitmaps: built here as the rebuild builds them
    // (every seeded event is below the one partition's "committed" offset, so the stats are counted too).
    console.error('[bench] insights: rebuilding the active-user rollup from the store');
    const result = await rebuildRollupsFromStore({
      db: database,
      committed: new Map([[0, total]]),
      postgresUrl: pgUrl,
      progress: (line) => console.error(`[bench] insights: rebuild: ${line}`),
    });
    rebuild = {
      seconds: result.seconds,
      users: result.activeUsers?.users ?? 0,
      blocks: result.activeUsers?.blocks ?? 0,
    };
  }
  await vacuumIfSql(stack, db);
  const disk = await diskIfSql(stack, db, total);

  const base = `${api.url}/api/v1`;
  const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
  const iso = (ms: number) => new Date(ms).toISOString();
  const days = { from: iso(from), to: iso(to) };
  const lastDay = { from: iso(now - DAY), to: iso(now) };
  const week = { from: iso(now - 7 * DAY), to: iso(now), within: 'P7D' };
  const shapes: Array<{ shape: string; url: string; targetMs?: number }> = [
    { shape: 'list: first page', url: `${base}/activities` },
    {
      shape: 'active users by day, 30 days',
      url: `${base}/insights/active-users?${q({ ...days, bucket: 'day' })}`,
      targetMs: 50,
    },
    { shape: 'active users by week, 30 days', url: `${base}/insights/active-users?${q({ ...days, bucket: 'week' })}` },
    {
      shape: 'active users by month, 30 days',
      url: `${base}/insights/active-users?${q({ ...days, bucket: 'month' })}`,
    },
    {
      shape: 'active users by day, 30 days, type=SEARCH,PURCHASE',
      url: `${base}/insights/active-users?${q({ ...days, bucket: 'day', type: 'SEARCH,PURCHASE' })}`,
    },
    {
      shape: 'top 25 metadata.query of SEARCH, 24 h',
      url: `${base}/insights/top?${q({ ...lastDay, field: 'metadata.query', type: 'SEARCH' })}`,
      targetMs: 50,
    },
    {
      shape: 'top 25 metadata.path of PAGE_VIEW, 24 h',
      url: `${base}/insights/top?${q({ ...lastDay, field: 'metadata.path', type: 'PAGE_VIEW' })}`,
      targetMs: 50,
    },
    {
      shape: 'top 25 userId, 24 h',
      url: `${base}/insights/top?${q({ ...lastDay, field: 'userId' })}`,
      targetMs: 50,
    },
    {
      shape: 'funnel SIGNUP → SEARCH → PURCHASE, 7 days',
      url: `${base}/insights/funnel?${q({ ...week, steps: 'SIGNUP,SEARCH,PURCHASE' })}`,
      targetMs: 500,
    },
    {
      shape: 'funnel SIGNUP → SEARCH[metadata.query=q0] → PURCHASE, 7 days',
      url: `${base}/insights/funnel?${q({ ...week, steps: 'SIGNUP,SEARCH[metadata.query=q0],PURCHASE' })}`,
      targetMs: 500,
    },
  ];
  console.error(`[bench] insights: ${shapes.length} shapes × ${CONFIG.readScaleSamples} requests at ${total} events`);
  const samples: InsightSample[] = [];
  for (const { shape, url, targetMs } of shapes) {
    await sampleInsight(shape, url, WARM_UP_REQUESTS);
    samples.push(await sampleInsight(shape, url, CONFIG.readScaleSamples, targetMs));
  }

  const answer = async <T>(url: string): Promise<T> =>
    (await (await fetch(url, { headers: AUTH_HEADERS })).json()) as T;
  const active = await answer<{ total: number; exact: boolean }>(shapes[1]!.url);
  const top = await answer<{ counted: number }>(shapes[5]!.url);
  const stored = await collection.estimatedDocumentCount();
  await stopProcesses(stack);
  return {
    method,
    samplesPerShape: CONFIG.readScaleSamples,
    warmUp: WARM_UP_REQUESTS,
    events: total,
    users: CONFIG.insightsUsers,
    stored,
    seedSeconds,
    ...(rebuild ? { rebuild } : {}),
    shapes: samples,
    check: {
      activeUsers: { total: active.total, seeded: data.distinctUsers, exact: active.exact },
      topQueries: { counted: top.counted, seeded: data.searchesLastDay },
    },
    ...(disk ? { disk } : {}),
  };
}
