import { DomainError } from '../domain/domain-error';
import {
  decodeCursor,
  encodeCursor,
  isWithinOffsetCap,
  offsetOf,
  OFFSET_CAP_MESSAGE,
  QUERY_LIMITS,
  type ActivityListQuery,
} from '../domain/activity-query';
import type { ActivityReader, ActivityRecord } from './ports/activity-reader.port';
import type { IdentityReader } from './ports/identity-reader.port';

export interface CursorPageInfo {
  limit: number;
  nextCursor: string | null;
  hasMore: boolean;
}

export interface OffsetPageInfo {
  limit: number;
  page: number;
  /** With `totalIsExact: false`, `total` and `totalPages` are lower bounds (the store stopped counting). */
  total: number;
  totalPages: number;
  totalIsExact: boolean;
  hasMore: boolean;
}

export interface ActivityList {
  data: ActivityRecord[];
  page: CursorPageInfo | OffsetPageInfo;
}

const CURSOR_REJECTIONS = {
  malformed: 'is not a cursor issued by this API',
  'filters-changed':
    'belongs to a query with different filters; send the same userId, anonymousId, sourceId, type, from and to as the first page',
  'sort-changed': 'belongs to a query with a different sort order',
} as const;

export interface QueryActivitiesDeps {
  reader: ActivityReader;
  /** The identity links a user's history follows; absent (tests of other concerns), a user has no linked ids. */
  identities?: IdentityReader;
}

/** Read queries go straight to the read model: there is no domain decision to make beyond paging. */
export class QueryActivitiesUseCase {
  constructor(private readonly deps: QueryActivitiesDeps) {}

  /**
   * One user's history: the user's events and those of the anonymous ids the user linked first (what the visitor did
   * before logging in), in one keyset order. The links are looked up for every page, so a page reflects the links
   * stored when it is read: an identify stored between two pages adds its visitor's events to the pages that follow.
   */
  async listUserHistory(userId: string, query: ActivityListQuery): Promise<ActivityList> {
    const linkedAnonymousIds = (await this.deps.identities?.linkedAnonymousIds(userId)) ?? [];
    return this.list({ ...query, filters: { ...query.filters, userId, linkedAnonymousIds } });
  }

  async list(query: ActivityListQuery): Promise<ActivityList> {
    const { filters, sort, limit, pagination } = query;
    if (pagination.mode === 'offset') {
      if (!isWithinOffsetCap(pagination.page, limit)) {
        throw new DomainError('VALIDATION_FAILED', 'page is too deep for offset paging', {
          errors: [{ path: 'page', message: OFFSET_CAP_MESSAGE, rule: 'offset-cap' }],
        });
      }
      // Offset pages never reach past maxOffsetRows, so counting one row beyond it is enough to answer
      // hasMore on every reachable page; a reader that cannot count cheaply stops there.
      const [data, { total, exact }] = await Promise.all([
        this.deps.reader.findPage({ filters, sort, skip: offsetOf(pagination.page, limit), limit }),
        this.deps.reader.count(filters, QUERY_LIMITS.maxOffsetRows + 1),
      ]);
      const totalPages = Math.ceil(total / limit);
      return {
        data,
        page: {
          limit,
          page: pagination.page,
          total,
          totalPages,
          totalIsExact: exact,
          hasMore: pagination.page < totalPages,
        },
      };
    }

    let after;
    if (pagination.cursor !== undefined) {
      const decoded = decodeCursor(pagination.cursor, filters, sort);
      if (!decoded.ok) {
        throw new DomainError('VALIDATION_FAILED', 'cursor does not fit this query', {
          errors: [{ path: 'cursor', message: CURSOR_REJECTIONS[decoded.reason], rule: 'cursor-not-issued' }],
        });
      }
      after = decoded.position;
    }
    // One row more than asked tells whether another page exists without a second query.
    const rows = await this.deps.reader.findPage({ filters, sort, limit: limit + 1, ...(after ? { after } : {}) });
    const data = rows.slice(0, limit);
    const last = data[data.length - 1];
    const hasMore = rows.length > limit && last !== undefined;
    return { data, page: { limit, nextCursor: hasMore ? encodeCursor(last, filters, sort) : null, hasMore } };
  }

  async getById(eventId: string): Promise<ActivityRecord> {
    const found = await this.deps.reader.findByEventId(eventId);
    if (!found) throw new DomainError('NOT_FOUND', `no activity with eventId ${eventId}`);
    return found;
  }
}
