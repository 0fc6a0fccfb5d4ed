import { randomUUID } from 'node:crypto';
import type { ServiceProcess } from '../../test/support/service-process';
import { CONFIG } from '../support/bench-config';
import { benchInputs } from '../support/bench-events';
import { ratio } from '../support/bench-report';
import {
  AUTH_HEADERS,
  startApiProcess,
  startWorkerProcess,
  stopProcesses,
  type BenchStack,
} from '../support/bench-stack';
import type { ActivityTypesReport, HttpRun } from '../support/measure-results';
import { runAutocannon } from './ingest.measure';

/** The registry the comparison grows to: 200 types beside the built-ins, as a team with several apps has. */
const REGISTERED_TYPES = 200;
const PROPAGATION_CHANGES = 30;
const REGISTER_IN_FLIGHT = 20;
/** Turns each api takes at single-event ingest. */
const ROUNDS = 2;
/**
 * Hostile PUTs a second during the attack run: an admin trying schemas, not a flood (the bench runs without the
 * per-key rate limit, which in production bounds any key's requests, these included).
 */
const ATTACK_PER_SECOND = 20;
const POLL_MS = 5;

/** A plausible tracking-plan entry: a few typed, bounded properties, one required, one enum, one pattern. */
function typeSchema(i: number): Record<string, unknown> {
  return {
    type: 'object',
    required: ['itemId'],
    properties: {
      itemId: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-z0-9-]+$' },
      quantity: { type: 'integer', minimum: 0, maximum: 10_000 },
      channel: { type: 'string', enum: ['web', 'ios', 'android', `partner-${i}`] },
      price: { type: 'number', minimum: 0 },
      tags: { type: 'array', items: { type: 'string', maxLength: 32 }, maxItems: 10 },
    },
  };
}
const customName = (i: number) => `BENCH_TYPE_${String(i).padStart(3, '0')}`;

/** Schemas the guard must refuse with 400, as the issue lists them: tried in a loop during ingest. */
function hostileBodies(): string[] {
  const levels = 5_000;
  return [
    JSON.stringify({ metadataSchema: { $ref: 'https://schemas.example.com/evil.json' } }),
    JSON.stringify({ metadataSchema: { type: 'object', properties: { q: { type: 'string', pattern: '([a-z' } } } }),
    JSON.stringify({ metadataSchema: { type: 'object', properties: { q: { type: 'string', pattern: '^(a+)+$' } } } }),
    JSON.stringify({ metadataSchema: { type: 'object', description: 'x'.repeat(900_000) } }),
    `{"metadataSchema":${'{"type":"object","properties":{"a":'.repeat(levels)}{}${'}}'.repeat(levels)}}`,
  ];
}

async function put(api: ServiceProcess, name: string, body: string, ifMatch?: string): Promise<Response> {
  return fetch(`${api.url}/api/v1/activity-types/${name}`, {
    method: 'PUT',
    headers: { ...AUTH_HEADERS, 'content-type': 'application/json', ...(ifMatch ? { 'if-match': ifMatch } : {}) },
    body,
    signal: AbortSignal.timeout(30_000),
  });
}

const sumOf = (runs: HttpRun[]) => runs.reduce((sum, run) => sum + run.requestsPerSec, 0);
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;

/**
 * `--only activity-types`: what the registry costs on the hot path, how fast a change reaches every replica, and
 * whether hostile schemas move ingest. Single-event ingest runs against an api whose registry holds the built-ins
 * and one holding 200 more types, the same event, in turns.
 */
export async function activityTypesAtScale(stack: BenchStack): Promise<ActivityTypesReport> {
  const topic = `bench-${stack.id}-types`;
  const db = `bench_${stack.id}_types`;
  const builtInRegistry = `${topic}.registry-builtin`;
  const grownRegistry = `${topic}.registry-grown`;
  stack.topics.push(builtInRegistry, grownRegistry);
  const [single] = benchInputs(1, { users: 1, startMs: Date.now() - 60_000, spreadMs: 1_000 });
  const { eventId: _id, ...login } = single!;
  const custom = {
    userId: 'bench-user',
    type: customName(7),
    metadata: { itemId: 'sku-123', quantity: 2, channel: 'web', price: 9.5, tags: ['a', 'b'] },
  };
  const ingest = (api: ServiceProcess, body: unknown): Promise<HttpRun> =>
    runAutocannon({
      url: `${api.url}/api/v1/activities`,
      body: JSON.stringify(body),
      connections: CONFIG.connections,
      durationS: CONFIG.httpSeconds,
      warmupS: CONFIG.warmupSeconds,
      headers: AUTH_HEADERS,
    });
  const startApi = (name: string, registry: string) =>
    startApiProcess(stack, name, topic, db, { ACTIVITY_TYPES_TOPIC: registry });

  console.error(
    `[bench] activity types 1/4: registering ${REGISTERED_TYPES} types, ${REGISTER_IN_FLIGHT} PUTs in flight`,
  );
  const registrar = await startApi('api-types-registrar', grownRegistry);
  const registerStarted = performance.now();
  for (let first = 0; first < REGISTERED_TYPES; first += REGISTER_IN_FLIGHT) {
    const names = Array.from({ length: Math.min(REGISTER_IN_FLIGHT, REGISTERED_TYPES - first) }, (_, i) => first + i);
    await Promise.all(
      names.map(async (i) => {
        const body = JSON.stringify({ description: `bench type ${i}`, metadataSchema: typeSchema(i) });
        const res = await put(registrar, customName(i), body);
        if (res.status !== 201)
          throw new Error(`registering ${customName(i)} answered ${res.status}: ${await res.text()}`);
      }),
    );
  }
  const registerSeconds = (performance.now() - registerStarted) / 1000;
  await stopProcesses(stack);

  // Fresh processes side by side, one per registry: B loads the 200 types from the log as a replica starting in
  // production does. They take turns (A B A B), so drift over the run falls on both alike.
  console.error('[bench] activity types 2/4: single-event ingest, the built-ins (A) and 200 more types (B), A B A B');
  const builtInApi = await startApi('api-types-builtin', builtInRegistry);
  const loadStarted = performance.now();
  const api = await startApi('api-types-grown', grownRegistry);
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  const builtIn: HttpRun[] = [];
  const grown: HttpRun[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    builtIn.push(await ingest(builtInApi, login));
    grown.push(await ingest(api, login));
  }
  const grownCustom = await ingest(api, custom);

  // The same rate of admin PUTs, first valid ones (an unchanged version: checked, compiled, not written), then the
  // hostile schemas: what hostility costs ingest beyond any admin traffic, on a machine where both share 2 cores.
  console.error(
    `[bench] activity types 3/4: admin PUTs ${ATTACK_PER_SECOND} times a second during ingest: valid, then hostile`,
  );
  const duringPuts = async (bodies: string[], ifMatch?: string) => {
    const statuses = new Map<number, number>();
    let putting = true;
    const putter = (async () => {
      for (let i = 0; putting; i++) {
        const res = await put(api, ifMatch ? customName(0) : 'HOSTILE', bodies[i % bodies.length]!, ifMatch);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        await res.arrayBuffer();
        await new Promise((resolve) => setTimeout(resolve, 1000 / ATTACK_PER_SECOND));
      }
    })();
    const ingestRun = await ingest(api, login);
    putting = false;
    await putter;
    return { ingest: ingestRun, statuses: Object.fromEntries(statuses) };
  };
  const unchanged = JSON.stringify({ description: 'bench type 0', metadataSchema: typeSchema(0) });
  const benignPuts = await duringPuts([unchanged], '"1"');
  const underAttack = await duringPuts(hostileBodies());

  console.error(`[bench] activity types 4/4: ${PROPAGATION_CHANGES} changes, seen by a second api and a worker`);
  const peer = await startApi('api-types-peer', grownRegistry);
  const worker = await startWorkerProcess(stack, 'worker-types', topic, db, { ACTIVITY_TYPES_TOPIC: grownRegistry });
  const putMs: number[] = [];
  const peerMs: number[] = [];
  const workerMs: number[] = [];
  for (let change = 0; change < PROPAGATION_CHANGES; change++) {
    const name = customName(change % 10);
    const version = 2 + Math.floor(change / 10);
    const body = JSON.stringify({
      description: `change ${change} ${randomUUID()}`,
      metadataSchema: typeSchema(change % 10),
    });
    const workerBefore = (await worker.readiness()).body.activityTypes?.position ?? 0;
    const started = performance.now();
    const answer = put(api, name, body, `"${version - 1}"`).then(async (res) => {
      if (res.status !== 200) throw new Error(`change ${change} answered ${res.status}: ${await res.text()}`);
      putMs.push(performance.now() - started);
    });
    const seenByPeer = (async () => {
      for (;;) {
        const res = await fetch(`${peer.url}/api/v1/activity-types/${name}`, { headers: AUTH_HEADERS });
        if (res.headers.get('etag') === `"${version}"`) return peerMs.push(performance.now() - started);
        await res.arrayBuffer();
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    })();
    // Nothing else writes to this registry, so the worker's next position is this change.
    const seenByWorker = (async () => {
      for (;;) {
        const { body: ready } = await worker.readiness();
        if ((ready.activityTypes?.position ?? 0) > workerBefore) return workerMs.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    })();
    await Promise.all([answer, seenByPeer, seenByWorker]);
  }
  await stopProcesses(stack);
  const summary = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), maxMs: sorted.at(-1)! };
  };

  return {
    load: { connections: CONFIG.connections, httpSeconds: CONFIG.httpSeconds, warmupSeconds: CONFIG.warmupSeconds },
    registeredTypes: REGISTERED_TYPES,
    registerSeconds,
    loadSeconds,
    builtIn,
    grown,
    grownCustom,
    ratio: ratio(sumOf(grown), sumOf(builtIn)),
    attackPerSecond: ATTACK_PER_SECOND,
    benignPuts,
    underAttack,
    propagation: {
      changes: PROPAGATION_CHANGES,
      put: summary(putMs),
      peer: summary(peerMs),
      worker: summary(workerMs),
    },
  };
}
