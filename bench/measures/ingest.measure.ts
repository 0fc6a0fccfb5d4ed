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
