import { DomainError } from '../domain/domain-error';
import { decodeViolationCursor, encodeViolationCursor, type ViolationListQuery } from '../domain/violation-query';
import type { ActivityRecord } from './ports/activity-reader.port';
import type { ActivityViolationReader } from './ports/activity-violation-reader.port';
import type { CursorPageInfo } from './query-activities.use-case';

export interface ViolationList {
  data: ActivityRecord[];
  page: CursorPageInfo;
}

const CURSOR_REJECTIONS = {
  malformed: 'is not a cursor issued by this listing',
  'filters-changed': 'belongs to a listing with different filters; send the same type and kind as the first page',
} as const;

/**
 * The events the tracking plan let in without vouching for them, for whoever fixes the plan or the sender:
 * a read straight from the read model, keyset-paged like the activity list (newest first).
 */
export class ListViolationsUseCase {
  constructor(private readonly deps: { reader: ActivityViolationReader }) {}

  async list(query: ViolationListQuery): Promise<ViolationList> {
    const { filters, limit } = query;
    let after;
    if (query.cursor !== undefined) {
      const decoded = decodeViolationCursor(query.cursor, filters);
      if (!decoded.ok) {
        throw new DomainError('VALIDATION_FAILED', 'cursor does not fit this query', {
          errors: [{ path: 'cursor', message: CURSOR_REJECTIONS[decoded.reason], rule: 'cursor-not-issued' }],
        });
      }
      after = decoded.position;
    }
    // One row more than asked tells whether another page exists without a second query.
    const rows = await this.deps.reader.findViolations({ filters, limit: limit + 1, ...(after ? { after } : {}) });
    const data = rows.slice(0, limit);
    const last = data[data.length - 1];
    const hasMore = rows.length > limit && last !== undefined;
    return { data, page: { limit, nextCursor: hasMore ? encodeViolationCursor(last, filters) : null, hasMore } };
  }
}
