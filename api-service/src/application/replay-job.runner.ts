import { ActivityTypeCatalog, checkActivityType, type ActivityTypeChecker } from '@uap/shared/activity-types';
import {
  actorKeyOf,
  HEADERS,
  decodeActivityMessage,
  originalHeaders,
  payloadOf,
  type DeadLetterRecord,
  type OutgoingMessage,
} from '@uap/shared/contract';
import type { Logger } from '@uap/shared/runtime';
import { REPLAY_LIMITS, takesLetter, type ReplayJob } from '../domain/replay-job';
import type { DeadLetterStore } from './ports/dead-letter-store.port';
import type { MessagePublisher } from './ports/message-publisher.port';
import type { ReplayJobStore } from './ports/replay-job-store.port';

export interface ReplayRunnerConfig {
  /** Identifies this API instance as a lease owner. */
  owner: string;
  leaseMs: number;
  /** How often running jobs without an owner (e.g. after a crash) are looked for. */
  pollMs: number;
  pageSize?: number;
}

export interface ReplayRunnerDeps {
  letters: DeadLetterStore;
  jobs: ReplayJobStore;
  publisher: MessagePublisher;
  /** The activity type registry as this replica follows it: the built-ins when absent. */
  types?: ActivityTypeChecker;
  logger: Logger;
  onPublished?: (count: number) => void;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

type Verdict = { ok: true; message: OutgoingMessage } | { ok: false; reason: string; error: string };

/**
 * Works replay jobs: re-validates each selected letter with the current contract, republishes the
 * valid ones to the activities topic (original key, value and headers, plus replay-job and
 * replay-count), and marks a letter `replayed` only after the broker acknowledged it. Invalid
 * letters stay `dead`; nothing is ever written to the DLQ from here.
 *
 * Exactly once in effect: progress (per DLQ partition, the last offset handled) and counts are saved
 * after each page, so a job killed halfway resumes from its last page. The letters of that page are
 * looked at again: those this job already marked count as published without a second send, and a
 * letter sent but not yet marked is sent again, which the worker's eventId dedup turns into a no-op.
 */
export class ReplayJobRunner {
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly types: ActivityTypeChecker;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopping = false;
  private inHand: string | undefined;

  constructor(
    private readonly config: ReplayRunnerConfig,
    private readonly deps: ReplayRunnerDeps,
  ) {
    this.log = deps.logger.child({ component: 'replay-runner' });
    this.now = deps.now ?? (() => new Date());
    this.types = deps.types ?? new ActivityTypeCatalog();
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), this.config.pollMs);
    this.timer.unref();
    this.kick();
  }

  /** Looks for work now; a call while working makes it look again right after. */
  kick(): void {
    if (this.stopping) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.runAvailable().catch((err: unknown) => this.log.warn({ err }, 'replay runner pass failed'));
      } while (this.again && !this.stopping);
    })().finally(() => {
      this.running = undefined;
    });
  }

  /** Finishes the page in hand, then hands the job's lease back so another instance resumes it at once. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** Claims and works every running job whose lease is free; resolves when none is left to do. */
  async runAvailable(): Promise<void> {
    for (const candidate of await this.deps.jobs.running()) {
      if (this.stopping) return;
      const job = await this.deps.jobs.claim(candidate.jobId, this.config.owner, this.leaseUntil(), this.now());
      if (!job) continue;
      this.inHand = job.jobId;
      try {
        await this.work(job);
      } finally {
        this.inHand = undefined;
        if (this.stopping) await this.deps.jobs.release(job.jobId, this.config.owner).catch(() => undefined);
      }
    }
  }

  isWorking(jobId: string): boolean {
    return this.inHand === jobId;
  }

  private leaseUntil(): Date {
    return new Date(this.now().getTime() + this.config.leaseMs);
  }

  private async work(job: ReplayJob): Promise<void> {
    const { max } = job.request;
    // Only letters that failed before the job began: one of its own replays failing again lands in the
    // DLQ later, and must not be taken by the same job (across jobs, MAX_REPLAYS parks it).
    const to = job.request.filter.to && job.request.filter.to < job.createdAt ? job.request.filter.to : job.createdAt;
    const filter = { ...job.request.filter, to };
    const pageSize = this.config.pageSize ?? 100;
    const pacer = new Pacer(job.request.ratePerSec, this.now, this.sleep);
    this.log.info({ jobId: job.jobId, request: job.request, counts: job.counts }, 'replay job in hand');
    try {
      for (const partition of await this.deps.letters.partitions(filter)) {
        for (;;) {
          if (max !== undefined && job.counts.scanned >= max) return await this.finish(job, 'done');
          const after = job.progress[partition] ?? -1;
          const page = await this.deps.letters.scan(filter, partition, after, pageSize);
          if (page.length === 0) break;
          await this.handlePage(job, partition, page, pacer);
          if (!(await this.deps.jobs.save({ ...job, updatedAt: this.now() }, this.config.owner, this.leaseUntil()))) {
            this.log.warn({ jobId: job.jobId }, 'lease lost; another instance carries on with the job');
            return;
          }
          const current = await this.deps.jobs.get(job.jobId);
          if (current?.state !== 'running' || this.stopping) {
            this.log.info({ jobId: job.jobId, state: current?.state, counts: job.counts }, 'replay job stopped');
            return;
          }
        }
      }
      await this.finish(job, 'done');
    } catch (err) {
      // The broker or the store is away: keep the job (and its progress) and try again at a later poll.
      if ((err as { retriable?: unknown }).retriable === true) {
        this.log.warn({ err, jobId: job.jobId }, 'replay paused: a dependency is unavailable; it resumes on its own');
        return;
      }
      this.log.error({ err, jobId: job.jobId }, 'replay job failed');
      await this.finish(job, 'failed', (err as Error).message);
    }
  }

  private async handlePage(job: ReplayJob, partition: number, page: DeadLetterRecord[], pacer: Pacer): Promise<void> {
    const { filter, max, dryRun } = job.request;
    // (The page was selected with the job's filter; only statuses are decided here.)
    const toSend: Array<{ letterId: string; message: OutgoingMessage }> = [];
    let handled = job.progress[partition] ?? -1;
    for (const letter of page) {
      if (max !== undefined && job.counts.scanned >= max) break;
      handled = letter.dlqOffset;
      if (letter.status === 'replayed' && letter.replayJob === job.jobId) {
        // Sent and marked by this job before a restart.
        job.counts.scanned++;
        job.counts.wouldPass++;
        job.counts.published++;
        continue;
      }
      if (!takesLetter(filter, letter)) {
        job.counts.skipped++;
        continue;
      }
      job.counts.scanned++;
      const verdict = revalidate(letter, job.jobId, this.types);
      if (!verdict.ok) {
        job.counts.stillFailing[verdict.reason] = (job.counts.stillFailing[verdict.reason] ?? 0) + 1;
        if (job.samples.length < REPLAY_LIMITS.samples) {
          job.samples.push({ letterId: letter.letterId, reason: verdict.reason, error: verdict.error.slice(0, 500) });
        }
        continue;
      }
      job.counts.wouldPass++;
      if (!dryRun) toSend.push({ letterId: letter.letterId, message: verdict.message });
    }
    for (let i = 0; i < toSend.length;) {
      const group = toSend.slice(i, i + pacer.groupSize());
      await pacer.wait(group.length);
      await this.deps.publisher.publishMessages(group.map((g) => g.message));
      // Marked only now: the broker has acknowledged every message of the group.
      await this.deps.letters.markReplayed(
        group.map((g) => g.letterId),
        job.jobId,
        this.now(),
      );
      job.counts.published += group.length;
      this.deps.onPublished?.(group.length);
      i += group.length;
    }
    job.progress[partition] = handled;
  }

  private async finish(job: ReplayJob, state: 'done' | 'failed', error?: string): Promise<void> {
    const at = this.now();
    const ended: ReplayJob = {
      ...job,
      state,
      updatedAt: at,
      finishedAt: at,
      ...(error === undefined ? {} : { error }),
    };
    await this.deps.jobs.save(ended, this.config.owner, at);
    this.log.info({ jobId: job.jobId, state, counts: job.counts }, 'replay job ended');
  }
}

/**
 * Re-validates a letter's payload as the worker will (the contract, then the activity type registry and policy of
 * now), and builds its republished message: a letter of a type planned since it failed passes.
 */
export function revalidate(letter: DeadLetterRecord, jobId: string, types: ActivityTypeChecker): Verdict {
  const payload = payloadOf(letter);
  if (payload === undefined) {
    return {
      ok: false,
      reason: 'payload-not-kept',
      error: `the payload (${letter.payloadBytes} bytes) was too large to index; it is at DLQ offset ${letter.dlqPartition}/${letter.dlqOffset}`,
    };
  }
  const decoded = decodeActivityMessage(payload);
  if (!decoded.ok) return { ok: false, reason: decoded.reason, error: decoded.error };
  const checked = checkActivityType(decoded.event, types);
  if (!checked.ok) return { ok: false, reason: 'schema-violation', error: checked.error };
  return {
    ok: true,
    message: {
      key: letter.key ?? actorKeyOf(decoded.event),
      value: payload.toString('utf8'),
      headers: {
        ...originalHeaders(letter),
        [HEADERS.replayJob]: jobId,
        [HEADERS.replayCount]: String(letter.replayCount + 1),
      },
    },
  };
}

/** Keeps publishes at or under `ratePerSec`, in groups of about a tenth of a second's worth. */
class Pacer {
  private readonly startedAt: number;
  private sent = 0;

  constructor(
    private readonly ratePerSec: number,
    private readonly now: () => Date,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {
    this.startedAt = now().getTime();
  }

  groupSize(): number {
    return Math.max(1, Math.min(100, Math.floor(this.ratePerSec / 10)));
  }

  async wait(count: number): Promise<void> {
    const due = this.startedAt + (this.sent * 1000) / this.ratePerSec;
    const wait = due - this.now().getTime();
    if (wait > 0) await this.sleep(wait);
    this.sent += count;
  }
}
