import {
  ACTIVITY_INDEXES,
  FLAGGED_ACTIVITY_INDEXES,
  FLAGGED_FIELD,
  type ActivityType,
  type IndexSpec,
} from '@uap/shared/contract';
import type { ActivityFilters, KeysetPosition, SortOrder } from '../../domain/activity-query';
import { VIOLATION_KINDS, type ViolationKind } from '../../domain/violation-query';
import { buildFindPlan, buildViolationFindPlan, type MongoFindPlan } from './mongo-activity.reader';

/**
 * Every query shape the API can issue must be served by a declared index: equality fields, then the
 * sort keys, as a prefix of the index key, walked forwards or backwards. Equality fields that are not
 * part of that prefix are residual filters applied to the index entries already in order.
 *
 * Decision for userId + type: served by userId_occurredAt_eventId with `type` as a residual filter.
 * A user's events are few compared with a type's, so scanning that user's range in order and dropping
 * other types is cheap; a (userId, type, occurredAt, eventId) index would cost every insert for little.
 * (type_occurredAt_eventId with userId residual also qualifies; the planner may pick either.)
 */
interface Serving {
  index: string;
  residual: string[];
}

const EQUALITY = (value: unknown) =>
  typeof value === 'string' ||
  (typeof value === 'object' &&
    value !== null &&
    Object.keys(value).join() === '$in' &&
    Array.isArray((value as { $in: unknown }).$in));

const DECLARED = [...ACTIVITY_INDEXES, ...FLAGGED_ACTIVITY_INDEXES];

/**
 * Whether the filter implies a partial index's filter, as MongoDB's planner decides it (expression_algo.cpp): a
 * non-null equality, or an `$in` without null, implies `{$exists: true}` on its field. Nothing else is declared.
 */
function impliesPartialFilter(filter: Record<string, unknown>, partial: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(partial).every(([field, condition]) => {
    if (JSON.stringify(condition) !== '{"$exists":true}') throw new Error(`undeclared partial filter on ${field}`);
    const value = filter[field];
    if (typeof value === 'string') return true;
    const $in = (value as { $in?: unknown } | undefined)?.$in;
    return Array.isArray($in) && $in.length > 0 && $in.every((item) => item !== null);
  });
}

function servingIndexes(plan: MongoFindPlan, indexes: readonly IndexSpec[] = DECLARED): Serving[] {
  const known = new Set(['userId', 'type', 'occurredAt', '$or', FLAGGED_FIELD]);
  const unknown = Object.keys(plan.filter).filter((key) => !known.has(key));
  if (unknown.length > 0) throw new Error(`filter uses fields this test does not know: ${unknown.join(', ')}`);

  const equality = Object.entries(plan.filter)
    .filter(([key, value]) => key !== '$or' && EQUALITY(value))
    .map(([key]) => key);
  const sortKeys = Object.entries(plan.sort);
  // Range predicates (from/to, the keyset $or) must only touch the sort keys, which the index holds in order.
  const orFields = ((plan.filter['$or'] as Array<Record<string, unknown>> | undefined) ?? []).flatMap(Object.keys);
  const rangeFields = [...Object.keys(plan.filter).filter((k) => k !== '$or' && !equality.includes(k)), ...orFields];
  if (!rangeFields.every((field) => sortKeys.some(([sortField]) => sortField === field))) return [];
  const serving: Serving[] = [];
  for (const index of indexes) {
    if (index.partialFilterExpression && !impliesPartialFilter(plan.filter, index.partialFilterExpression)) continue;
    const key = Object.entries(index.key);
    const prefix = key.slice(0, key.length - sortKeys.length);
    const tail = key.slice(prefix.length);
    const prefixIsEquality = prefix.every(([field]) => equality.includes(field));
    const sameOrder = tail.every(([field, dir], i) => sortKeys[i]![0] === field && sortKeys[i]![1] === dir);
    const reversed = tail.every(([field, dir], i) => sortKeys[i]![0] === field && sortKeys[i]![1] === -dir);
    if (prefixIsEquality && tail.length === sortKeys.length && (sameOrder || reversed)) {
      serving.push({ index: index.name, residual: equality.filter((f) => !prefix.some(([p]) => p === f)) });
    }
  }
  return serving;
}

const users = [undefined, 'alice'];
const typeSets: Array<ActivityType[] | undefined> = [undefined, ['LOGIN'], ['LOGIN', 'SEARCH']];
const ranges: Array<Pick<ActivityFilters, 'from' | 'to'>> = [
  {},
  { from: new Date('2026-01-01T00:00:00Z') },
  { to: new Date('2026-02-01T00:00:00Z') },
  { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-02-01T00:00:00Z') },
];
const sorts: SortOrder[] = ['desc', 'asc'];
const positions: Array<KeysetPosition | undefined> = [
  undefined,
  { occurredAt: new Date('2026-01-15T00:00:00Z'), eventId: '00000000-0000-4000-8000-000000000001' },
];

const shapes = users.flatMap((userId) =>
  typeSets.flatMap((types) =>
    ranges.flatMap((range) =>
      sorts.flatMap((sort) =>
        positions.map((after) => ({
          name: [
            userId ? 'userId' : 'no user',
            types ? `${types.length} type(s)` : 'no type',
            Object.keys(range).join('+') || 'no range',
            sort,
            after ? 'after cursor' : 'first page',
          ].join(', '),
          filters: { ...(userId ? { userId } : {}), ...(types ? { types } : {}), ...range },
          sort,
          after,
        })),
      ),
    ),
  ),
);

describe('index coverage of the query shapes', () => {
  it('when the shapes are enumerated, then all 96 combinations are checked', () => {
    expect(shapes).toHaveLength(96);
  });

  it.each(shapes)(
    'when the query is ($name), then a declared index serves filter and sort',
    ({ filters, sort, after }) => {
      const plan = buildFindPlan({ filters, sort, limit: 21, ...(after ? { after } : {}) });
      const serving = servingIndexes(plan);

      expect(serving.length).toBeGreaterThan(0);
      const best = serving.reduce((a, b) => (b.residual.length < a.residual.length ? b : a));
      if (filters.userId && filters.types) {
        expect(serving).toContainEqual({ index: 'userId_occurredAt_eventId', residual: ['type'] });
      } else {
        expect(best.residual).toEqual([]);
      }
    },
  );

  it.each(shapes)(
    'when the list query is ($name), then no partial index qualifies: only flagged documents are in them',
    ({ filters, sort, after }) => {
      const plan = buildFindPlan({ filters, sort, limit: 21, ...(after ? { after } : {}) });
      expect(servingIndexes(plan, FLAGGED_ACTIVITY_INDEXES)).toEqual([]);
    },
  );

  it('when looking up one event, then the unique eventId index serves it', () => {
    const index = ACTIVITY_INDEXES.find((i: IndexSpec) => Object.keys(i.key)[0] === 'eventId');
    expect(index?.unique).toBe(true);
  });

  it('when an index would not fit (sort not at the tail), then the checker says so', () => {
    expect(
      servingIndexes({
        filter: { userId: 'a', type: { $gt: 'A' } },
        sort: { occurredAt: -1, eventId: -1 },
        skip: 0,
        limit: 1,
      }),
    ).toEqual([]);
    // Guards the checker itself: mixed sort directions match no declared index in either direction.
    const plan: MongoFindPlan = {
      filter: { userId: 'a' },
      sort: { occurredAt: 1, eventId: -1 } as never,
      skip: 0,
      limit: 1,
    };
    expect(servingIndexes(plan)).toEqual([]);
  });
});

/**
 * The violations listing (GET /api/v1/activity-types/violations): newest first, one type at most, one kind or both.
 * Each shape must be served by a partial index of FLAGGED_ACTIVITY_INDEXES with nothing left to filter, so a page
 * walks flagged documents only, in order, however many planned ones are stored. Both kinds are an `$in` on the
 * flag that leads those indexes, which MongoDB walks once per flag and merges (SORT_MERGE), not sorts.
 */
describe('index coverage of the violations listing', () => {
  const violationShapes = [undefined, 'VIDEO_PLAY'].flatMap((type) =>
    [undefined, ...VIOLATION_KINDS].flatMap((kind: ViolationKind | undefined) =>
      positions.map((after) => ({
        name: [type ?? 'any type', kind ?? 'both kinds', after ? 'after cursor' : 'first page'].join(', '),
        filters: { ...(type ? { type } : {}), ...(kind ? { kind } : {}) },
        after,
      })),
    ),
  );

  it('when the shapes are enumerated, then all 12 combinations are checked', () => {
    expect(violationShapes).toHaveLength(12);
  });

  it.each(violationShapes)(
    'when the listing is ($name), then a partial index serves filter and sort with no residual filter',
    ({ filters, after }) => {
      const plan = buildViolationFindPlan({ filters, limit: 51, ...(after ? { after } : {}) });
      const serving = servingIndexes(plan);

      expect(serving.filter((s) => s.residual.length === 0).map((s) => s.index)).toEqual([
        filters.type ? 'type_flagged_occurredAt_eventId' : 'flagged_occurredAt_eventId',
      ]);
    },
  );

  it('when a filter does not imply the partial filter (no flag, or a null among the flags), then the checker says so', () => {
    const plan = buildViolationFindPlan({ filters: {}, limit: 1 });
    expect(
      servingIndexes(
        { ...plan, filter: { ...plan.filter, [FLAGGED_FIELD]: { $in: ['unplanned', null] } } },
        FLAGGED_ACTIVITY_INDEXES,
      ),
    ).toEqual([]);
    const { [FLAGGED_FIELD]: _flag, ...unflagged } = plan.filter;
    expect(servingIndexes({ ...plan, filter: unflagged }, FLAGGED_ACTIVITY_INDEXES)).toEqual([]);
  });
});
