import type { ReplayJob } from '../../domain/replay-job';

/**
 * Replay jobs and their progress, kept in the store so a job survives an API restart. A running job
 * is worked on by one API instance at a time: the one holding its lease.
 */
export interface ReplayJobStore {
  insert(job: ReplayJob): Promise<void>;
  get(jobId: string): Promise<ReplayJob | null>;
  running(): Promise<ReplayJob[]>;
  /** Takes (or renews) the lease of a running job whose lease is free, expired or already ours. */
  claim(jobId: string, owner: string, until: Date, now: Date): Promise<ReplayJob | null>;
  /** Saves a job's progress, counts and state; false when the lease was lost (another instance took it). */
  save(job: ReplayJob, owner: string, leaseUntil: Date): Promise<boolean>;
  /** Ends a running job as cancelled; false if it had already finished. */
  cancel(jobId: string, at: Date): Promise<boolean>;
  release(jobId: string, owner: string): Promise<void>;
}
