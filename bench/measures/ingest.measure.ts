import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { coresUsed, cpuSecondsByRole } from '../support/cpu-usage';

export interface HttpRun {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Cores each process role used during the measured run (the load generator runs in `bench client`). */
  cpu: Record<string, number>;
}

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

export interface ProducerRun {
  eventsPerSec: number;
  sendsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpu: Record<string, number>;
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

/** Ingest with one optional piece switched (issue 25's cost table); `streamed`: events the subscriber read. */
export interface IngestCost {
  variant: string;
  single: HttpRun;
  batch: HttpRun;
  streamed?: number;
}
