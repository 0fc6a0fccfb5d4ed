import type { DeadLetterRecord, DeadLetterStatus } from '@uap/shared/contract';
import type { DeadLetterFilters } from './dead-letter-query';

/** Which letters a replay takes: the list filters, or explicit ids (the only way to take parked letters). */
export interface ReplayFilter extends Omit<DeadLetterFilters, 'statuses'> {
  readonly letterIds?: readonly string[];
  readonly statuses?: readonly DeadLetterStatus[];
}

export interface ReplayRequest {
  readonly filter: ReplayFilter;
  /** Re-validates and counts, changes nothing. */
  readonly dryRun: boolean;
  /** At most this many letters are taken. */
  readonly max?: number;
  /** Publishes per second at most. */
  readonly ratePerSec: number;
}

export const REPLAY_LIMITS = {
  maxLetterIds: 1_000,
  maxMax: 1_000_000,
  defaultRatePerSec: 500,
  maxRatePerSec: 10_000,
  samples: 10,
};

export const REPLAY_JOB_STATES = ['running', 'done', 'cancelled', 'failed'] as const;
export type ReplayJobState = (typeof REPLAY_JOB_STATES)[number];

export interface ReplayCounts {
  /** Letters selected by the filter and looked at. */
  scanned: number;
  /** Valid under the current contract (a dry run stops here). */
  wouldPass: number;
  /** Republished and acknowledged by the broker, then marked `replayed`. */
  published: number;
  /** Still invalid under the current contract, by reason; they stay `dead`. */
  stillFailing: Record<string, number>;
  /** Matched the filter but not taken: parked (unless asked for by id) or already replayed. */
  skipped: number;
}

export interface ReplaySample {
  letterId: string;
  reason: string;
  error: string;
}

export interface ReplayJob {
  jobId: string;
  request: ReplayRequest;
  state: ReplayJobState;
  counts: ReplayCounts;
  /** Per DLQ partition, the last offset handled: a resumed job starts after it. */
  progress: Record<string, number>;
  samples: ReplaySample[];
  createdAt: Date;
  updatedAt: Date;
  finishedAt?: Date;
  error?: string;
}

export const emptyCounts = (): ReplayCounts => ({
  scanned: 0,
  wouldPass: 0,
  published: 0,
  stillFailing: {},
  skipped: 0,
});

export const isFinished = (state: ReplayJobState) => state !== 'running';

/** Statuses a replay takes: `dead` by default; by id, parked letters too. */
export function statusesOf(filter: ReplayFilter): readonly DeadLetterStatus[] {
  return filter.statuses ?? (filter.letterIds === undefined ? ['dead'] : ['dead', 'parked']);
}

/**
 * Whether two filters may select a common letter. They are disjoint only when some field proves it:
 * different reasons, types or users, no common status or id, or time ranges that do not meet.
 */
export function filtersOverlap(a: ReplayFilter, b: ReplayFilter): boolean {
  const differ = <T>(x: T | undefined, y: T | undefined) => x !== undefined && y !== undefined && x !== y;
  if (differ(a.reason, b.reason) || differ(a.type, b.type) || differ(a.userId, b.userId)) return false;
  if (differ(a.sourceId, b.sourceId)) return false;
  const statusesB = statusesOf(b);
  if (!statusesOf(a).some((s) => statusesB.includes(s))) return false;
  if (a.letterIds && b.letterIds && !a.letterIds.some((id) => b.letterIds!.includes(id))) return false;
  const startsAfterEnd = (x: ReplayFilter, y: ReplayFilter) =>
    x.from !== undefined && y.to !== undefined && x.from >= y.to;
  return !(startsAfterEnd(a, b) || startsAfterEnd(b, a));
}

/** Whether a replay takes this letter, or skips it (its status is not one the filter takes). */
export function takesLetter(filter: ReplayFilter, letter: Pick<DeadLetterRecord, 'status'>): boolean {
  return statusesOf(filter).includes(letter.status);
}
