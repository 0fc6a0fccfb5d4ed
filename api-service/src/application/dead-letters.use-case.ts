import type { DeadLetterRecord } from '@uap/shared/contract';
import {
  DEAD_LETTER_QUERY_LIMITS,
  decodeLetterCursor,
  encodeLetterCursor,
  type DeadLetterFilters,
} from '../domain/dead-letter-query';
import { DomainError } from '../domain/domain-error';
import type { DeadLetterCount, DeadLetterStore } from './ports/dead-letter-store.port';

export interface DeadLetterPage {
  data: DeadLetterRecord[];
  page: { limit: number; nextCursor: string | null; hasMore: boolean };
}

export interface DeadLetterStats {
  total: number;
  byReason: Record<string, number>;
  byStatus: Record<string, number>;
  byReasonAndStatus: DeadLetterCount[];
}

/** Reads of the dead-letter index: pages, one letter, counts. */
export class DeadLettersUseCase {
  constructor(private readonly deps: { store: DeadLetterStore }) {}

  async list(
    filters: DeadLetterFilters,
    limit: number = DEAD_LETTER_QUERY_LIMITS.defaultLimit,
    cursor?: string,
  ): Promise<DeadLetterPage> {
    let after;
    if (cursor !== undefined) {
      const decoded = decodeLetterCursor(cursor, filters);
      if (typeof decoded === 'string') {
        throw new DomainError('VALIDATION_FAILED', 'The cursor does not belong to this query', {
          errors: [
            {
              path: 'cursor',
              message:
                decoded === 'filters-changed'
                  ? 'the cursor was issued for other filters; send the same filters with it'
                  : 'not a cursor issued by this API',
              rule: 'cursor-not-issued',
            },
          ],
        });
      }
      after = decoded;
    }
    // One more than asked tells whether there is a next page without a count.
    const rows = await this.deps.store.list(filters, limit + 1, after);
    const data = rows.slice(0, limit);
    const last = data[data.length - 1];
    const hasMore = rows.length > limit && last !== undefined;
    return {
      data,
      page: {
        limit,
        hasMore,
        nextCursor: hasMore ? encodeLetterCursor({ failedAt: last.failedAt, letterId: last.letterId }, filters) : null,
      },
    };
  }

  async get(letterId: string): Promise<DeadLetterRecord> {
    const letter = await this.deps.store.get(letterId);
    if (!letter) throw new DomainError('NOT_FOUND', `No dead letter ${letterId}`);
    return letter;
  }

  async stats(range: { from?: Date; to?: Date }): Promise<DeadLetterStats> {
    const counts = await this.deps.store.counts(range);
    const byReason: Record<string, number> = {};
    const byStatus: Record<string, number> = {};
    for (const { reason, status, count } of counts) {
      byReason[reason] = (byReason[reason] ?? 0) + count;
      byStatus[status] = (byStatus[status] ?? 0) + count;
    }
    return { total: counts.reduce((sum, c) => sum + c.count, 0), byReason, byStatus, byReasonAndStatus: counts };
  }
}
