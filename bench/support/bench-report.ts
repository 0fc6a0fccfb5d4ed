import { BUILT_IN_ACTIVITY_TYPES } from '@uap/shared/contract';
import type {
  AccessReport,
  ActivityTypesReport,
  HttpRun,
  LatencySummary,
  IngestCost,
  MemorySample,
  ProcessMemory,
  ProducerRun,
  ReadSample,
  SoakLoad,
  WriteScaleReport,
  WriteScaleSize,
} from './measure-results';

/** The registry's initial content, beside which `--only activity-types` registers its own types. */
const BUILT_INS = BUILT_IN_ACTIVITY_TYPES.length;

export interface BenchReport {
  date: string;
  machine: { cpus: number; node: string };
  store: string;
  broker: string;
  config: Record<string, number | number[] | string>;
  ingest: {
    single: { bare: HttpRun; api: HttpRun; ratio: number };
    batch: {
      bare: HttpRun;
      api: HttpRun;
      eventsPerSec: number;
      ratio: number;
      rawProducer: ProducerRun;
      producerRatio: number;
    };
    /** The same batches as /v1/batch messages (issue 28): the Segment dialect's cost next to the native one. */
    segment: { api: HttpRun; eventsPerSec: number; restRatio: number; producerRatio: number };
    costs: IngestCost[];
  };
  pipeline: {
    events: number;
    accepted: number;
    failedRequests: number;
    publishMs: number;
    persistedMs: number;
    allPersisted: boolean;
    stored: number;
    eventsPerSec: number;
    rawInsertEventsPerSec: number;
    ratio: number;
    cpu: Record<string, number>;
  };
  latency: { ratePerSec: number; accepted: number; count: number; p50Ms: number; p99Ms: number };
  drain: {
    events: number;
    workerMs: number;
    allPersisted: boolean;
    workerEventsPerSec: number;
    naiveInserted: number;
    naiveMs: number;
    naiveEventsPerSec: number;
    ratio: number;
    cpu: Record<string, number>;
  };
  reads: {
    shapes: ReadSample[];
    firstPage: ReadSample;
    keysetDeep: ReadSample;
    offsetDeep: ReadSample;
    keysetDeepRatio: number;
  };
  durationS: number;
}

/** `value` as a multiple of `baseline`; 0 when there is no baseline. */
export function ratio(value: number, baseline: number): number {
  return baseline === 0 ? 0 : value / baseline;
}

const n = (v: number, digits = 0) =>
  v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
const http = (r: HttpRun) =>
  `${n(r.requestsPerSec)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms${r.non2xx || r.errors ? `, ${r.non2xx} non-2xx, ${r.errors} errors` : ''}`;
const read = (r: ReadSample) =>
  r.errors === r.samples
    ? `all ${r.samples} failed (${r.failures.join(', ')})`
    : `p50 ${n(r.p50Ms, 1)} ms, p99 ${n(r.p99Ms, 1)} ms${r.errors ? `, ${r.errors}/${r.samples} failed (${r.failures.join(', ')})` : ''}`;

const cores = (cpu: Record<string, number>) =>
  Object.entries(cpu)
    .sort((a, b) => b[1] - a[1])
    .map(([role, used]) => `${role} ${used.toFixed(2)}`)
    .join(', ') +
  ` (total ${Object.values(cpu)
    .reduce((a, b) => a + b, 0)
    .toFixed(2)})`;

export function renderMarkdown(r: BenchReport): string {
  const { single, batch } = r.ingest;
  const rows = [
    [
      '1',
      'single-event ingest',
      http(single.api),
      `bare Express: ${http(single.bare)}`,
      `${n(single.ratio, 2)} (≥ 0.6)`,
      verdict(single.ratio >= 0.6 && single.api.non2xx === 0),
    ],
    [
      '2',
      'batch ingest (100/request)',
      `${n(batch.eventsPerSec)} events/s (${http(batch.api)})`,
      `raw kafkajs producer, same batches, own process: ${n(batch.rawProducer.eventsPerSec)} events/s ` +
        `(p50 ${batch.rawProducer.p50Ms} ms, p99 ${batch.rawProducer.p99Ms} ms); bare Express: ${http(batch.bare)}`,
      `${n(batch.producerRatio, 2)} (≥ 0.6)`,
      verdict(batch.producerRatio >= 0.6 && batch.api.non2xx === 0),
    ],
    [
      '2s',
      'batch ingest, Segment dialect (`/v1/batch`, 100/request)',
      `${n(r.ingest.segment.eventsPerSec)} events/s (${http(r.ingest.segment.api)}); ` +
        `${n(r.ingest.segment.restRatio, 2)} of the native batches (row 2)`,
      'raw kafkajs producer (row 2)',
      `${n(r.ingest.segment.producerRatio, 2)} (≥ 0.6)`,
      verdict(r.ingest.segment.producerRatio >= 0.6 && r.ingest.segment.api.non2xx === 0),
    ],
    [
      '3',
      `pipeline, ${n(r.pipeline.events)} events via the API`,
      `${n(r.pipeline.eventsPerSec)} events/s (all persisted in ${n(r.pipeline.persistedMs / 1000, 1)} s: ${r.pipeline.allPersisted ? 'yes' : 'NO'})`,
      `raw insertMany: ${n(r.pipeline.rawInsertEventsPerSec)} docs/s`,
      `${n(r.pipeline.ratio, 2)} (≥ 0.8)`,
      verdict(r.pipeline.ratio >= 0.8 && r.pipeline.allPersisted),
    ],
    [
      '4',
      `end-to-end latency at ${n(r.latency.ratePerSec)} events/s`,
      `p50 ${n(r.latency.p50Ms)} ms, p99 ${n(r.latency.p99Ms)} ms over ${n(r.latency.count)} events`,
      '—',
      'p99 ≤ 250 ms',
      verdict(r.latency.p99Ms <= 250 && r.latency.count > 0 && r.latency.count === r.latency.accepted),
    ],
    [
      '5',
      `worker drain, ${n(r.drain.events)} prefilled`,
      `${n(r.drain.workerEventsPerSec)} events/s (${n(r.drain.workerMs / 1000, 1)} s)`,
      `naive consumer: ${n(r.drain.naiveEventsPerSec)} events/s (${n(r.drain.naiveInserted)} in ${n(r.drain.naiveMs / 1000, 0)} s)`,
      `${n(r.drain.ratio, 1)}× (≥ 10×)`,
      verdict(r.drain.ratio >= 10 && r.drain.allPersisted),
    ],
    [
      '6',
      `keyset page at depth vs first page`,
      `${read(r.reads.keysetDeep)}`,
      `first page: ${read(r.reads.firstPage)}; offset at the same depth: ${read(r.reads.offsetDeep)}`,
      `${n(r.reads.keysetDeepRatio, 2)} (≤ 2)`,
      verdict(r.reads.keysetDeepRatio <= 2 && r.reads.keysetDeep.errors === 0),
    ],
  ];
  return [
    `Run ${r.date} on ${r.machine.cpus} cores, Node ${r.machine.node}; store: ${r.store}; broker: ${r.broker}; ${n(r.durationS)} s.`,
    '',
    '| # | measure | result | ceiling or baseline (same run) | ratio (target) | target |',
    '|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    `Reads on ${n(r.pipeline.stored)} stored events (${r.config['readSamples']} sequential requests each):`,
    '',
    '| query shape | latency |',
    '|---|---|',
    ...r.reads.shapes.map((s) => `| ${s.shape} | ${read(s)} |`),
    '',
    'Ingest with one optional piece switched, each in an api process of its own (issue 25; the first row is measure 1–2):',
    '',
    '| api | single events | Δ vs all on | batches of 100 | Δ vs all on | api cores (single / batch) |',
    '|---|---|---|---|---|---|',
    `| all on, defaults (nothing reads the stream or asks for freshness) | ${n(single.api.requestsPerSec)} req/s | — | ${n(batch.eventsPerSec)} events/s | — | ${n(single.api.cpu['api'] ?? 0, 2)} / ${n(batch.api.cpu['api'] ?? 0, 2)} |`,
    ...r.ingest.costs.map((c) => {
      const events = c.batch.requestsPerSec * Number(r.config['batchSize']);
      const delta = (v: number, base: number) =>
        `${v >= base ? '+' : ''}${n(v - base)} (${n((v / base - 1) * 100, 1)} %)`;
      return (
        `| ${c.variant}${c.streamed === undefined ? '' : ` (it read ${n(c.streamed)} events)`} | ${n(c.single.requestsPerSec)} req/s | ` +
        `${delta(c.single.requestsPerSec, single.api.requestsPerSec)} | ${n(events)} events/s | ${delta(events, batch.eventsPerSec)} | ` +
        `${n(c.single.cpu['api'] ?? 0, 2)} / ${n(c.batch.cpu['api'] ?? 0, 2)} |`
      );
    }),
    '',
    'CPU cores used per process during each measure (2 cores in all):',
    '',
    '| measure | cores used |',
    '|---|---|',
    `| 1. bare Express | ${cores(single.bare.cpu)} |`,
    `| 1. API, single events | ${cores(single.api.cpu)} |`,
    `| 2. API, batches | ${cores(batch.api.cpu)} |`,
    `| 2. raw producer, batches | ${cores(batch.rawProducer.cpu)} |`,
    `| 3. pipeline | ${cores(r.pipeline.cpu)} |`,
    `| 5. worker drain | ${cores(r.drain.cpu)} |`,
  ].join('\n');
}

export interface ReadsAtScaleReport {
  method: string;
  samplesPerShape: number;
  sizes: Array<{ events: number; stored: number; seedSeconds: number; shapes: ReadSample[] }>;
}

/** The issue's targets: at the largest size each p50 ≤ 3× userId's; from smallest to largest no p50 grows > 1.5×. */
export function renderReadsAtScale(r: {
  date: string;
  machine: { cpus: number; node: string };
  store: string;
  /** Absent in results saved before stage reports recorded it. */
  broker?: string;
  readsAtScale: ReadsAtScaleReport;
  durationS: number;
}): string {
  const { sizes, method, samplesPerShape } = r.readsAtScale;
  const small = sizes[0]!;
  const large = sizes[sizes.length - 1]!;
  const userIdLarge = large.shapes.find((s) => s.shape === 'userId')!.p50Ms;
  const rows = large.shapes.map((shape, i) => {
    const before = small.shapes[i]!;
    const growth = shape.p50Ms / before.p50Ms;
    const vsUser = shape.p50Ms / userIdLarge;
    const ok = growth <= 1.5 && vsUser <= 3 && shape.errors === 0 && before.errors === 0;
    return [
      shape.shape,
      `${n(before.p50Ms, 1)} ms${before.errors ? ` (${before.errors} failed)` : ''}`,
      `${n(shape.p50Ms, 1)} ms (p99 ${n(shape.p99Ms, 1)})${shape.errors ? ` (${shape.errors} failed)` : ''}`,
      `${n(growth, 2)}× (≤ 1.5)`,
      `${n(vsUser, 2)}× (≤ 3)`,
      verdict(ok),
    ];
  });
  return [
    `Run ${r.date} on ${r.machine.cpus} cores, Node ${r.machine.node}; store: ${r.store}; ${r.broker ? `broker: ${r.broker}; ` : ''}reads: ${method}; ` +
      `${samplesPerShape} sequential requests per shape after one warm-up; ${n(r.durationS)} s.`,
    '',
    `| query shape | p50 at ${n(small.stored)} events | p50 at ${n(large.stored)} events | growth | vs userId at ${n(large.stored)} | target |`,
    '|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    `Seeded by insertMany of the worker's document shape: ${sizes.map((s) => `${n(s.stored)} events in ${n(s.seedSeconds)} s`).join(', ')} (cumulative).`,
  ].join('\n');
}

export interface StatsAtScaleReport {
  method: string;
  samplesPerShape: number;
  events: number;
  stored: number;
  seedSeconds: number;
  /** The first list page first, then the stats shapes. */
  shapes: ReadSample[];
  /** Requests sent per shape before sampling it. */
  warmUp: number;
  /** The whole seeded range at minute buckets: total must equal the events stored. */
  check: { total: number; buckets: number; source: string; exact: boolean };
  /** On FerretDB/PostgreSQL: the worker's per-chunk rollup apply with and without the active-user bitmaps. */
  rollupCost?: { events: number; chunks: number; statsOnlyMsPerChunk: number; withUsersMsPerChunk: number };
}

/** Issue 19: a 24 h minute-bucket stats request over 1M events within 2× the first list page's p50. */
export function renderStatsAtScale(r: {
  date: string;
  machine: { cpus: number; node: string };
  store: string;
  /** Absent in results saved before stage reports recorded it. */
  broker?: string;
  statsAtScale: StatsAtScaleReport;
  durationS: number;
}): string {
  const { shapes, method, samplesPerShape, warmUp, stored, check } = r.statsAtScale;
  const list = shapes[0]!;
  const rows = shapes.map((shape, i) => {
    const vsList = shape.p50Ms / list.p50Ms;
    const target = i === 0 ? '—' : i <= 2 ? `${n(vsList, 2)}× (≤ 2)` : `${n(vsList, 2)}×`;
    const ok = shape.errors === 0 && (i === 0 || i > 2 || vsList <= 2);
    return [
      shape.shape,
      `${n(shape.p50Ms, 1)} ms`,
      `${n(shape.p99Ms, 1)} ms${shape.errors ? ` (${shape.errors} failed: ${shape.failures.join(', ')})` : ''}`,
      target,
      i === 0 || i > 2 ? (shape.errors === 0 ? 'ok' : 'failed') : verdict(ok),
    ];
  });
  return [
    `Run ${r.date} on ${r.machine.cpus} cores, Node ${r.machine.node}; store: ${r.store}; ${r.broker ? `broker: ${r.broker}; ` : ''}list reads: ${method}; ` +
      `${n(stored)} stored events over the last 24 h; ${samplesPerShape} sequential requests per shape after ` +
      `${warmUp} warm-up requests; ${n(r.durationS)} s.`,
    '',
    '| request | p50 | p99 | vs first list page | target |',
    '|---|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    `Check: stats over the whole seeded range answered total ${n(check.total)} in ${n(check.buckets)} minute buckets ` +
      `(source ${check.source}, exact ${check.exact}) for ${n(stored)} stored events: ` +
      `${check.total === stored ? 'equal' : 'NOT EQUAL'}. Stored and counted into the rollups (worker adapter, ` +
      `chunks of 500 per partition) in ${n(r.statsAtScale.seedSeconds)} s.`,
    ...(r.statsAtScale.rollupCost ? ['', rollupCostLine(r.statsAtScale.rollupCost)] : []),
  ].join('\n');
}

function rollupCostLine(cost: NonNullable<StatsAtScaleReport['rollupCost']>): string {
  const ratio = cost.withUsersMsPerChunk / cost.statsOnlyMsPerChunk;
  return (
    `The worker's rollup transaction per chunk of 500 (${n(cost.chunks)} chunks, ${n(cost.events)} events, 6 partitions ` +
    `in parallel, fresh tables): stats alone ${n(cost.statsOnlyMsPerChunk, 1)} ms, with the active-user bitmaps ` +
    `${n(cost.withUsersMsPerChunk, 1)} ms (${n(ratio, 2)}×).`
  );
}

export interface InsightSample extends ReadSample {
  p90Ms: number;
  /** The issue's p50 target in ms, when it sets one for this shape. */
  targetMs?: number;
}

export interface InsightsAtScaleReport {
  method: string;
  samplesPerShape: number;
  warmUp: number;
  events: number;
  users: number;
  stored: number;
  /** Seeded by insertMany, then the active-user rollup rebuilt from the store (FerretDB/PostgreSQL only). */
  seedSeconds: number;
  rebuild?: { seconds: number; users: number; blocks: number };
  /** The first list page first (the baseline), then the insights shapes. */
  shapes: InsightSample[];
  /** Answers checked against what was seeded: distinct users over the 30 days, searches of the last 24 h. */
  check: {
    activeUsers: { total: number; seeded: number; exact: boolean };
    topQueries: { counted: number; seeded: number };
  };
  /** On FerretDB/PostgreSQL: the run's schema on disk after VACUUM (tables, indexes, TOAST), and its rollup tables. */
  disk?: { schemaBytes: number; insightsBytes: number; bytesPerEvent: number };
}

/** Issue 29: p50 at 1M events over 30 days: active users by day ≤ 50 ms, top 25 ≤ 50 ms, 3-step funnel ≤ 500 ms. */
export function renderInsightsAtScale(r: {
  date: string;
  machine: { cpus: number; node: string };
  store: string;
  broker?: string;
  insightsAtScale: InsightsAtScaleReport;
  durationS: number;
}): string {
  const { shapes, method, samplesPerShape, warmUp, stored, users, check, disk, rebuild } = r.insightsAtScale;
  const list = shapes[0]!;
  const rows = shapes.map((shape) => {
    const failed = shape.errors ? ` (${shape.errors} failed: ${shape.failures.join(', ')})` : '';
    const target = shape.targetMs === undefined ? '—' : `≤ ${n(shape.targetMs)} ms`;
    const ok = shape.errors === 0 && (shape.targetMs === undefined || shape.p50Ms <= shape.targetMs);
    return [
      shape.shape,
      `${n(shape.p50Ms, 1)} ms`,
      `${n(shape.p90Ms, 1)} ms`,
      `${n(shape.p99Ms, 1)} ms${failed}`,
      shape === list ? '1.00×' : `${n(ratio(shape.p50Ms, list.p50Ms), 2)}×`,
      target,
      shape.targetMs === undefined ? (shape.errors === 0 ? 'ok' : 'failed') : verdict(ok),
    ];
  });
  const equal = (a: number, b: number) => (a === b ? 'equal' : 'NOT EQUAL');
  return [
    `Run ${r.date} on ${r.machine.cpus} cores, Node ${r.machine.node}; store: ${r.store}; ${r.broker ? `broker: ${r.broker}; ` : ''}reads: ${method}; ` +
      `${n(stored)} stored events over 30 days, ${n(users)} users; ${samplesPerShape} sequential requests per shape after ` +
      `${warmUp} warm-up requests; ${n(r.durationS)} s.`,
    '',
    '| request | p50 | p90 | p99 | p50 vs first list page | target (p50) | |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    `Check: active users over the 30 days answered ${n(check.activeUsers.total)} for ${n(check.activeUsers.seeded)} ` +
      `seeded users (exact ${check.activeUsers.exact}): ${equal(check.activeUsers.total, check.activeUsers.seeded)}; ` +
      `top queries of the last 24 h counted ${n(check.topQueries.counted)} of ${n(check.topQueries.seeded)} seeded ` +
      `searches: ${equal(check.topQueries.counted, check.topQueries.seeded)}. Seeded by insertMany in ` +
      `${n(r.insightsAtScale.seedSeconds)} s` +
      (rebuild
        ? `; the active-user rollup rebuilt from the store (${n(rebuild.users)} users, ${n(rebuild.blocks)} (day, type, block) rows) in ${n(rebuild.seconds, 1)} s.`
        : '.'),
    ...(disk
      ? [
          '',
          `On disk after VACUUM: ${n(disk.schemaBytes / 2 ** 20)} MiB for the run's schema (${n(disk.bytesPerEvent)} bytes ` +
            `a stored event, indexes included), of which the active-user rollup ${n(disk.insightsBytes / 2 ** 20, 1)} MiB.`,
        ]
      : []),
  ].join('\n');
}

export function renderWriteScale(r: {
  date: string;
  machine: { cpus: number; node: string };
  store: string;
  /** Absent in results saved before stage reports recorded it. */
  broker?: string;
  writeScale: WriteScaleReport;
  durationS: number;
}): string {
  const { sizes, worker, emptyInsertEventsPerSec } = r.writeScale;
  const small = sizes[0]!;
  const large = sizes[sizes.length - 1]!;
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const resend = (s: WriteScaleSize) => median(s.resendMs);
  const sampled = (t: { sampled?: string }) => (t.sampled ? ` (extrapolated from ${t.sampled})` : '');
  const sweepRatio = (s: WriteScaleSize) => s.sweepEventsPerSec / s.rawDeleteManyEventsPerSec;
  const growth = (a: number, b: number) => `${n(b / a, 2)}×`;
  const row = (measure: string, at: (s: WriteScaleSize) => string, before: string, target: string, ok: boolean) =>
    `| ${measure} | ${at(small)} | ${at(large)} | ${before} | ${target} | ${verdict(ok)} |`;
  return [
    `Run ${r.date} on ${r.machine.cpus} cores, Node ${r.machine.node}; store: ${r.store}; ${r.broker ? `broker: ${r.broker}; ` : ''}worker: ${worker}; ${n(r.durationS)} s.`,
    '',
    `| measure | at ${n(small.stored)} events | at ${n(large.stored)} events | before issue 24, at ${n(large.stored)} | target | |`,
    '|---|---|---|---|---|---|',
    row(
      `resend of 500 stored events, drained (median of ${large.resendMs.length})`,
      (s) => `${n(resend(s))} ms (max ${n(Math.max(...s.resendMs))})`,
      `${n(large.resendLookupsBeforeMs.ms)} ms for its 500 lookups alone${sampled(large.resendLookupsBeforeMs)}`,
      '≤ 2,000 ms; growth ≤ 1.5×',
      resend(large) <= 2_000 && resend(large) / resend(small) <= 1.5,
    ),
    row(
      'erasure of a user with 100 events',
      (s) => `${n(s.eraseSqlMs)} ms (wire: ${n(s.eraseWireMs)} ms)`,
      `${n(large.eraseWireMs)} ms`,
      '≤ 2,000 ms; growth ≤ 1.5×',
      large.eraseSqlMs <= 2_000 && large.eraseSqlMs / small.eraseSqlMs <= 1.5,
    ),
    row(
      'retention sweep of 100,000 expired events vs one raw deleteMany',
      (s) => `${n(s.sweepEventsPerSec)}/s vs ${n(s.rawDeleteManyEventsPerSec)}/s = ${n(sweepRatio(s), 2)}`,
      `${n(large.sweepBeforeEventsPerSec.eventsPerSec)}/s = ${n(large.sweepBeforeEventsPerSec.eventsPerSec / large.rawDeleteManyEventsPerSec, 2)}${sampled(large.sweepBeforeEventsPerSec)}`,
      '≥ 0.5; rate falls ≤ 1.5×',
      sweepRatio(large) >= 0.5 && small.sweepEventsPerSec / large.sweepEventsPerSec <= 1.5,
    ),
    row(
      `insert throughput vs an empty table (${n(emptyInsertEventsPerSec)}/s)`,
      (s) => `${n(s.insertEventsPerSec)}/s = ${n(s.insertEventsPerSec / emptyInsertEventsPerSec, 2)}`,
      '(unchanged path)',
      '≥ 0.8',
      large.insertEventsPerSec / emptyInsertEventsPerSec >= 0.8,
    ),
    '',
    `Growth from ${n(small.stored)} to ${n(large.stored)}: resend ${growth(resend(small), resend(large))}, ` +
      `erasure ${growth(small.eraseSqlMs, large.eraseSqlMs)}, sweep time per event ${growth(large.sweepEventsPerSec, small.sweepEventsPerSec)}.`,
  ].join('\n');
}

/** Levelled off, for the soak: neither RSS nor used heap grows faster than this over the second half (falling is fine). */
export const SOAK_FLAT_MB_PER_MIN = 1;

export function renderSoak(r: {
  date: string;
  machine: { cpus: number; node: string };
  store: string;
  /** Absent in results saved before stage reports recorded it. */
  broker?: string;
  soak: { load: SoakLoad; persisted: number; nodeOptions: string; api: ProcessMemory; worker: ProcessMemory };
  durationS: number;
}): string {
  const { load, persisted } = r.soak;
  const at = (samples: MemorySample[], s: number) =>
    samples.reduce((best, x) => (Math.abs(x.atS - s) < Math.abs(best.atS - s) ? x : best));
  const mb = (v: number) => `${n(v)} MB`;
  const slope = (v: number) => (Number.isNaN(v) ? 'run too short' : `${v >= 0 ? '+' : ''}${n(v, 2)} MB/min`);
  const window = (s: MemorySample) => (s.bufferedEvents === undefined ? '—' : n(s.bufferedEvents));
  const row = (name: string, m: ProcessMemory) => {
    const [early, half, end] = [60, load.durationS / 2, load.durationS].map((s) => at(m.samples, s));
    const flat = m.rssSlopeMbPerMin <= SOAK_FLAT_MB_PER_MIN && m.heapSlopeMbPerMin <= SOAK_FLAT_MB_PER_MIN;
    return (
      `| ${name} | ${mb(early!.rssMb)} → ${mb(half!.rssMb)} → ${mb(end!.rssMb)} | ${slope(m.rssSlopeMbPerMin)} | ` +
      `${mb(early!.heapMb)} → ${mb(half!.heapMb)} → ${mb(end!.heapMb)} | ${slope(m.heapSlopeMbPerMin)} | ` +
      `${mb(m.idle.rssMb)} / ${mb(m.idle.heapMb)} | ${window(end!)} → ${window(m.idle)} | ${verdict(flat)} |`
    );
  };
  return [
    `Run ${r.date} on ${r.machine.cpus} cores, Node ${r.machine.node}; store: ${r.store}; ${r.broker ? `broker: ${r.broker}; ` : ''}` +
      `NODE_OPTIONS of the api and worker: ${r.soak.nodeOptions ? `\`${r.soak.nodeOptions}\`` : 'none'}; ${n(r.durationS)} s.`,
    '',
    `Load: ${n(load.ratePerSec)} events/s in batches of ${load.batchSize} for ${n(load.durationS)} s: ${n(load.accepted)} ` +
      `accepted, ${n(load.failedRequests)} failed requests, request p50 ${n(load.p50Ms)} ms, p99 ${n(load.p99Ms)} ms; ` +
      `${n(persisted)} persisted (all: ${persisted >= load.accepted ? 'yes' : 'no'}).`,
    '',
    `| process | RSS at 1 min → half → end | RSS slope, 2nd half | used heap at 1 min → half → end | heap slope, 2nd half | idle after (RSS / heap) | stream window, end → idle (events) | levelled off (grows ≤ ${SOAK_FLAT_MB_PER_MIN} MB/min) |`,
    '|---|---|---|---|---|---|---|---|',
    row('api', r.soak.api),
    row('worker', r.soak.worker),
  ].join('\n');
}

export function renderActivityTypes(r: {
  date: string;
  machine: { cpus: number; node: string };
  store: string;
  broker?: string;
  activityTypes: ActivityTypesReport;
  durationS: number;
}): string {
  const t = r.activityTypes;
  const row = (name: string, run: HttpRun, target: string) =>
    `| ${name} | ${n(run.requestsPerSec)} | ${n(run.p50Ms)} ms | ${n(run.p99Ms)} ms | ${run.non2xx + run.errors} | ${target} |`;
  const latency = (what: string, s: ActivityTypesReport['propagation']['put'], target: string) =>
    `| ${what} | ${n(s.p50Ms)} ms | ${n(s.p99Ms)} ms | ${n(s.maxMs)} ms | ${target} |`;
  const { propagation: p } = t;
  const answered = (statuses: Record<string, number>) =>
    Object.entries(statuses)
      .map(([status, count]) => `${n(count)} × ${status}`)
      .join(', ');
  const attackP99 = t.underAttack.ingest.p99Ms / t.benignPuts.ingest.p99Ms;
  const turns = t.builtIn.flatMap((run, i) => [
    row(`turn ${i + 1}: registry of the ${BUILT_INS} built-ins (LOGIN)`, run, '—'),
    row(`turn ${i + 1}: registry of ${t.registeredTypes + BUILT_INS} types (LOGIN)`, t.grown[i]!, '—'),
  ]);
  return [
    `Run ${r.date} on ${r.machine.cpus} cores, Node ${r.machine.node}; store: ${r.store}; ${r.broker ? `broker: ${r.broker}; ` : ''}` +
      `single-event ingest, ${t.load.connections} connections, ${t.load.httpSeconds} s after ${t.load.warmupSeconds} s warm-up; ` +
      `${n(r.durationS)} s.`,
    '',
    '| single-event ingest | req/s | p50 | p99 | non-2xx + errors | target |',
    '|---|---|---|---|---|---|',
    ...turns,
    `| **${t.registeredTypes + BUILT_INS} types against ${BUILT_INS}, req/s summed over the turns** | | | | | ${n(t.ratio, 3)} (≥ 0.95): ${verdict(t.ratio >= 0.95)} |`,
    row(
      `registry of ${t.registeredTypes + BUILT_INS} types (a registered type, 5 checked properties)`,
      t.grownCustom,
      '—',
    ),
    row(
      `the same, valid admin PUTs ${t.attackPerSecond}/s (${answered(t.benignPuts.statuses)})`,
      t.benignPuts.ingest,
      '—',
    ),
    row(
      `the same, hostile schemas PUT ${t.attackPerSecond}/s (${answered(t.underAttack.statuses)})`,
      t.underAttack.ingest,
      `p99 ${n(attackP99, 2)}× with valid PUTs`,
    ),
    '',
    `Registering ${t.registeredTypes} types took ${n(t.registerSeconds, 1)} s, 20 PUTs in flight (each answered a lease ` +
      `after it is durable); a fresh api started with them in ${n(t.loadSeconds, 1)} s.`,
    '',
    `| ${p.changes} registry changes, from the PUT's start | p50 | p99 | max | target |`,
    '|---|---|---|---|---|',
    latency('the PUT answered (durable, and a lease old)', p.put, '—'),
    latency('a second api serves the new version', p.peer, `≤ 2 s: ${verdict(p.peer.p99Ms <= 2_000)}`),
    latency('a worker holds it', p.worker, `≤ 2 s: ${verdict(p.worker.p99Ms <= 2_000)}`),
  ].join('\n');
}

export function renderAccess(r: {
  date: string;
  machine: { cpus: number; node: string };
  store: string;
  broker?: string;
  access: AccessReport;
  durationS: number;
}): string {
  const a = r.access;
  const row = (name: string, run: HttpRun) =>
    `| ${name} | ${n(run.requestsPerSec)} | ${n(run.requestsPerSec * a.load.batchSize)} | ${n(run.p50Ms)} ms | ${n(run.p99Ms)} ms | ${run.non2xx + run.errors} |`;
  const latency = (what: string, s: LatencySummary, target: string) =>
    `| ${what} | ${n(s.p50Ms)} ms | ${n(s.p99Ms)} ms | ${n(s.maxMs)} ms | ${target} |`;
  const p = a.propagation;
  return [
    `Run ${r.date} on ${r.machine.cpus} cores, Node ${r.machine.node}; store: ${r.store}; ${r.broker ? `broker: ${r.broker}; ` : ''}` +
      `batch ingest of ${a.load.batchSize} events, ${a.load.connections} connections, ${a.load.httpSeconds} s per turn; ` +
      `${n(a.runtimeKeys)} runtime keys created in ${n(a.createSeconds, 1)} s; ${n(r.durationS)} s.`,
    '',
    '| batch ingest | req/s | events/s | p50 | p99 | non-2xx + errors |',
    '|---|---|---|---|---|---|',
    ...a.bootstrap.flatMap((run, i) => [
      row(`turn ${i + 1}: the bootstrap key (API_KEYS)`, run),
      row(`turn ${i + 1}: a runtime key of source bench-web, among ${n(a.runtimeKeys + 1)}`, a.runtime[i]!),
    ]),
    '',
    `Runtime key with a source against the bootstrap key, req/s summed over the turns: **${n(a.ratio, 3)}** (≥ 0.95): ${verdict(a.ratio >= 0.95)}.`,
    '',
    `| over ${p.rounds} keys | p50 | p99 | max | target |`,
    '|---|---|---|---|---|',
    latency('created on A → accepted by B (from the POST)', p.usable, '≤ 2,000 ms'),
    latency(
      'revoked on A → refused by B (from the DELETE)',
      p.revoked,
      `≤ 2,000 ms: ${verdict(p.revoked.p99Ms <= 2_000)}`,
    ),
    latency("the DELETE's `inForceBy` (from the DELETE)", p.promised, '≤ 2,000 ms'),
  ].join('\n');
}
