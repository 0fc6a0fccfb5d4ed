/**
 * `npm run chaos`: the reliability claims as figures. It runs its own Kafka + FerretDB instance (never
 * the shared services, whose broker and store it would otherwise stop), the real api and worker
 * processes, and a client that keeps its own ledger of what it sent and what was acknowledged.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { check, EMPTY_TALLY, passed, type ScenarioResult } from './accounting';
import { CHAOS_SERVICES, ChaosServices } from './chaos-services';
import { KafkaInspector } from './kafka-inspector';
import type { ServiceProcess } from '../../test/support/service-process';
import { renderReport, renderTable } from './report-table';
import { CHAOS_SETTINGS, ScenarioKit, type SuiteEnv } from './scenario-kit';
import { brokerOutage } from './scenarios/broker-outage.scenario';
import { poison } from './scenarios/poison.scenario';
import { rebalance } from './scenarios/rebalance.scenario';
import { storeOutage } from './scenarios/store-outage.scenario';
import { storeRejects } from './scenarios/store-rejects.scenario';
import { resendAtScale } from './scenarios/resend-at-scale.scenario';
import { workerSigkill } from './scenarios/worker-sigkill.scenario';
import { belowMinIsr } from './scenarios/below-min-isr.scenario';
import { leaderKill } from './scenarios/leader-kill.scenario';
import { rollingRestart } from './scenarios/rolling-restart.scenario';
import { buildServices } from '../../test/support/local-services';
import { usageExitCode } from '../cli/strict-args';
import { parseChaosArgs } from './chaos-options';

const ROOT = join(__dirname, '..', '..');
const CLUSTER_BROKER_PORTS = [0, 2, 4].map((d) => CHAOS_SERVICES.kafkaPort + d).join(', ');
const SCENARIO_TIMEOUT_MS = 5 * 60_000;

type Scenario = {
  id: number;
  name: string;
  slug: string;
  run: (kit: ScenarioKit) => Promise<ScenarioResult>;
  /** SCENARIO_TIMEOUT_MS unless the scenario needs longer (seeding a million events does). */
  timeoutMs?: number;
};

const SCENARIOS: Scenario[] = [
  { id: 1, name: 'worker SIGKILL ×5', slug: 'sigkill', run: workerSigkill },
  { id: 2, name: 'broker outage', slug: 'broker', run: brokerOutage },
  { id: 3, name: 'store outage', slug: 'store', run: storeOutage },
  { id: 4, name: 'poison messages', slug: 'poison', run: poison },
  { id: 5, name: 'rebalance (3 workers, 1 killed)', slug: 'rebalance', run: rebalance },
  { id: 6, name: 'store-rejected documents under load', slug: 'rejects', run: storeRejects },
  // Numbered after the cluster scenarios, which came first; it runs on one broker like 1-6.
  {
    id: 10,
    name: 'resends, an erasure and a retention sweep under load over 1M stored events',
    slug: 'resend',
    run: resendAtScale,
    timeoutMs: 20 * 60_000,
  },
];

/** `--cluster`: a 3-broker KRaft cluster; the numbering continues after the single-broker scenarios. */
const CLUSTER_NODES = 3;
const CLUSTER_SCENARIOS: Scenario[] = [
  { id: 7, name: 'leader SIGKILL under load (3 brokers)', slug: 'leaderkill', run: leaderKill },
  { id: 8, name: 'two of three brokers down (below min ISR)', slug: 'minisr', run: belowMinIsr },
  { id: 9, name: 'rolling restart of all three brokers', slug: 'rolling', run: rollingRestart },
];

const HELP = `Usage: npm run chaos [-- --cluster] [-- --only 1,3] [-- --no-build]

Starts a private Kafka + FerretDB (ports ${CHAOS_SERVICES.kafkaPort} / ${CHAOS_SERVICES.ferretdbPort}, state in .local/chaos),
runs the chaos scenarios against the real api and worker processes, prints a table of
sent / accepted / persisted / duplicates / lost / DLQ per scenario, writes it to bench/results/chaos-<time>.md,
and tears the instance down. Exit 0 only if every scenario holds.

  ${SCENARIOS.map((s) => `${s.id}. ${s.name}`).join('\n  ')}

With --cluster, a ${CLUSTER_NODES}-node KRaft cluster instead (brokers on ${CLUSTER_BROKER_PORTS}), topics with
replication factor 3 and min.insync.replicas 2, and these scenarios:

  ${CLUSTER_SCENARIOS.map((s) => `${s.id}. ${s.name}`).join('\n  ')}

Options:
  --cluster      the cluster scenarios (7-9) on ${CLUSTER_NODES} brokers instead of 1-6 and 10 on one
  --only <ids>   run only these scenarios (comma-separated)
  --no-build     skip \`tsc -b\` (dist/ must be current)
  -h, --help     this help

Scenario 10 first seeds CHAOS_SEED_EVENTS (1000000) events into its database (minutes); a smoke run:
  CHAOS_SEED_EVENTS=20000 npm run chaos -- --only 10
(also CHAOS_EXPIRED_EVENTS, default 5000, and CHAOS_LOAD_SECONDS, default 60)`;

function log(message: string): void {
  process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function runScenario(env: SuiteEnv, scenario: (typeof SCENARIOS)[number]): Promise<ScenarioResult> {
  const kit = new ScenarioKit(env, scenario.id, scenario.name, scenario.slug);
  log(`scenario ${scenario.id}: ${scenario.name} (topic ${kit.topic}, db ${kit.db})`);
  try {
    await kit.ensureServicesUp();
    return await withTimeout(scenario.run(kit), scenario.timeoutMs ?? SCENARIO_TIMEOUT_MS, `scenario ${scenario.id}`);
  } catch (err) {
    return {
      id: scenario.id,
      name: scenario.name,
      sent: 0,
      tally: EMPTY_TALLY,
      deadLetters: 0,
      checks: [check('ran to completion', false, (err as Error).message.split('\n')[0] ?? String(err))],
      notes: [...kit.notes, `logs: ${env.services.logDir}/${scenario.id}-*.log`],
      durationMs: Date.now() - kit.startedAt,
    };
  } finally {
    await kit.close();
  }
}

async function main(): Promise<number> {
  const parsed = parseChaosArgs(process.argv.slice(2), {
    single: SCENARIOS.map((s) => s.id),
    cluster: CLUSTER_SCENARIOS.map((s) => s.id),
  });
  if (!('options' in parsed)) return usageExitCode('chaos', parsed, HELP);
  const args = parsed.options;

  const services = new ChaosServices(args.cluster ? CLUSTER_NODES : 1);
  const scenarios = args.cluster ? CLUSTER_SCENARIOS : SCENARIOS;
  const processes = new Set<ServiceProcess>();
  services.lock();
  let tornDown = false;
  const tearDown = async () => {
    if (tornDown) return;
    tornDown = true;
    for (const p of processes) p.kill('SIGKILL');
    log('tearing down the chaos services');
    await services.down().catch((err: unknown) => log(`teardown failed: ${(err as Error).message}`));
    services.unlock();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping`);
      process.once(signal, () => process.exit(130));
      void tearDown().finally(() => process.exit(130));
    });
  }

  const startedAt = new Date();
  const results: ScenarioResult[] = [];
  try {
    if (args.build) {
      log('building (tsc -b)');
      await buildServices();
    }
    log(`starting the chaos services (Kafka ${services.kafkaBrokers}, FerretDB :${CHAOS_SERVICES.ferretdbPort})`);
    await services.up();
    const env: SuiteEnv = { services, inspector: new KafkaInspector(services.kafkaBrokers), processes };
    for (const scenario of scenarios.filter((s) => args.only.has(s.id))) {
      const result = await runScenario(env, scenario);
      log(`scenario ${result.id}: ${passed(result) ? 'PASS' : 'FAIL'} in ${(result.durationMs / 1000).toFixed(0)} s`);
      results.push(result);
    }
  } finally {
    await tearDown();
  }

  const report = renderReport(results, {
    startedAt,
    durationMs: Date.now() - startedAt.getTime(),
    environment: [
      `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average at start ${loadavg()[0]?.toFixed(2)}; Node ${process.version}`,
      args.cluster
        ? `own Kafka cluster (KRaft, ${CLUSTER_NODES} combined broker+controller nodes, -Xmx384m each) on ${services.kafkaBrokers}, topics created by the services with replication factor 3 and min.insync.replicas 2 (auto); FerretDB v1 (PostgreSQL) on :${CHAOS_SERVICES.ferretdbPort}, via scripts/services/services.sh --kafka-nodes ${CLUSTER_NODES}`
        : `own Kafka (KRaft, 1 broker) on :${CHAOS_SERVICES.kafkaPort} and FerretDB v1 (PostgreSQL) on :${CHAOS_SERVICES.ferretdbPort}, via scripts/services/services.sh`,
      `topics with ${CHAOS_SETTINGS.partitions} partitions; api PUBLISH_TIMEOUT_MS=${CHAOS_SETTINGS.publishTimeoutMs}, RETRY_AFTER_SECONDS=${CHAOS_SETTINGS.retryAfterSeconds}; worker CONSUMER_SESSION_TIMEOUT_MS=${CHAOS_SETTINGS.sessionTimeoutMs}, STORE_RETRY_MAX_MS=${CHAOS_SETTINGS.storeRetryMaxMs}`,
      'client: @uap/client sendBatch, batches of 100 with client-set eventIds, 4 concurrent senders, the same batch resent after Retry-After (or jittered backoff) on 503/5xx/no answer',
    ],
  });
  const file = join(ROOT, 'bench', 'results', `chaos-${startedAt.toISOString().slice(0, 19).replace(/:/g, '')}Z.md`);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(file, report);
  console.log(renderTable(results));
  log(`report: ${file}`);
  const ok = results.length === args.only.size && results.every(passed);
  if (!ok) {
    for (const r of results.filter((x) => !passed(x))) {
      for (const c of r.checks.filter((x) => !x.ok)) log(`scenario ${r.id} failed "${c.name}": ${c.detail}`);
    }
  }
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
