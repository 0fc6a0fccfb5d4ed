import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ACTIVITIES_COLLECTION, ACTIVITY_INDEXES, type ActivityInput } from '@uap/shared/contract';
import type { Db } from 'mongodb';
import { benchInputs, toEvents } from '../../../bench/support/bench-events';
import type { ServiceProcess } from '../../../test/support/service-process';
import { waitUntil } from '../../../test/support/wait-until';
import { toActivityDocument } from '../../../worker-service/src/infrastructure/mongo/mongo-activity.repository';
import { check, type Check, type ScenarioResult } from '../accounting';
import { LoadDriver } from '../load-driver';
import { clientChecks, seconds, type ScenarioKit } from '../scenario-kit';
import { FrozenOffsetRecorder, spanMs, stalledPartitionsIn } from '../stall-audit';
import { StoreAudit } from '../store-audit';

const EVENTS_PER_SECOND = 1_000;
const RESEND_SHARE = 0.2;
const ERASED_USER = 'chaos-erased-user';
const ERASED_USER_EVENTS = 100;
const RETENTION_DAYS = 30;
const SWEEP_INTERVAL_MS = 2_000;
const STALL_AFTER_MS = 10_000;
const MAX_STALL_MS = 10_000;
const SAMPLE_MS = 1_000;
/** One of our looks, plus the worker's look at the broker (every STALL_AFTER_MS / 4), plus slack. */
const DETECTOR_TOLERANCE_MS = SAMPLE_MS + STALL_AFTER_MS / 4 + 500;
const SEED_CHUNK = 1_000;
const SEED_WRITERS = 6;
const ERASURE_TIMEOUT_MS = 90_000;
const RETENTION_TIMEOUT_MS = 90_000;
const DAY_MS = 86_400_000;

/** Sizes can be shrunk for a smoke run (CHAOS_SEED_EVENTS=20000); the defaults are issue 24's. */
function settings() {
  return {
    seedEvents: countFromEnv('CHAOS_SEED_EVENTS', 1_000_000, 1_000),
    expiredEvents: countFromEnv('CHAOS_EXPIRED_EVENTS', 5_000, 1),
    loadSeconds: countFromEnv('CHAOS_LOAD_SECONDS', 60, 10),
  };
}

/**
 * 10. Issue 24: with a million events already stored, under load, the client resends a fifth of its batches
 * (same eventIds, after their 202) while an erasure of one stored user and a retention sweep run. Nothing
 * accepted is lost or stored twice, the erasure and the sweep finish, no partition's committed offset stays
 * frozen with lag for more than 10 s, and every stall the detectors report (the worker's /readyz, the api's
 * freshness) is one our own samples of the group's offsets confirm.
 */
export async function resendAtScale(kit: ScenarioKit): Promise<ScenarioResult> {
  const config = settings();
  const postgresUrl = kit.env.services.ferretdbPostgresUrl();
  const store = await StoreAudit.open(kit.env.services.mongoUrl, kit.db, postgresUrl);
  try {
    const erasureKey = randomBytes(24).toString('hex');
    const shared = {
      STALL_AFTER_MS: String(STALL_AFTER_MS),
      RETENTION_DAYS: String(RETENTION_DAYS),
      ERASURE_HASH_KEY: erasureKey,
      // As `npm run stack` runs them: per-chunk lookups, erasure and retention in SQL over FerretDB's indexes.
      ...(postgresUrl ? { FERRETDB_POSTGRES_URL: postgresUrl } : {}),
    };
    kit.notes.push(
      `${config.seedEvents} seeded events, ${config.expiredEvents} expired ones, ${config.loadSeconds} s of load at ` +
        `${EVENTS_PER_SECOND} events/s with ${RESEND_SHARE * 100} % of batches resent; api and worker with ` +
        `STALL_AFTER_MS=${STALL_AFTER_MS}, RETENTION_DAYS=${RETENTION_DAYS}, worker RETENTION_SWEEP_INTERVAL_MS=${SWEEP_INTERVAL_MS}`,
      postgresUrl
        ? `api and worker with FERRETDB_POSTGRES_URL (FerretDB on PostgreSQL); audit by ${store.method}`
        : `FerretDB without PostgreSQL: api and worker go through the Mongo wire; audit by ${store.method}`,
    );

    // The table exists before the api starts, so the api adds its read columns to an empty table, as on a fresh install.
    await createIndexes(store.db);
    const api = await kit.startApi({
      env: { ...shared, WORKER_CONSUMER_GROUP: kit.group },
      scopes: 'ingest+read+admin',
    });
    const seeded = await seed(kit, store, config.seedEvents);

    const worker = await kit.startWorker('worker-1', {
      env: { ...shared, RETENTION_SWEEP_INTERVAL_MS: String(SWEEP_INTERVAL_MS) },
    });
    const client = kit.client(api);
    const load = new LoadDriver(client, {
      eventsPerSecond: EVENTS_PER_SECOND,
      batchSize: 100,
      concurrency: 4,
      maxEvents: EVENTS_PER_SECOND * config.loadSeconds,
      resendShare: RESEND_SHARE,
    });
    const watch = new StallWatch(kit, api);
    watch.start();
    const loadStarted = Date.now();
    let erasure: Check;
    let retention: Check;
    try {
      load.start();
      // A third into the load: the erasure and the expired events, so both the erasure and the sweep run under it.
      await Promise.race([sleep((config.loadSeconds * 1000) / 3), load.finished()]);
      const faults = Promise.all([
        erase(kit, api, store, seeded.erasedUserIds),
        expireAndSweep(kit, store, config.expiredEvents),
      ]);
      await load.finished();
      kit.notes.push(`load: ${client.sent.size} events in ${seconds(Date.now() - loadStarted)}`);
      [erasure, retention] = await faults;
      // Watched until drained: a partition stuck on the last chunks counts too.
      await kit.drain();
    } finally {
      await watch.stop();
    }

    const stats = await kit.workerStats(worker);
    const result = await kit.audit(
      client,
      client.sent.size,
      0,
      [
        ...clientChecks(client),
        check(
          'a fifth of the batches resent after their 202',
          load.batchesResent > 0 &&
            load.batchesResent >=
              Math.floor(load.batchesStarted * RESEND_SHARE) - client.abandonedBatches - client.rejectedBatches,
          `${load.batchesResent} of ${load.batchesStarted} batches (${percent(load.batchesResent, load.batchesStarted)}) ` +
            `sent again unchanged, ${load.eventsResent} events`,
        ),
        check(
          'every resend absorbed as a duplicate',
          (stats?.duplicates ?? 0) >= load.eventsResent,
          `the worker absorbed ${stats?.duplicates ?? '?'} duplicates for ${load.eventsResent} resent events`,
        ),
        erasure,
        retention,
        ...watch.checks(loadStarted),
        check('no unplanned worker exits', kit.unexpectedExits === 0, `${kit.unexpectedExits} unplanned exits`),
      ],
      { storedEventIds: () => store.storedEventIds(client.sent) },
    );
    // Seeded events are counted, not listed: what remains of them plus the scenario's own must be the whole store.
    const total = await store.total();
    const expected = seeded.count - ERASED_USER_EVENTS + result.tally.persisted;
    result.checks.push(
      check(
        'store holds the seeded and the sent events, nothing else',
        total === expected,
        `${total} documents; expected ${seeded.count} seeded − ${ERASED_USER_EVENTS} erased + ${result.tally.persisted} ` +
          `of this run = ${expected} (expired ones swept)`,
      ),
    );
    kit.notes.push(
      ...watch.notes(loadStarted),
      `worker lost its group membership ${rejoins(kit)} times (log lines)`,
      "'nothing foreign stored' looks only at the ids this run sent; the store total accounts for everything else",
    );
    return result;
  } finally {
    await store.close();
  }
}

async function createIndexes(db: Db): Promise<void> {
  for (const index of ACTIVITY_INDEXES) {
    await db
      .collection(ACTIVITIES_COLLECTION)
      .createIndex(index.key, { name: index.name, ...(index.unique ? { unique: true } : {}) });
  }
}

/**
 * Stores events straight into the store as bench `--only reads` does: the worker's document shape, unordered
 * insertMany, 6 writers, chunks of 1,000, spread over the last day. One chunk holds the user to be erased.
 */
async function seed(kit: ScenarioKit, store: StoreAudit, count: number) {
  const began = Date.now();
  const receivedAt = new Date();
  const dayAgo = receivedAt.getTime() - DAY_MS;
  const erased = benchInputs(ERASED_USER_EVENTS, { users: 1, startMs: dayAgo, spreadMs: DAY_MS }).map((input) => ({
    ...input,
    userId: ERASED_USER,
  }));
  const chunks = Math.ceil(count / SEED_CHUNK);
  const chunkAt = (i: number): ActivityInput[] => {
    const size = Math.min(SEED_CHUNK, count - i * SEED_CHUNK);
    if (i === 0) {
      const others = benchInputs(size - erased.length, { users: 1_000, startMs: dayAgo, spreadMs: DAY_MS });
      return [...erased, ...others];
    }
    return benchInputs(size, { users: 1_000, startMs: dayAgo + Math.floor((i * DAY_MS) / chunks), spreadMs: DAY_MS });
  };
  let next = 0;
  let done = 0;
  const writer = async () => {
    for (let i = next++; i < chunks; i = next++) {
      await insertAsStored(store.db, chunkAt(i), receivedAt);
      done += SEED_CHUNK;
      if (done % 100_000 === 0) progress(kit, `seeded ${done} of ${count} events`);
    }
  };
  progress(kit, `seeding ${count} events by insertMany`);
  await Promise.all(Array.from({ length: SEED_WRITERS }, writer));
  const seedMs = Date.now() - began;
  const vacuumMs = await store.vacuum();
  kit.notes.push(
    `seeded ${count} events (${ERASED_USER_EVENTS} of them ${ERASED_USER}'s) in ${seconds(seedMs)}` +
      (vacuumMs === undefined ? '' : `, then VACUUM (ANALYZE) in ${seconds(vacuumMs)}`),
  );
  return { count, erasedUserIds: erased.map((e) => e.eventId!) };
}

async function insertAsStored(db: Db, inputs: ActivityInput[], receivedAt: Date): Promise<void> {
  const docs = toEvents(inputs, receivedAt).map((event) => {
    // Stored before the worker recorded source positions, so the erasure leaves this topic's stats rollups alone.
    const {
      sourcePartition: _p,
      sourceOffset: _o,
      ...doc
    } = toActivityDocument({ event, partition: 0, offset: '0' }, receivedAt);
    return doc;
  });
  await db.collection(ACTIVITIES_COLLECTION).insertMany(docs, { ordered: false });
}

interface ErasureDto {
  erasureId: string;
  state: string;
  deleted: { activities: number; deadLetters: number };
}

/** DELETE /api/v1/users/{userId}/activities, then its record polled until `done`; the user's events must be gone. */
async function erase(kit: ScenarioKit, api: ServiceProcess, store: StoreAudit, userIds: string[]): Promise<Check> {
  const began = Date.now();
  try {
    const res = await fetch(`${api.url}/api/v1/users/${ERASED_USER}/activities`, {
      method: 'DELETE',
      headers: kit.authorization(),
      signal: AbortSignal.timeout(10_000),
    });
    if (res.status !== 202) throw new Error(`the erasure request got ${res.status}: ${await res.text()}`);
    const { erasureId } = (await res.json()) as ErasureDto;
    const record = await waitUntil(
      `erasure ${erasureId} to be done`,
      async () => {
        const r = await fetch(`${api.url}/api/v1/erasures/${erasureId}`, {
          headers: kit.authorization(),
          signal: AbortSignal.timeout(5_000),
        });
        const body = (await r.json()) as ErasureDto;
        return body.state === 'done' ? body : undefined;
      },
      { timeoutMs: ERASURE_TIMEOUT_MS, intervalMs: 250 },
    );
    const tookMs = Date.now() - began;
    const left = (await store.storedEventIds(userIds)).length;
    return check(
      'erasure of a stored user done',
      record.deleted.activities === ERASED_USER_EVENTS && left === 0,
      `done in ${seconds(tookMs)} under load; deleted ${record.deleted.activities} of ${ERASED_USER_EVENTS} events, ${left} left`,
    );
  } catch (err) {
    return check('erasure of a stored user done', false, (err as Error).message.split('\n')[0]!);
  }
}

/** Stores events older than the retention period, and waits for the worker's sweeper to delete every one. */
async function expireAndSweep(kit: ScenarioKit, store: StoreAudit, count: number): Promise<Check> {
  const name = 'retention sweep deleted the expired events';
  try {
    const receivedAt = new Date();
    const inputs = benchInputs(count, {
      users: 1_000,
      startMs: receivedAt.getTime() - (RETENTION_DAYS + 10) * DAY_MS,
      spreadMs: DAY_MS,
    });
    for (let i = 0; i < inputs.length; i += SEED_CHUNK) {
      await insertAsStored(store.db, inputs.slice(i, i + SEED_CHUNK), receivedAt);
    }
    const began = Date.now();
    const ids = inputs.map((input) => input.eventId!);
    let left = count;
    await waitUntil(
      `the sweeper to delete ${count} expired events`,
      async () => ((left = (await store.storedEventIds(ids)).length) === 0 ? true : undefined),
      { timeoutMs: RETENTION_TIMEOUT_MS, intervalMs: 1_000 },
    ).catch(() => undefined);
    return check(
      name,
      left === 0,
      left === 0
        ? `${count} events older than ${RETENTION_DAYS} days stored under load, all deleted ${seconds(Date.now() - began)} later`
        : `${left} of ${count} expired events still stored after ${seconds(RETENTION_TIMEOUT_MS)}`,
    );
  } catch (err) {
    return check(name, false, (err as Error).message.split('\n')[0]!);
  }
}

interface DetectorReport {
  source: 'worker /readyz' | 'api freshness';
  at: number;
  partitions: number[];
}

/**
 * Once a second: the group's committed and end offsets from the broker (our own measure), the worker's /readyz
 * and the api's /api/v1/freshness (the detectors under test). Each look is bounded by its client's timeout.
 */
class StallWatch {
  private readonly recorder = new FrozenOffsetRecorder();
  private readonly reports: DetectorReport[] = [];
  private readonly readable = { worker: 0, api: 0 };
  private looks = 0;
  private failedOffsetLooks = 0;
  private workerNotReady = 0;
  private stopping = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly kit: ScenarioKit,
    private readonly api: ServiceProcess,
  ) {}

  start(): void {
    this.loop = (async () => {
      while (!this.stopping) {
        const began = Date.now();
        this.looks++;
        await Promise.all([this.lookAtOffsets(), this.askWorker(), this.askApi()]);
        await sleep(Math.max(0, SAMPLE_MS - (Date.now() - began)));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }

  private async lookAtOffsets(): Promise<void> {
    const at = Date.now();
    try {
      this.recorder.observe(at, await this.kit.env.inspector.groupOffsets(this.kit.group, this.kit.topic));
    } catch {
      this.failedOffsetLooks++;
    }
  }

  private async askWorker(): Promise<void> {
    const at = Date.now();
    // The latest worker: a supervised restart replaces the first.
    const worker = this.kit.workers.at(-1);
    const answer = await worker?.readiness().catch(() => undefined);
    if (!answer) return;
    if (answer.status !== 200) this.workerNotReady++;
    this.record('worker /readyz', at, answer.body);
  }

  private async askApi(): Promise<void> {
    const at = Date.now();
    try {
      const res = await fetch(`${this.api.url}/api/v1/freshness`, {
        headers: this.kit.authorization(),
        signal: AbortSignal.timeout(3_000),
      });
      if (res.ok) this.record('api freshness', at, await res.json());
    } catch {
      // An unanswered look counts as unreadable: the check needs readable ones.
    }
  }

  private record(source: DetectorReport['source'], at: number, body: unknown): void {
    const partitions = stalledPartitionsIn(body);
    if (partitions === undefined) return;
    this.readable[source === 'api freshness' ? 'api' : 'worker']++;
    if (partitions.length > 0) this.reports.push({ source, at, partitions });
  }

  private unconfirmed(): string[] {
    return this.reports.flatMap((r) =>
      r.partitions
        .filter((p) => !this.recorder.confirms(p, r.at, STALL_AFTER_MS, DETECTOR_TOLERANCE_MS))
        .map((p) => `${r.source} partition ${p} at ${new Date(r.at).toISOString().slice(11, 19)}`),
    );
  }

  checks(loadStarted: number): Check[] {
    const longest = this.recorder.longest();
    const longestMs = longest ? spanMs(longest) : 0;
    const unconfirmed = this.unconfirmed();
    const raised = this.reports.reduce((n, r) => n + r.partitions.length, 0);
    return [
      check(
        `no partition stalled longer than ${seconds(MAX_STALL_MS)}`,
        this.recorder.samples > 0 && longestMs <= MAX_STALL_MS,
        longest
          ? `longest: partition ${longest.partition} at committed offset ${longest.committedOffset} with lag up to ` +
              `${longest.maxLag} for ${seconds(longestMs)} (from ${seconds(longest.since - loadStarted)} into the load); ` +
              `${this.recorder.samples} looks at the group's offsets, every ${seconds(SAMPLE_MS)}`
          : `no partition ever had lag at an unmoved committed offset in ${this.recorder.samples} looks`,
      ),
      check(
        'stall detectors raised nothing that was not real',
        this.readable.worker > 0 && this.readable.api > 0 && unconfirmed.length === 0,
        `${raised} partition reports (STALL_AFTER_MS ${STALL_AFTER_MS}), ${unconfirmed.length} without a frozen ` +
          `committed offset with lag for that long in our looks (±${seconds(DETECTOR_TOLERANCE_MS)})` +
          `${unconfirmed.length > 0 ? `: ${unconfirmed.slice(0, 5).join('; ')}` : ''}; readable answers: ` +
          `worker ${this.readable.worker}, api ${this.readable.api} of ${this.looks} looks`,
      ),
    ];
  }

  notes(loadStarted: number): string[] {
    const missed = this.recorder
      .spans()
      .filter((s) => spanMs(s) > STALL_AFTER_MS + DETECTOR_TOLERANCE_MS)
      .filter(
        (s) => !this.reports.some((r) => r.partitions.includes(s.partition) && r.at >= s.since && r.at <= s.until),
      );
    return [
      `worker /readyz not 200 in ${this.workerNotReady} of ${this.looks} looks; ${this.failedOffsetLooks} failed looks at the group's offsets`,
      ...missed.map(
        (s) =>
          `partition ${s.partition} frozen ${seconds(spanMs(s))} from ${seconds(s.since - loadStarted)} into the load, ` +
          'and no detector reported it',
      ),
    ];
  }
}

/** "The coordinator is not aware of this member": the worker was thrown out of its group (issue 24). */
function rejoins(kit: ScenarioKit): number {
  return kit.workers.reduce((n, w) => {
    try {
      return n + (readFileSync(w.logFile!, 'utf8').match(/coordinator is not aware of this member/g)?.length ?? 0);
    } catch {
      return n;
    }
  }, 0);
}

function countFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min} (got ${raw})`);
  return value;
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '0 %' : `${((100 * part) / whole).toFixed(1)} %`;
}

function progress(kit: ScenarioKit, message: string): void {
  process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] scenario ${kit.id}: ${message}\n`);
}
