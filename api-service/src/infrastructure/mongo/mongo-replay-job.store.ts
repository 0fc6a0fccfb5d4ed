import type { Connection, mongo } from 'mongoose';
import type { ReplayJobStore } from '../../application/ports/replay-job-store.port';
import type { ReplayJob } from '../../domain/replay-job';
import { storeCall } from '../store/mongo-connection';

export const REPLAY_JOBS_COLLECTION = 'replay_jobs';

type StoredJob = ReplayJob & { leaseOwner?: string; leaseUntil?: Date };

function toJob(doc: StoredJob | null): ReplayJob | null {
  if (!doc) return null;
  const { leaseOwner: _owner, leaseUntil: _until, ...job } = doc as StoredJob & { _id?: unknown };
  delete (job as { _id?: unknown })._id;
  return job;
}

/**
 * Replay jobs in the store. The lease is a compare-and-set on (leaseOwner, leaseUntil) with
 * findOneAndUpdate, which FerretDB supports; no transactions are needed.
 */
export class MongoReplayJobStore implements ReplayJobStore {
  constructor(private readonly connection: Connection) {}

  private get jobs(): mongo.Collection<StoredJob> {
    return this.connection.db!.collection<StoredJob>(REPLAY_JOBS_COLLECTION);
  }

  /** The API owns this collection (the worker never reads it): created with its unique jobId index. */
  async ensureIndexes(): Promise<void> {
    await this.jobs.createIndex({ jobId: 1 }, { unique: true, name: 'jobId_unique' });
    await this.jobs.createIndex({ state: 1 }, { name: 'state' });
  }

  async insert(job: ReplayJob): Promise<void> {
    await storeCall('insert replay job', () => this.jobs.insertOne({ ...job }));
  }

  async get(jobId: string): Promise<ReplayJob | null> {
    return toJob(await storeCall('replay job', () => this.jobs.findOne({ jobId })));
  }

  async running(): Promise<ReplayJob[]> {
    const docs = await storeCall('running replay jobs', () =>
      this.jobs.find({ state: 'running' }).sort({ createdAt: 1 }).toArray(),
    );
    return docs.map((doc) => toJob(doc)!);
  }

  async claim(jobId: string, owner: string, until: Date, now: Date): Promise<ReplayJob | null> {
    const doc = await storeCall('claim replay job', () =>
      this.jobs.findOneAndUpdate(
        {
          jobId,
          state: 'running',
          $or: [{ leaseOwner: owner }, { leaseUntil: { $exists: false } }, { leaseUntil: { $lt: now } }],
        },
        { $set: { leaseOwner: owner, leaseUntil: until } },
        { returnDocument: 'after' },
      ),
    );
    return toJob(doc);
  }

  async save(job: ReplayJob, owner: string, leaseUntil: Date): Promise<boolean> {
    const { state, finishedAt, error, ...progress } = job;
    // Progress and counts are the lease holder's to write, even after a cancel; the state only moves on from running.
    const saved = await storeCall('save replay job', () =>
      this.jobs.updateOne({ jobId: job.jobId, leaseOwner: owner }, { $set: { ...progress, leaseUntil } }),
    );
    if (saved.matchedCount !== 1) return false;
    if (state !== 'running') {
      await storeCall('end replay job', () =>
        this.jobs.updateOne(
          { jobId: job.jobId, state: 'running' },
          { $set: { state, ...(finishedAt ? { finishedAt } : {}), ...(error === undefined ? {} : { error }) } },
        ),
      );
    }
    return true;
  }

  async cancel(jobId: string, at: Date): Promise<boolean> {
    const result = await storeCall('cancel replay job', () =>
      this.jobs.updateOne({ jobId, state: 'running' }, { $set: { state: 'cancelled', updatedAt: at, finishedAt: at } }),
    );
    return result.matchedCount === 1;
  }

  async release(jobId: string, owner: string): Promise<void> {
    await storeCall('release replay job', () =>
      this.jobs.updateOne({ jobId, leaseOwner: owner }, { $unset: { leaseOwner: '', leaseUntil: '' } }),
    );
  }
}
