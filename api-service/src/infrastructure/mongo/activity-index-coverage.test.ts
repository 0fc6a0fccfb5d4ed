import {
  ACTIVITY_INDEXES,
  FLAGGED_ACTIVITY_INDEXES,
  FLAGGED_FIELD,
  IDENTITY_ACTIVITY_INDEXES,
  IDENTITY_LINK_FIELD,
  PARTIAL_ACTIVITY_INDEXES,
  SOURCE_ACTIVITY_INDEXES,
  type ActivityType,
  type IndexSpec,
} from '@uap/shared/contract';
import type { ActivityFilters, KeysetPosition, SortOrder } from '../../domain/activity-query';
import { VIOLATION_KINDS, type ViolationKind } from '../../domain/violation-query';
import { buildFindPlan, buildViolationFindPlan, type MongoFindPlan } from './mongo-activity.reader';
import { firstLinkPlan, latestIdentifiesPlan, userLinksFilter } from './mongo-identity.reader';
import {
  activeUsersPipeline,
  insightsMatch,
  topValuesBoundaryPipeline,
  topValuesPipeline,
} from './mongo-insights.reader';

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

/**
 * A condition that bounds no walk worth the name: `userId: {$type: 'string'}` would make userId's index walk every
 * user's key range, so it counts only as a residual filter on the entries another index's bounds read.
 */
const RESIDUAL_ONLY = (value: unknown) =>
  typeof value === 'object' && value !== null && Object.keys(value).join() === '$type';

const DECLARED = [...ACTIVITY_INDEXES, ...PARTIAL_ACTIVITY_INDEXES];

/**
 * Whether the filter implies a partial index's filter, as MongoDB's planner decides it (expression_algo.cpp): the
 * same condition implies itself; a non-null equality, or an `$in` without null, implies `{$exists: true}` on its
 * field; an equality implies the same equality. Nothing else is declared.
 */
function impliesPartialFilter(filter: Record<string, unknown>, partial: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(partial).every(([field, condition]) => {
    const value = filter[field];
    if (typeof condition === 'string') return value === condition;
    if (JSON.stringify(condition) !== '{"$exists":true}') throw new Error(`undeclared partial filter on ${field}`);
    if (JSON.stringify(value) === '{"$exists":true}') return true;
    if (typeof value === 'string') return true;
    const $in = (value as { $in?: unknown } | undefined)?.$in;
    return Array.isArray($in) && $in.length > 0 && $in.every((item) => item !== null);
  });
}

/** Equality fields a partial index answers by holding only documents with that very value (`{type: 'IDENTIFY'}`). */
const fixedBy = (index: IndexSpec) =>
  Object.entries(index.partialFilterExpression ?? {})
    .filter(([, condition]) => typeof condition === 'string')
    .map(([field]) => field);

function servingIndexes(plan: MongoFindPlan, indexes: readonly IndexSpec[] = DECLARED): Serving[] {
  const known = new Set([
    'userId',
    'anonymousId',
    'sourceId',
    'type',
    'occurredAt',
    '$or',
    '$nor',
    FLAGGED_FIELD,
    IDENTITY_LINK_FIELD,
  ]);
  const unknown = Object.keys(plan.filter).filter((key) => !known.has(key));
  if (unknown.length > 0) throw new Error(`filter uses fields this test does not know: ${unknown.join(', ')}`);

  const equality = Object.entries(plan.filter)
    .filter(([key, value]) => key !== '$or' && EQUALITY(value))
    .map(([key]) => key);
  // A `$nor` bounds no index: its fields are residual filters, whichever index walks.
  const norFields = ((plan.filter['$nor'] as Array<Record<string, unknown>> | undefined) ?? []).flatMap(Object.keys);
  const sortKeys = Object.entries(plan.sort);
  // Range predicates (from/to, the keyset $or) must only touch the sort keys, which the index holds in order.
  const orFields = ((plan.filter['$or'] as Array<Record<string, unknown>> | undefined) ?? []).flatMap(Object.keys);
  const residualOnly = Object.keys(plan.filter).filter((k) => RESIDUAL_ONLY(plan.filter[k]));
  const rangeFields = [
    ...Object.keys(plan.filter).filter(
      (k) => k !== '$or' && k !== '$nor' && !equality.includes(k) && !residualOnly.includes(k),
    ),
    ...orFields,
  ];
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
      const answered = [...prefix.map(([p]) => p), ...fixedBy(index)];
      serving.push({
        index: index.name,
        residual: [...equality.filter((f) => !answered.includes(f)), ...residualOnly, ...norFields],
      });
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
    'when the list query is ($name), then no partial index qualifies: only flagged, anonymous, linking, IDENTIFY or sourced documents are in them',
    ({ filters, sort, after }) => {
      const plan = buildFindPlan({ filters, sort, limit: 21, ...(after ? { after } : {}) });
      expect(servingIndexes(plan, PARTIAL_ACTIVITY_INDEXES)).toEqual([]);
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

/**
 * Identities (DESIGN "Identity model"): a visitor's events (`?anonymousId=`), a user's history (its own events, and
 * those of the anonymous ids it linked first), the links, and the IDENTIFY events a profile merges. Each shape, and
 * each clause of a history's `$or` (which MongoDB plans clause by clause and merges in sort order), must be served by
 * a declared index; the identity shapes by the partial IDENTITY_ACTIVITY_INDEXES.
 */
describe('index coverage of identities', () => {
  const identityShapes = [undefined, ['PAGE_VIEW'], ['PAGE_VIEW', 'SEARCH']].flatMap((types) =>
    sorts.flatMap((sort) =>
      positions.map((after) => ({
        name: [types ? `${types.length} type(s)` : 'no type', sort, after ? 'after cursor' : 'first page'].join(', '),
        types,
        sort,
        after,
      })),
    ),
  );
  const withRange = { from: new Date('2026-01-01T00:00:00Z') };

  it('when the identity indexes are declared, then they are partial, so REST-only events are in none of them', () => {
    expect(IDENTITY_ACTIVITY_INDEXES.map((index) => index.name)).toEqual([
      'anonymousId_occurredAt_eventId',
      'userId_identityLink',
      'identityLink_occurredAt_eventId',
      'identify_userId_occurredAt_eventId',
    ]);
    expect(IDENTITY_ACTIVITY_INDEXES.every((index) => index.partialFilterExpression !== undefined)).toBe(true);
  });

  it.each(identityShapes)(
    'when one visitor is listed ($name), then its partial index serves filter and sort',
    (shape) => {
      const filters: ActivityFilters = {
        anonymousId: 'a-1',
        ...withRange,
        ...(shape.types ? { types: shape.types } : {}),
      };
      const plan = buildFindPlan({
        filters,
        sort: shape.sort,
        limit: 21,
        ...(shape.after ? { after: shape.after } : {}),
      });
      expect(servingIndexes(plan)).toContainEqual({
        index: 'anonymousId_occurredAt_eventId',
        residual: shape.types ? ['type'] : [],
      });
    },
  );

  it.each(
    identityShapes.flatMap((shape) =>
      [['a-1'], ['a-1', 'a-2']].map((linked) => ({
        ...shape,
        name: `${shape.name}, ${linked.length} linked id(s)`,
        linked,
      })),
    ),
  )('when a user’s history is read ($name), then each clause is one walk of a declared index', (shape) => {
    const filters: ActivityFilters = {
      userId: 'alice',
      linkedAnonymousIds: shape.linked,
      ...withRange,
      ...(shape.types ? { types: shape.types } : {}),
    };
    const plan = buildFindPlan({
      filters,
      sort: shape.sort,
      limit: 21,
      ...(shape.after ? { after: shape.after } : {}),
    });
    const clauses = plan.filter['$or'] as Array<Record<string, unknown>>;
    expect(clauses).toHaveLength(2);
    const [own, visitors] = clauses.map((filter) => servingIndexes({ ...plan, filter }));
    // The user's own events, as the list filtered by userId (types residual, as decided above).
    expect(own).toContainEqual({ index: 'userId_occurredAt_eventId', residual: shape.types ? ['type'] : [] });
    // The visitors' events naming the user or nobody: only another user's events on that browser are read and
    // dropped. userId bounds no index there, so the anonymous index is the only one that walks the visitors alone.
    expect(visitors).toContainEqual({
      index: 'anonymousId_occurredAt_eventId',
      residual: shape.types ? ['type', 'userId'] : ['userId'],
    });
    expect(visitors!.filter((s) => s.index.startsWith('userId'))).toEqual([]);
  });

  it('when a history has no linked id, then it is the user’s list query, no $or', () => {
    const plan = buildFindPlan({ filters: { userId: 'alice', linkedAnonymousIds: [] }, sort: 'desc', limit: 21 });
    expect(plan.filter).toEqual({ userId: 'alice' });
  });

  it('when the first link of an anonymous id is looked up, then its partial index walks the links earliest first', () => {
    const serving = servingIndexes(firstLinkPlan('a-1'));
    expect(serving.filter((s) => s.residual.length === 0).map((s) => s.index)).toEqual([
      'identityLink_occurredAt_eventId',
    ]);
  });

  it('when a user’s links are listed, then the (userId, identityLink) partial index holds exactly them', () => {
    const filter = userLinksFilter('alice');
    const serving = DECLARED.filter(
      (index) =>
        (!index.partialFilterExpression || impliesPartialFilter(filter, index.partialFilterExpression)) &&
        JSON.stringify(Object.keys(index.key)) === JSON.stringify(Object.keys(filter)),
    );
    expect(serving.map((index) => index.name)).toEqual(['userId_identityLink']);
  });

  it('when a profile reads the latest IDENTIFY events, then the IDENTIFY partial index serves them with nothing left to filter', () => {
    const serving = servingIndexes(latestIdentifiesPlan('alice', 10_001));
    expect(serving.filter((s) => s.residual.length === 0).map((s) => s.index)).toEqual([
      'identify_userId_occurredAt_eventId',
    ]);
  });

  it('when a partial filter names a value, then only that very value implies it', () => {
    const identify = IDENTITY_ACTIVITY_INDEXES.find((index) => index.name === 'identify_userId_occurredAt_eventId')!;
    expect(impliesPartialFilter({ userId: 'a', type: 'IDENTIFY' }, identify.partialFilterExpression!)).toBe(true);
    expect(impliesPartialFilter({ userId: 'a', type: 'ALIAS' }, identify.partialFilterExpression!)).toBe(false);
    expect(
      impliesPartialFilter({ userId: 'a', type: { $in: ['IDENTIFY', 'ALIAS'] } }, identify.partialFilterExpression!),
    ).toBe(false);
  });
});

/**
 * The list, export and stats by source (`?sourceId=`): every list shape with a source, and a user's history with one.
 * The source's partial index must serve each, with only the types left to filter (a source sends many types, as the
 * list by userId decides above); with a userId, the user's index serves it with the source left to filter.
 */
describe('index coverage of the source filter', () => {
  const sourceShapes = shapes.map((shape) => ({ ...shape, filters: { ...shape.filters, sourceId: 'web' } }));

  it('when the source index is declared, then it is partial, so events sent without a source are not in it', () => {
    expect(SOURCE_ACTIVITY_INDEXES).toEqual([
      {
        name: 'sourceId_occurredAt_eventId',
        key: { sourceId: 1, occurredAt: -1, eventId: -1 },
        partialFilterExpression: { sourceId: { $exists: true } },
      },
    ]);
    expect(PARTIAL_ACTIVITY_INDEXES).toEqual(expect.arrayContaining([...SOURCE_ACTIVITY_INDEXES]));
  });

  it.each(sourceShapes)(
    'when the list is filtered by source ($name), then the source index serves filter and sort',
    ({ filters, sort, after }) => {
      const plan = buildFindPlan({ filters, sort, limit: 21, ...(after ? { after } : {}) });
      const serving = servingIndexes(plan);

      expect(serving).toContainEqual({
        index: 'sourceId_occurredAt_eventId',
        residual: [...(filters.userId ? ['userId'] : []), ...(filters.types ? ['type'] : [])],
      });
      if (filters.userId) {
        expect(serving).toContainEqual({
          index: 'userId_occurredAt_eventId',
          residual: ['sourceId', ...(filters.types ? ['type'] : [])],
        });
      }
    },
  );

  it('when a user’s history is filtered by source, then each clause is still one walk of a declared index', () => {
    const plan = buildFindPlan({
      filters: { userId: 'alice', linkedAnonymousIds: ['a-1'], sourceId: 'web' },
      sort: 'desc',
      limit: 21,
    });
    const [own, visitors] = (plan.filter['$or'] as Array<Record<string, unknown>>).map((filter) =>
      servingIndexes({ ...plan, filter }),
    );
    expect(own).toContainEqual({ index: 'userId_occurredAt_eventId', residual: ['sourceId'] });
    expect(visitors).toContainEqual({ index: 'anonymousId_occurredAt_eventId', residual: ['sourceId', 'userId'] });
  });

  it('when a filter names no source, then the source index does not qualify (it holds the sourced events alone)', () => {
    expect(servingIndexes(buildFindPlan({ filters: {}, sort: 'desc', limit: 21 }), SOURCE_ACTIVITY_INDEXES)).toEqual(
      [],
    );
  });
});

/**
 * Insights on MongoDB (mongo-insights.reader.ts): each aggregation starts with one `$match`, and the funnel's find
 * has the same filter, over [from, to), the types, and a given user or any event with a userId. None sorts, but a
 * walk of an index in no requested order has the same bounds as one in its own order, so each is checked as if
 * sorted by (occurredAt, eventId) descending: the equality fields, then occurredAt, must be the index's prefix.
 */
describe('index coverage of insights', () => {
  const range = { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-02-01T00:00:00Z') };
  const asPlan = (filter: Record<string, unknown>): MongoFindPlan => ({
    filter,
    sort: { occurredAt: -1, eventId: -1 },
    skip: 0,
    limit: 0,
  });
  const firstMatch = (pipeline: ReadonlyArray<Record<string, unknown>>) => {
    expect(Object.keys(pipeline[0]!)).toEqual(['$match']);
    return pipeline[0]!['$match'] as Record<string, unknown>;
  };
  const insightShapes = users.flatMap((userId) =>
    typeSets.map((types) => ({
      name: [userId ? 'userId' : 'no user', types ? `${types.length} type(s)` : 'no type'].join(', '),
      request: { ...range, ...(userId ? { userId } : {}), ...(types ? { types } : {}) },
      userId,
      types,
    })),
  );
  /** Per shape, the index that serves it and what is left to filter (a given user's range, types dropped in it). */
  const expected = (shape: (typeof insightShapes)[number], anonymousToo: boolean): Serving => {
    if (shape.userId) return { index: 'userId_occurredAt_eventId', residual: shape.types ? ['type'] : [] };
    return {
      index: shape.types ? 'type_occurredAt_eventId' : 'occurredAt_eventId',
      residual: anonymousToo ? [] : ['userId'],
    };
  };

  it.each(insightShapes)(
    'when active users or a funnel are read ($name), then a declared index walks the range',
    (shape) => {
      const matches = (['day', 'week', 'month'] as const).map((bucket) =>
        firstMatch(activeUsersPipeline({ ...shape.request, bucket }) as never),
      );
      matches.push(insightsMatch(shape.request));
      for (const match of matches) {
        expect(match).toEqual(insightsMatch(shape.request));
        expect(servingIndexes(asPlan(match))).toContainEqual(expected(shape, false));
      }
    },
  );

  it.each(
    insightShapes.flatMap((shape) =>
      (['metadata.query', 'type', 'userId'] as const).map((field) => ({
        ...shape,
        name: `${shape.name}, ${field}`,
        field,
      })),
    ),
  )('when top values are read ($name), then both walks start on a declared index', (shape) => {
    const request = { ...shape.request, field: shape.field, limit: 25 };
    for (const pipeline of [topValuesBoundaryPipeline(request), topValuesPipeline(request, 3)]) {
      const match = firstMatch(pipeline as never);
      expect(servingIndexes(asPlan(match))).toContainEqual(expected(shape, shape.field !== 'userId'));
    }
  });

  it('when a user is asked for, then the user’s equality, not the $type test, bounds the walk', () => {
    expect(insightsMatch({ ...range, userId: 'alice' })).toEqual({
      occurredAt: { $gte: range.from, $lt: range.to },
      userId: 'alice',
    });
    // Guards the checker: a $type test alone serves no index by userId.
    const anyUser = servingIndexes(asPlan(insightsMatch(range)));
    expect(anyUser.filter((s) => s.index.startsWith('userId'))).toEqual([]);
  });
});
