import type { HttpRun, IngestCost, ProducerRun } from '../support/measure-results';
import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { freePort } from '../../test/support/service-process';
import { askFreshness, openStream } from '../support/bench-clients';
import { CONFIG } from '../support/bench-config';
import { BareServer, ROOT } from '../support/bench-context';
import type { ActivityInput } from '@uap/shared/contract';
import { benchInputs } from '../support/bench-events';
import { ratio, type BenchReport } from '../support/bench-report';
import { AUTH_HEADERS, startApi, startApiProcess, stopProcesses, type BenchStack } from '../support/bench-stack';
import { coresUsed, cpuSecondsByRole } from '../support/cpu-usage';

export interface HttpLoad {
  url: string;
  body: string;
  connections: number;
  durationS: number;
  warmupS: number;
  headers?: Record<string, string>;
}

/** One autocannon run after a warm-up of the same shape; bounded by duration, so it always stops. */
export async function runAutocannon(load: HttpLoad): Promise<HttpRun> {
  const options = {
    url: load.url,
    method: 'POST' as const,
    headers: { 'content-type': 'application/json', ...load.headers },
    body: load.body,
    connections: load.connections,
  };
  await autocannon({ ...options, duration: load.warmupS });
  const before = cpuSecondsByRole();
  const started = performance.now();
  const result = await autocannon({ ...options, duration: load.durationS });
  const cpu = coresUsed(before, cpuSecondsByRole(), performance.now() - started);
  return {
    requestsPerSec: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    cpu,
  };
}

/** The raw kafkajs producer (bench/raw-producer.ts) in its own process, as the API runs; resolves with its figures. */
export async function runRawProducer(
  root: string,
  load: { brokers: string; topic: string; connections: number; warmupS: number; durationS: number; batchSize: number },
): Promise<ProducerRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/raw-producer.ts'], {
    cwd: root,
    env: {
      PATH: process.env['PATH'] ?? '',
      NODE_ENV: 'production',
      KAFKA_BROKERS: load.brokers,
      TOPIC: load.topic,
      CONNECTIONS: String(load.connections),
      WARMUP_S: String(load.warmupS),
      DURATION_S: String(load.durationS),
      BATCH_SIZE: String(load.batchSize),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  // The other processes' CPU over the whole run, warm-up included (the same load); the producer reports its own.
  const before = cpuSecondsByRole();
  const started = performance.now();
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const others = coresUsed(before, cpuSecondsByRole(), performance.now() - started);
  if (code !== 0) throw new Error(`the raw producer exited with ${code}`);
  const { cores, ...figures } = JSON.parse(out.trim().split('\n').at(-1)!) as Omit<ProducerRun, 'cpu'> & {
    cores: number;
  };
  return { ...figures, cpu: { ...others, 'raw producer': cores } };
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

/**
 * A bench event as a Segment message: track calls named as a Segment SDK would (PURCHASE is "Order Completed", SEARCH
 * "Products Searched", the others their name in words), page calls for PAGE_VIEW; no messageId, so every request is
 * new events, as the REST batches are.
 */
function toSegmentMessage(input: ActivityInput): Record<string, unknown> {
  const common = { userId: input.userId, timestamp: input.occurredAt, context: { library: { name: 'bench' } } };
  if (input.type === 'PAGE_VIEW') return { type: 'page', ...common, properties: input.metadata };
  const event = SEGMENT_NAMES[input.type] ?? input.type.toLowerCase().replace(/_/g, ' ');
  return { type: 'track', event, ...common, properties: input.metadata };
}
const SEGMENT_NAMES: Record<string, string> = { PURCHASE: 'Order Completed', SEARCH: 'Products Searched' };

/** The whole bench's ingest (1-2/6): bare Express next to the api, the cost table, and a raw producer's ceiling. */
export async function ingestCeilings(stack: BenchStack): Promise<BenchReport['ingest']> {
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
  console.error('[bench] 2/6 batch ingest through the Segment dialect (the same events as /v1/batch messages)');
  results['batchSegment'] = await load(apiUrl, '/v1/batch', { batch: batch.map(toSegmentMessage) }, 8);
  await stopProcesses(stack);
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
    await stopProcesses(stack);
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
    segment: {
      api: results['batchSegment']!,
      eventsPerSec: results['batchSegment']!.requestsPerSec * CONFIG.batchSize,
      restRatio: ratio(results['batchSegment']!.requestsPerSec, results['batchApi']!.requestsPerSec),
      producerRatio: ratio(results['batchSegment']!.requestsPerSec * CONFIG.batchSize, rawProducer.eventsPerSec),
    },
    costs,
  };
}
