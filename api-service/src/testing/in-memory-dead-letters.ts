import type { DeadLetterRecord, OutgoingMessage } from '@uap/shared/contract';
import type { DeadLetterCount, DeadLetterStore } from '../application/ports/dead-letter-store.port';
import type { PublishedPosition } from '../application/ports/activity-publisher.port';
import type { MessagePublisher } from '../application/ports/message-publisher.port';
import type { ReplayJobStore } from '../application/ports/replay-job-store.port';
import { matchesLetter, type DeadLetterFilters, type LetterPosition } from '../domain/dead-letter-query';
import type { ReplayFilter, ReplayJob } from '../domain/replay-job';

const matchesReplay = (filter: ReplayFilter, letter: DeadLetterRecord) =>
  matchesLetter({ ...filter, statuses: undefined } as DeadLetterFilters, letter) &&
  (filter.letterIds === undefined || filter.letterIds.includes(letter.letterId));

/** The dead-letter index as a list, with the same order and filters as the Mongo store. */
export class InMemoryDeadLetterStore implements DeadLetterStore {
  readonly letters: DeadLetterRecord[] = [];

  add(...letters: DeadLetterRecord[]): this {
    this.letters.push(...letters);
    return this;
  }

  async list(filters: DeadLetterFilters, limit: number, after?: LetterPosition): Promise<DeadLetterRecord[]> {
    const key = (l: { failedAt: Date; letterId: string }) => [l.failedAt.getTime(), l.letterId] as const;
    return this.letters
      .filter((l) => matchesLetter(filters, l))
      .filter((l) => {
        if (!after) return true;
        const [t, id] = key(l);
        const [at, aid] = key(after);
        return t < at || (t === at && id < aid);
      })
      .sort((a, b) => b.failedAt.getTime() - a.failedAt.getTime() || (a.letterId < b.letterId ? 1 : -1))
      .slice(0, limit);
  }

  async get(letterId: string): Promise<DeadLetterRecord | null> {
    return this.letters.find((l) => l.letterId === letterId) ?? null;
  }

  async findBySource(topic: string, partition: number, offset: number): Promise<DeadLetterRecord | null> {
    return (
      this.letters.find(
        (l) => l.sourceTopic === topic && l.sourcePartition === partition && l.sourceOffset === offset,
      ) ?? null
    );
  }

  async counts(range: { from?: Date; to?: Date }): Promise<DeadLetterCount[]> {
    const counts = new Map<string, DeadLetterCount>();
    for (const l of this.letters.filter((x) => matchesLetter(range, x))) {
      const k = `${l.reason}/${l.status}`;
      const c = counts.get(k) ?? { reason: l.reason, status: l.status, count: 0 };
      c.count++;
      counts.set(k, c);
    }
    return [...counts.values()];
  }

  async countsBySource(sourceId?: string): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const { sourceId: id } of this.letters) {
      if (id !== undefined && (sourceId === undefined || id === sourceId)) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }

  async partitions(filter: ReplayFilter): Promise<number[]> {
    return [...new Set(this.letters.filter((l) => matchesReplay(filter, l)).map((l) => l.dlqPartition))].sort();
  }

  async scan(filter: ReplayFilter, partition: number, afterOffset: number, limit: number): Promise<DeadLetterRecord[]> {
    return this.letters
      .filter((l) => l.dlqPartition === partition && l.dlqOffset > afterOffset && matchesReplay(filter, l))
      .sort((a, b) => a.dlqOffset - b.dlqOffset)
      .slice(0, limit)
      .map((l) => ({ ...l }));
  }

  async markReplayed(letterIds: readonly string[], jobId: string, at: Date): Promise<void> {
    for (const l of this.letters) {
      if (letterIds.includes(l.letterId)) Object.assign(l, { status: 'replayed', replayJob: jobId, replayedAt: at });
    }
  }
}

/** Replay jobs in a map, with the lease rules of the Mongo store. */
export class InMemoryReplayJobStore implements ReplayJobStore {
  readonly jobs = new Map<string, ReplayJob & { leaseOwner?: string; leaseUntil?: Date }>();

  async insert(job: ReplayJob): Promise<void> {
    this.jobs.set(job.jobId, structuredClone(job));
  }

  async get(jobId: string): Promise<ReplayJob | null> {
    const job = this.jobs.get(jobId);
    return job ? structuredClone(job) : null;
  }

  async running(): Promise<ReplayJob[]> {
    return [...this.jobs.values()].filter((j) => j.state === 'running').map((j) => structuredClone(j));
  }

  async claim(jobId: string, owner: string, until: Date, now: Date): Promise<ReplayJob | null> {
    const job = this.jobs.get(jobId);
    if (!job || job.state !== 'running') return null;
    if (job.leaseOwner !== undefined && job.leaseOwner !== owner && job.leaseUntil! >= now) return null;
    Object.assign(job, { leaseOwner: owner, leaseUntil: until });
    return structuredClone(job);
  }

  async save(job: ReplayJob, owner: string, leaseUntil: Date): Promise<boolean> {
    const stored = this.jobs.get(job.jobId);
    if (!stored || stored.leaseOwner !== owner) return false;
    const state = stored.state === 'running' ? job.state : stored.state;
    Object.assign(stored, structuredClone({ ...job, state }), { leaseUntil });
    return true;
  }

  async cancel(jobId: string, at: Date): Promise<boolean> {
    const job = this.jobs.get(jobId);
    if (!job || job.state !== 'running') return false;
    Object.assign(job, { state: 'cancelled', updatedAt: at, finishedAt: at });
    return true;
  }

  async release(jobId: string, owner: string): Promise<void> {
    const job = this.jobs.get(jobId);
    if (job?.leaseOwner === owner) Object.assign(job, { leaseOwner: undefined, leaseUntil: undefined });
  }
}

/** Acknowledges every publish, or fails the next `n` like a broker outage. */
export class InMemoryMessagePublisher implements MessagePublisher {
  readonly sent: OutgoingMessage[] = [];
  private failuresLeft = 0;
  onPublish?: () => void;

  failNext(count: number): this {
    this.failuresLeft = count;
    return this;
  }

  async publishMessages(messages: OutgoingMessage[]): Promise<PublishedPosition[]> {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw Object.assign(new Error('broker away (fake)'), { retriable: true });
    }
    const first = this.sent.length;
    this.sent.push(...messages);
    this.onPublish?.();
    return messages.map((_, i) => ({ topic: 'user-activities', partition: 0, offset: first + i }));
  }
}
