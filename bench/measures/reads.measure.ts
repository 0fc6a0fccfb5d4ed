import type { ReadSample } from '../support/measure-results';
import { ACTIVITIES_COLLECTION } from '@uap/shared/contract';
import { encodeCursor } from '../../api-service/src/domain/activity-query';
import { percentiles } from '../../scripts/loadgen/load-stats';
import { CONFIG } from '../support/bench-config';
import { benchInputs, toEvents, withIdentities } from '../support/bench-events';
import { ratio, type BenchReport, type ReadsAtScaleReport } from '../support/bench-report';
import { AUTH_HEADERS, readMethodOf, startApiProcess, stopProcesses, type BenchStack } from '../support/bench-stack';
import { createIndexes, seedDocuments, vacuumIfSql } from '../support/bench-store';

/** Sequential GETs of one query shape; sequential so each latency is the query's own, not queueing. */
export async function sampleReads(
  shape: string,
  url: string,
  samples: number,
  headers: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<ReadSample> {
  const latencies: number[] = [];
  const failures: string[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) }).catch((err: Error) => err);
    if (res instanceof Error) failures.push(res.name === 'TimeoutError' ? 'timeout' : 'network');
    else {
      await res.arrayBuffer(); // the latency includes reading the whole page
      if (res.status === 200) latencies.push(performance.now() - started);
      else failures.push(String(res.status));
    }
  }
  const p = percentiles(latencies, [50, 99]);
  return { shape, samples, p50Ms: p['p50']!, p99Ms: p['p99']!, errors: failures.length, failures };
}

export interface ReadShapeData {
  /** A stored event whose user, type and time the filtered shapes use. */
  sample: { userId: string; type: string; occurredAt: string };
  /** The (occurredAt, eventId) at which a client sits after `depth` rows of the unfiltered, newest-first walk. */
  keysetAt: { occurredAt: Date; eventId: string };
  depth: number;
}

/**
 * The read shapes as URLs: each first page at the default limit, the deep pages at limit 100.
 * `cursor` encodes `keysetAt` for the unfiltered, descending query.
 */
export function readShapes(base: string, data: ReadShapeData, cursor: string): Array<[string, string]> {
  const { sample, depth } = data;
  const users = base.replace(/\/activities$/, '/users');
  const at = Date.parse(sample.occurredAt);
  const from = encodeURIComponent(new Date(at - 3_600_000).toISOString());
  const to = encodeURIComponent(new Date(at + 3_600_000).toISOString());
  const other = sample.type === 'LOGIN' ? 'LOGOUT' : 'LOGIN';
  return [
    ['latest', `${base}`],
    ['type', `${base}?type=${sample.type}`],
    ['two types', `${base}?type=${sample.type},${other}`],
    ['range (2 h)', `${base}?from=${from}&to=${to}`],
    ['userId', `${base}?userId=${sample.userId}`],
    ['userId + type', `${base}?userId=${sample.userId}&type=${sample.type}`],
    ['userId + range', `${base}?userId=${sample.userId}&from=${from}&to=${to}`],
    [`keyset page at depth ${depth}`, `${base}?limit=100&cursor=${cursor}`],
    [`offset page at depth ${depth}`, `${base}?limit=100&page=${depth / 100}`],
    // Issue 28: a user's history with the events of the anonymous ids they linked, and their profile.
    ['user history + linked anonymous ids', `${users}/${sample.userId}/activities`],
    ['user profile (traits, first/last seen)', `${users}/${sample.userId}`],
  ];
}

/** The whole bench's reads (6/6), on the pipeline's data through its api: the filtered shapes, then deep pages. */
export async function measureReads(
  apiUrl: string,
  inputs: ReturnType<typeof benchInputs>,
): Promise<BenchReport['reads']> {
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

/**
 * Read shapes at growing store sizes: the documents are bulk-inserted (the worker's shape, through the
 * driver; the pipeline stage measures the write path), then each shape is sampled through the api.
 */
export async function readsAtScale(stack: BenchStack): Promise<ReadsAtScaleReport> {
  const db = `bench_${stack.id}_reads`;
  const largest = Math.max(...CONFIG.readSizes);
  const start = Date.now() - 86_400_000;
  // Spread over a day in 10 ms steps, groups of 4 at one instant (ties), in an order unrelated to insertion; a
  // share of them anonymous, and IDENTIFY events linking those visitors to their users (withIdentities).
  const inputs = withIdentities(
    benchInputs(largest, { users: CONFIG.users, startMs: start, spreadMs: 86_400_000 }).map((input, i) => ({
      ...input,
      occurredAt: new Date(start + ((Math.floor(i / 4) * 2_654_435_761) % 8_640_000) * 10).toISOString(),
    })),
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
      { sample: { userId: sample.userId!, type: sample.type, occurredAt: sample.occurredAt! }, keysetAt, depth },
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
  await stopProcesses(stack);
  return { method, samplesPerShape: CONFIG.readScaleSamples, sizes };
}
