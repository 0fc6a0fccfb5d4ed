import type { ServiceProcess } from '../../test/support/service-process';
import { CONFIG } from '../support/bench-config';
import { benchInputs } from '../support/bench-events';
import { ratio } from '../support/bench-report';
import { AUTH_HEADERS, startApiProcess, type BenchStack } from '../support/bench-stack';
import type { AccessReport, HttpRun, LatencySummary } from '../support/measure-results';
import { runAutocannon } from './ingest.measure';

/** Runtime keys in the store beside the measured one: a platform with many apps, partners and rotations. */
const RUNTIME_KEYS = 1_000;
const CREATE_IN_FLIGHT = 20;
/** Create → usable on the other replica → revoke → refused there, this many times. */
const PROPAGATION_ROUNDS = 50;
/** Turns each key takes at batch ingest. */
const ROUNDS = 2;
const POLL_MS = 5;

interface Created {
  key: { id: string };
  secret: string;
}

async function adminCall(api: ServiceProcess, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: { ...AUTH_HEADERS, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return JSON.parse(text) as unknown;
}

/** Milliseconds from `from` until the api answers `status` to the key (GET /api/v1/whoami, polled every 5 ms). */
async function msUntil(api: ServiceProcess, secret: string, status: number, from: number): Promise<number> {
  for (;;) {
    const res = await fetch(`${api.url}/api/v1/whoami`, { headers: { 'x-api-key': secret } });
    await res.arrayBuffer();
    if (res.status === status) return performance.now() - from;
    if (performance.now() - from > 30_000) throw new Error(`the key never answered ${status} on ${api.name}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function summary(samples: number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
  return { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted[sorted.length - 1]! };
}

/**
 * `--only access`: what runtime keys and sources cost on the hot path, and how fast a key change reaches another
 * replica. Batch ingest on one api process, in turns: the bootstrap key from API_KEYS (what every deployment ran
 * before), then a runtime key bound to a source (its id written into every event) among 1,000 runtime keys.
 */
export async function accessAtScale(stack: BenchStack): Promise<AccessReport> {
  const topic = `bench-${stack.id}-access`;
  const db = `bench_${stack.id}_access`;
  const accessTopic = `${topic}.keys`;
  stack.topics.push(accessTopic);
  const startApi = (name: string) => startApiProcess(stack, name, topic, db, { ACCESS_TOPIC: accessTopic });
  const apiA = await startApi('api-access-a');

  console.error(`[bench] access 1/3: creating ${RUNTIME_KEYS} runtime keys, ${CREATE_IN_FLIGHT} in flight`);
  await adminCall(apiA, 'POST', '/api/v1/sources', { id: 'bench-web', name: 'Bench web app' });
  const createStarted = performance.now();
  for (let first = 0; first < RUNTIME_KEYS; first += CREATE_IN_FLIGHT) {
    await Promise.all(
      Array.from({ length: Math.min(CREATE_IN_FLIGHT, RUNTIME_KEYS - first) }, (_, i) =>
        adminCall(apiA, 'POST', '/api/v1/keys', { label: `bench key ${first + i}`, scopes: ['ingest'] }),
      ),
    );
  }
  const createSeconds = (performance.now() - createStarted) / 1000;
  const sourced = (await adminCall(apiA, 'POST', '/api/v1/keys', {
    label: 'bench web writer',
    scopes: ['ingest'],
    sourceId: 'bench-web',
  })) as Created;

  console.error('[bench] access 2/3: batch ingest, the bootstrap key (A) and a sourced runtime key (B), A B A B');
  const batch = benchInputs(CONFIG.batchSize, {
    users: CONFIG.users,
    startMs: Date.now() - 60_000,
    spreadMs: 10_000,
  }).map(({ eventId: _e, ...rest }) => rest);
  const ingest = (headers: Record<string, string>): Promise<HttpRun> =>
    runAutocannon({
      url: `${apiA.url}/api/v1/activities/batch`,
      body: JSON.stringify({ events: batch }),
      connections: 8,
      durationS: CONFIG.httpSeconds,
      warmupS: CONFIG.warmupSeconds,
      headers,
    });
  const bootstrap: HttpRun[] = [];
  const runtime: HttpRun[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bootstrap.push(await ingest(AUTH_HEADERS));
    runtime.push(await ingest({ 'x-api-key': sourced.secret }));
  }

  console.error(`[bench] access 3/3: ${PROPAGATION_ROUNDS} keys created on A, used on B, revoked on A, refused on B`);
  const apiB = await startApi('api-access-b');
  const usable: number[] = [];
  const revoked: number[] = [];
  const promised: number[] = [];
  for (let round = 0; round < PROPAGATION_ROUNDS; round++) {
    const createdAt = performance.now();
    const created = (await adminCall(apiA, 'POST', '/api/v1/keys', {
      label: `propagation ${round}`,
      scopes: ['read'],
    })) as Created;
    usable.push(await msUntil(apiB, created.secret, 200, createdAt));
    const revokeStarted = performance.now();
    const revokeWall = Date.now();
    const answer = (await adminCall(apiA, 'DELETE', `/api/v1/keys/${created.key.id}`)) as { inForceBy: string };
    promised.push(Date.parse(answer.inForceBy) - revokeWall);
    revoked.push(await msUntil(apiB, created.secret, 401, revokeStarted));
  }
  const sum = (runs: HttpRun[]) => runs.reduce((total, run) => total + run.requestsPerSec, 0);
  return {
    load: { connections: 8, batchSize: CONFIG.batchSize, httpSeconds: CONFIG.httpSeconds },
    runtimeKeys: RUNTIME_KEYS,
    createSeconds,
    bootstrap,
    runtime,
    ratio: ratio(sum(runtime), sum(bootstrap)),
    propagation: {
      rounds: PROPAGATION_ROUNDS,
      usable: summary(usable),
      revoked: summary(revoked),
      promised: summary(promised),
    },
  };
}
