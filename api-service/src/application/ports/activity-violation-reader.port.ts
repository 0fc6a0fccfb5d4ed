import type { KeysetPosition } from '../../domain/activity-query';
import type { ViolationFilters } from '../../domain/violation-query';
import type { ActivityRecord } from './activity-reader.port';

export interface ViolationPageRequest {
  filters: ViolationFilters;
  /** Only rows strictly older than this position in (occurredAt, eventId) order. */
  after?: KeysetPosition;
  limit: number;
}

/**
 * The stored events the registry let in unplanned or flagged: newest (occurredAt, eventId) first, read from the
 * partial indexes that hold them alone, so a page costs the same however many planned events are stored.
 * Rejects with a retriable SERVICE_UNAVAILABLE DomainError when the store cannot answer.
 */
export interface ActivityViolationReader {
  findViolations(request: ViolationPageRequest): Promise<ActivityRecord[]>;
}
