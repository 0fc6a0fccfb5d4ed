import { buildFilter, buildFindPlan } from './mongo-activity.reader';

const t = new Date('2026-01-15T00:00:00Z');
const after = { occurredAt: t, eventId: '00000000-0000-4000-8000-000000000009' };
const from = new Date('2026-01-01T00:00:00Z');
const to = new Date('2026-02-01T00:00:00Z');

describe('buildFilter', () => {
  it('when several types are asked for, then they become one $in; one type stays an equality', () => {
    expect(buildFilter({ types: ['LOGIN', 'SEARCH', 'LOGIN'] })).toEqual({ type: { $in: ['LOGIN', 'SEARCH'] } });
    expect(buildFilter({ types: ['LOGIN'] })).toEqual({ type: 'LOGIN' });
  });

  it('when a range is given, then from is inclusive and to exclusive', () => {
    expect(buildFilter({ userId: 'alice', from, to })).toEqual({
      userId: 'alice',
      occurredAt: { $gte: from, $lt: to },
    });
    expect(buildFilter({})).toEqual({});
  });
});

describe('buildFilter of identities', () => {
  it('when one visitor is asked for, then anonymousId is one more equality', () => {
    expect(buildFilter({ anonymousId: 'a-1', types: ['LOGIN'] })).toEqual({ anonymousId: 'a-1', type: 'LOGIN' });
  });

  it('when a user’s history is asked for, then its linked ids’ events naming the user or nobody join the user’s own', () => {
    expect(buildFilter({ userId: 'alice', linkedAnonymousIds: ['a-2', 'a-1', 'a-2'], from })).toEqual({
      $or: [
        { userId: 'alice', occurredAt: { $gte: from } },
        {
          occurredAt: { $gte: from },
          anonymousId: { $in: ['a-2', 'a-1'] },
          $nor: [{ userId: { $exists: true, $ne: 'alice' } }],
        },
      ],
    });
    expect(buildFilter({ userId: 'alice', linkedAnonymousIds: ['a-1'] })).toMatchObject({
      $or: [{ userId: 'alice' }, { anonymousId: 'a-1' }],
    });
  });

  it('when a history has no linked id, or a visitor filter names an id not linked, then it is the user’s own events', () => {
    expect(buildFilter({ userId: 'alice', linkedAnonymousIds: [] })).toEqual({ userId: 'alice' });
    expect(buildFilter({ userId: 'alice', linkedAnonymousIds: ['a-1'], anonymousId: 'a-9' })).toEqual({
      userId: 'alice',
      anonymousId: 'a-9',
    });
  });
});

describe('buildFilter by source', () => {
  it('when a source is asked for, then sourceId is one more equality, which implies the source index’s partial filter', () => {
    expect(buildFilter({ sourceId: 'web', types: ['LOGIN', 'SEARCH'], from })).toEqual({
      sourceId: 'web',
      type: { $in: ['LOGIN', 'SEARCH'] },
      occurredAt: { $gte: from },
    });
  });

  it('when a user’s history is filtered by source, then each clause of its $or carries the source', () => {
    expect(buildFilter({ userId: 'alice', linkedAnonymousIds: ['a-1'], sourceId: 'ios' })).toEqual({
      $or: [
        { userId: 'alice', sourceId: 'ios' },
        { sourceId: 'ios', anonymousId: 'a-1', $nor: [{ userId: { $exists: true, $ne: 'alice' } }] },
      ],
    });
  });
});

describe('buildFindPlan', () => {
  it('when resuming a history, then each clause carries the keyset, so each stays one ordered walk', () => {
    const plan = buildFindPlan({
      filters: { userId: 'alice', linkedAnonymousIds: ['a-1'] },
      sort: 'desc',
      after,
      limit: 3,
    });
    const keyset = {
      occurredAt: { $lte: t },
      $or: [{ occurredAt: { $lt: t } }, { occurredAt: t, eventId: { $lt: after.eventId } }],
    };
    expect(plan.filter).toEqual({
      $or: [
        { userId: 'alice', ...keyset },
        { anonymousId: 'a-1', $nor: [{ userId: { $exists: true, $ne: 'alice' } }], ...keyset },
      ],
    });
  });

  it('when resuming a desc walk, then rows strictly before the cursor are asked for, bounded at the cursor time', () => {
    expect(buildFindPlan({ filters: { from, to }, sort: 'desc', after, limit: 11 })).toEqual({
      filter: {
        occurredAt: { $gte: from, $lte: t },
        $or: [{ occurredAt: { $lt: t } }, { occurredAt: t, eventId: { $lt: after.eventId } }],
      },
      sort: { occurredAt: -1, eventId: -1 },
      skip: 0,
      limit: 11,
    });
  });

  it('when resuming an asc walk, then rows strictly after the cursor are asked for', () => {
    expect(buildFindPlan({ filters: { userId: 'bob', from, to }, sort: 'asc', after, limit: 5 }).filter).toEqual({
      userId: 'bob',
      occurredAt: { $gte: t, $lt: to },
      $or: [{ occurredAt: { $gt: t } }, { occurredAt: t, eventId: { $gt: after.eventId } }],
    });
  });

  it('when the cursor lies outside the range, then the tighter range bound is kept', () => {
    const early = { ...after, occurredAt: new Date('2025-12-01T00:00:00Z') };
    const late = { ...after, occurredAt: new Date('2026-03-01T00:00:00Z') };
    expect(buildFindPlan({ filters: { from, to }, sort: 'asc', after: early, limit: 5 }).filter['occurredAt']).toEqual({
      $gte: from,
      $lt: to,
    });
    expect(buildFindPlan({ filters: { from, to }, sort: 'desc', after: late, limit: 5 }).filter['occurredAt']).toEqual({
      $gte: from,
      $lt: to,
    });
  });

  it('when paging by offset, then skip carries it and no keyset clause is added', () => {
    expect(buildFindPlan({ filters: {}, sort: 'asc', skip: 40, limit: 20 })).toEqual({
      filter: {},
      sort: { occurredAt: 1, eventId: 1 },
      skip: 40,
      limit: 20,
    });
  });
});
