import type { DeadLetterRecord, DeadLetterStatus } from '@uap/shared/contract';
import type { DeadLetterFilters, LetterPosition } from '../../domain/dead-letter-query';
import type { ReplayFilter } from '../../domain/replay-job';

export interface DeadLetterCount {
  reason: string;
  status: DeadLetterStatus;
  count: number;
}

/**
 * The dead-letter index the worker writes (`dead_letters`). Rejects with a retriable
 * SERVICE_UNAVAILABLE DomainError when the store cannot answer.
 */
export interface DeadLetterStore {
  /** Newest first by (failedAt, letterId), strictly after `after` when given. */
  list(filters: DeadLetterFilters, limit: number, after?: LetterPosition): Promise<DeadLetterRecord[]>;
  get(letterId: string): Promise<DeadLetterRecord | null>;
  /** The letter of the message at this position of the source topic, if it was dead-lettered and indexed. */
  findBySource(topic: string, partition: number, offset: number): Promise<DeadLetterRecord | null>;
  /** Letters per reason and status, failedAt in [from, to). */
  counts(range: { from?: Date; to?: Date }): Promise<DeadLetterCount[]>;
  /**
   * Letters per source id, over every letter that carries one (whatever its status), in one grouped count; only
   * `sourceId`'s when given. Sources without letters are absent.
   */
  countsBySource(sourceId?: string): Promise<Map<string, number>>;
  /** DLQ partitions that hold letters matching the filter (statuses aside). */
  partitions(filter: ReplayFilter): Promise<number[]>;
  /** Letters of one DLQ partition matching the filter (statuses aside), by offset, after `afterOffset`. */
  scan(filter: ReplayFilter, partition: number, afterOffset: number, limit: number): Promise<DeadLetterRecord[]>;
  markReplayed(letterIds: readonly string[], jobId: string, at: Date): Promise<void>;
}
