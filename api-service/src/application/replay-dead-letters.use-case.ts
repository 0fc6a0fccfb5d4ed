import { randomBytes } from 'node:crypto';
import { DomainError } from '../domain/domain-error';
import { emptyCounts, filtersOverlap, isFinished, type ReplayJob, type ReplayRequest } from '../domain/replay-job';
import type { ReplayJobStore } from './ports/replay-job-store.port';

export interface ReplayDeadLettersDeps {
  jobs: ReplayJobStore;
  /** Wakes the runner, so a new job starts at once rather than at its next poll. */
  kick: () => void;
  now?: () => Date;
}

/** Starts, shows and cancels replay jobs; the ReplayJobRunner does the work. */
export class ReplayDeadLettersUseCase {
  private readonly now: () => Date;

  constructor(private readonly deps: ReplayDeadLettersDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async start(request: ReplayRequest): Promise<ReplayJob> {
    // Two jobs republishing the same letters would race each other; a dry run changes nothing, so it never clashes.
    if (!request.dryRun) {
      const clash = (await this.deps.jobs.running()).find(
        (job) => !job.request.dryRun && filtersOverlap(job.request.filter, request.filter),
      );
      if (clash) {
        throw new DomainError(
          'CONFLICT',
          `Replay job ${clash.jobId} is running with a filter that overlaps this one; wait for it or cancel it`,
        );
      }
    }
    const at = this.now();
    const job: ReplayJob = {
      jobId: `rj_${randomBytes(9).toString('base64url')}`,
      request,
      state: 'running',
      counts: emptyCounts(),
      progress: {},
      samples: [],
      createdAt: at,
      updatedAt: at,
    };
    await this.deps.jobs.insert(job);
    this.deps.kick();
    return job;
  }

  async get(jobId: string): Promise<ReplayJob> {
    const job = await this.deps.jobs.get(jobId);
    if (!job) throw new DomainError('NOT_FOUND', `No replay job ${jobId}`);
    return job;
  }

  /** Stops a running job after the letters in hand; letters not reached stay `dead`, none is lost. */
  async cancel(jobId: string): Promise<ReplayJob> {
    const job = await this.get(jobId);
    if (isFinished(job.state) || !(await this.deps.jobs.cancel(jobId, this.now()))) {
      throw new DomainError('CONFLICT', `Replay job ${jobId} has already ended (${job.state})`);
    }
    return this.get(jobId);
  }
}
