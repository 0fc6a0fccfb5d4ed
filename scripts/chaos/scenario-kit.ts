import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { check, deliveryChecks, tally, type Check, type Ledger, type ScenarioResult } from './accounting';
import type { ChaosServices } from './chaos-services';
import { IngestClient } from './ingest-client';
import { fullyReplicated, type KafkaInspector } from './kafka-inspector';
import { LoadDriver } from './load-driver';
import { ServiceProcess } from '../../test/support/service-process';
import { formatOutcomes, summarizeAttempts } from './response-stats';
import { scanStoredEventIds } from './store-audit';

/** Settings shared by every scenario; they are printed in the report's environment section. */
export const CHAOS_SETTINGS = {
  partitions: 6,
  publishTimeoutMs: 2_000,
  retryAfterSeconds: 1,
  /** A 503 must come back within PUBLISH_TIMEOUT_MS plus this. */
  latencyMarginMs: 1_000,
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 1_000,
  storeRetryMaxMs: 2_000,
  requestTimeoutMs: 15_000,
  drainTimeoutMs: 180_000,
} as const;

/** What a worker's /readyz reports about its own process (lost with the process when it is killed). */
export interface WorkerStats {
  inserted: number;
  duplicates: number;
  deadLettered: number;
  retries: number;
}

export interface SuiteEnv {
  services: ChaosServices;
  inspector: KafkaInspector;
  /** Every process any scenario started, so Ctrl-C can kill them all. */
  processes: Set<ServiceProcess>;
}

/**
 * What one scenario owns: its topic, group, dead-letter topic and database (unique names), the API and
 * worker processes it started, and a supervisor that restarts a worker that died on its own, as an
 * orchestrator would, counting every such restart.
 */
export class ScenarioKit {
  readonly topic: string;
  readonly dlqTopic: string;
  readonly group: string;
  readonly db: string;
  readonly notes: string[] = [];
  readonly startedAt = Date.now();
  readonly workers: ServiceProcess[] = [];
  /** Workers that exited without being killed on purpose. */
  unexpectedExits = 0;
  private readonly apiKey = randomBytes(24).toString('base64url');
  private closing = false;
  private readonly own = new Set<ServiceProcess>();

  constructor(
    readonly env: SuiteEnv,
    readonly id: number,
    readonly name: string,
    slug: string,
  ) {
    const suffix = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
    this.topic = `chaos-${slug}-${suffix}`;
    this.dlqTopic = `${this.topic}.dlq`;
    this.group = `chaos-${slug}-${suffix}`;
    this.db = `chaos_${slug}_${suffix}`;
  }

  private logFile(name: string): string {
    return join(this.env.services.logDir, `${this.id}-${name}.log`);
  }

  private track(service: ServiceProcess): ServiceProcess {
    this.own.add(service);
    this.env.processes.add(service);
    void service.exited.then(() => this.env.processes.delete(service));
    return service;
  }

  /**
   * `env` adds to (or overrides) the suite's settings; `scopes` are the client key's (`ingest` by default,
   * e.g. `ingest+read+admin` for a scenario that also reads freshness or requests erasures).
   */
  async startApi(options: { env?: Record<string, string>; scopes?: string } = {}): Promise<ServiceProcess> {
    const { services } = this.env;
    const api = this.track(
      await ServiceProcess.start(
        'api',
        'api',
        {
          KAFKA_BROKERS: services.kafkaBrokers,
          KAFKA_CLIENT_ID: 'chaos-api',
          ACTIVITIES_TOPIC: this.topic,
          ACTIVITIES_TOPIC_PARTITIONS: String(CHAOS_SETTINGS.partitions),
          MONGO_URL: services.mongoUrl,
          MONGO_DB: this.db,
          PUBLISH_TIMEOUT_MS: String(CHAOS_SETTINGS.publishTimeoutMs),
          RETRY_AFTER_SECONDS: String(CHAOS_SETTINGS.retryAfterSeconds),
          API_KEYS: `${createHash('sha256').update(this.apiKey).digest('hex')}:${options.scopes ?? 'ingest'}`,
          // The suite is one client sending on purpose as fast as it can; rate limits are not under test here.
          RATE_LIMIT_MAX: '1000000000',
          LOG_LEVEL: 'warn',
          NODE_ENV: 'production',
          ...options.env,
        },
        { logFile: this.logFile('api') },
      ),
    );
    await api.waitUntilReady(60_000);
    return api;
  }

  /** The client key as a header, for requests the SDK does not make (freshness, erasures). */
  authorization(): Record<string, string> {
    return { authorization: `Bearer ${this.apiKey}` };
  }

  client(api: ServiceProcess): IngestClient {
    return new IngestClient({
      baseUrl: api.url,
      apiKey: this.apiKey,
      requestTimeoutMs: CHAOS_SETTINGS.requestTimeoutMs,
      giveUpAfterMs: 90_000,
      maxRetryDelayMs: 5_000,
    });
  }

  /** `env` adds to (or overrides) the suite's settings, and a supervised restart keeps it. */
  async startWorker(
    name: string,
    options: { waitReady?: boolean; env?: Record<string, string> } = {},
  ): Promise<ServiceProcess> {
    const { services } = this.env;
    const worker = this.track(
      await ServiceProcess.start(
        'worker',
        name,
        {
          KAFKA_BROKERS: services.kafkaBrokers,
          KAFKA_CLIENT_ID: `chaos-${name}`,
          CONSUMER_GROUP: this.group,
          ACTIVITIES_TOPIC: this.topic,
          ACTIVITIES_TOPIC_PARTITIONS: String(CHAOS_SETTINGS.partitions),
          DLQ_TOPIC: this.dlqTopic,
          MONGO_URL: services.mongoUrl,
          MONGO_DB: this.db,
          // Short, so a SIGKILLed member leaves the group in seconds and the suite stays within its time budget.
          CONSUMER_SESSION_TIMEOUT_MS: String(CHAOS_SETTINGS.sessionTimeoutMs),
          CONSUMER_HEARTBEAT_INTERVAL_MS: String(CHAOS_SETTINGS.heartbeatIntervalMs),
          STORE_RETRY_MAX_MS: String(CHAOS_SETTINGS.storeRetryMaxMs),
          LOG_LEVEL: 'info',
          NODE_ENV: 'production',
          ...options.env,
        },
        { logFile: this.logFile(name) },
      ),
    );
    this.workers.push(worker);
    void worker.exited.then((exit) => {
      if (this.closing || worker.killedOnPurpose) return;
      this.unexpectedExits++;
      this.notes.push(
        `${name} exited on its own (code ${exit.code}, signal ${exit.signal}); restarted as a supervisor would (log: ${worker.logFile})`,
      );
      void this.startWorker(`${name}r`, options.env ? { env: options.env } : {}).catch((err: unknown) =>
        this.notes.push(`restart failed: ${String(err)}`),
      );
    });
    if (options.waitReady !== false) await worker.waitUntilReady(60_000);
    return worker;
  }

  async workerStats(worker: ServiceProcess): Promise<WorkerStats | undefined> {
    try {
      const { body } = await (worker as ServiceProcess<{ stats: WorkerStats }>).readiness();
      return body.stats;
    } catch {
      return undefined;
    }
  }

  /** Both the broker and the store up, whatever an earlier scenario left behind. */
  async ensureServicesUp(): Promise<void> {
    await this.env.services.startKafka();
    await this.env.services.startStore();
  }

  /**
   * The start every cluster scenario shares: an api and a worker on the cluster, the replication their
   * topics got (checked), and 1,000 events/s in batches of 100 running for `warmupMs` before the fault.
   */
  async clusterUnderLoad(warmupMs: number) {
    const api = await this.startApi();
    await this.startWorker('worker-1');
    const replication = await this.replicationChecks();
    const client = this.client(api);
    const load = new LoadDriver(client, { eventsPerSecond: 1_000, batchSize: 100, concurrency: 4 });
    load.start();
    await sleep(warmupMs);
    return { api, client, load, replication };
  }

  /** Cluster scenarios: the topics the api and worker created carry the replication they should (RF 3, min ISR 2). */
  async replicationChecks(): Promise<Check[]> {
    const checks: Check[] = [];
    for (const [label, topic] of [
      ['activities topic', this.topic],
      ['dead-letter topic', this.dlqTopic],
    ] as const) {
      const r = await this.env.inspector.replication(topic);
      checks.push(
        check(
          `${label} RF 3, min ISR 2`,
          r.replicationFactor === 3 && r.minInsyncReplicas === 2,
          `replication factor ${r.replicationFactor}, min.insync.replicas ${r.minInsyncReplicas ?? 'broker default'}`,
        ),
      );
    }
    return checks;
  }

  /** Waits until every partition of the scenario's topic has a leader and all replicas in sync; ms taken, or undefined. */
  async waitFullyReplicated(timeoutMs = 90_000): Promise<number | undefined> {
    const began = Date.now();
    while (Date.now() - began < timeoutMs) {
      const partitions = await this.env.inspector.partitions(this.topic).catch(() => []);
      if (fullyReplicated(partitions)) return Date.now() - began;
      await sleep(500);
    }
    return undefined;
  }

  /** Waits until the group has committed everything on the topic: every message written or dead-lettered. */
  async drain(): Promise<Check> {
    const began = Date.now();
    let lag = NaN;
    while (Date.now() - began < CHAOS_SETTINGS.drainTimeoutMs) {
      try {
        lag = await this.env.inspector.consumerLag(this.group, this.topic);
        if (lag === 0) {
          return check('drained', true, `consumer lag 0 after ${((Date.now() - began) / 1000).toFixed(1)} s`);
        }
      } catch {
        // The broker may still be coming back; keep polling within the bound.
      }
      await sleep(500);
    }
    return check('drained', false, `consumer lag still ${lag} after ${CHAOS_SETTINGS.drainTimeoutMs / 1000} s`);
  }

  /**
   * Counts the store and the DLQ against the ledger, and adds the checks every scenario must pass. By default
   * every stored eventId is listed; `storedEventIds` replaces that scan (e.g. only the ids a scenario sent, in a
   * store seeded with a million others), and is called once the topic is drained.
   */
  async audit(
    ledger: Ledger,
    sent: number,
    expectedDeadLetters: number,
    extraChecks: Check[],
    options: { storedEventIds?: () => Promise<Iterable<string>> } = {},
  ): Promise<ScenarioResult> {
    const drained = await this.drain();
    const stored = await (options.storedEventIds ?? (() => scanStoredEventIds(this.env.services.mongoUrl, this.db)))();
    const t = tally(ledger, stored);
    const deadLetters = await this.env.inspector.messageCount(this.dlqTopic);
    this.notes.push(
      `stored although never acknowledged: ${t.landedUnaccepted} (fine: a request can reach the broker and still time out or get 503)`,
    );
    if (t.sent > t.accepted) this.notes.push(`${t.sent - t.accepted} events sent but never acknowledged`);
    return {
      id: this.id,
      name: this.name,
      sent,
      tally: t,
      deadLetters,
      checks: [drained, ...deliveryChecks(t, { actual: deadLetters, expected: expectedDeadLetters }), ...extraChecks],
      notes: this.notes,
      durationMs: Date.now() - this.startedAt,
    };
  }

  /** Stops every process this scenario started; the next scenario starts from a clean slate. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.own].map((p) => p.stop(10_000)));
  }
}

/** What every HTTP scenario expects of the API, whatever the fault: no 4xx, no 5xx but 503, no hang, ids echoed. */
export function clientChecks(client: IngestClient): Check[] {
  const all = summarizeAttempts(client.attempts);
  return [
    check(
      'no rejected batches',
      client.rejectedBatches === 0 && all.clientErrors === 0,
      `${all.clientErrors} 4xx answers; requests: ${formatOutcomes(all)}`,
    ),
    check('no 5xx but 503', all.otherServerErrors === 0, `${all.otherServerErrors} other 5xx answers`),
    check(
      'no hang, no dropped connection',
      all.noAnswer === 0,
      `${all.noAnswer} requests without an answer within ${CHAOS_SETTINGS.requestTimeoutMs / 1000} s`,
    ),
    check(
      'API acknowledges exactly the client ids',
      client.unexpectedIds.size === 0,
      `${client.unexpectedIds.size} ids in 202 bodies that were not sent`,
    ),
  ];
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
