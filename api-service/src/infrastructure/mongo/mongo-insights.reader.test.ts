import { seededRandom } from '@uap/shared/testing';
import { aggregate, find } from 'mingo';
import type { ActivityRecord } from '../../application/ports/activity-reader.port';
import type {
  ActiveUsersRequest,
  FunnelEvent,
  InsightBucket,
  RankableField,
  TopValuesCounts,
  TopValuesRequest,
} from '../../application/ports/insights-reader.port';
import { rankValues } from '../../domain/insights/top-values';
import { domainErrorOf } from '../../testing/domain-error-of';
import { anActivityRecord } from '../../testing/in-memory-activity.reader';
import { InMemoryInsightsReader } from '../../testing/in-memory-insights.reader';
import {
  funnelProjection,
  insightsMatch,
  MongoInsightsReader,
  scalarAt,
  type ActivityCollectionQueries,
} from './mongo-insights.reader';

const DAY = 86_400_000;
/** A Thursday: the generated events start mid-week and run across three month ends and a leap day. */
const START = Date.UTC(2028, 0, 27);
const SPAN_DAYS = 70;

const TYPES = ['LOGIN', 'SEARCH', 'PAGE_VIEW', 'SIGNUP', 'PURCHASE'] as const;
const QUERIES: unknown[] = ['shoes', 'Shoes', 'socks', 'hat', '1', 1, 1.5, true, 'true', '', null, ['shoes'], { q: 1 }];

/**
 * Events to catch what an aggregation gets subtly wrong: midnights and the millisecond before them (day, week and
 * month edges), users active across edges, anonymous-only events, the same value as string, number and boolean,
 * values that are null, arrays and objects, nested paths, paths through arrays, and duplicates of one eventId's
 * content under another eventId (as a client resend is stored before deduplication).
 */
function generate(count: number, seed: number): ActivityRecord[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const records: ActivityRecord[] = [];
  for (let i = 0; i < count; i++) {
    const day = Math.floor(random() * SPAN_DAYS);
    const edge = random() < 0.15;
    const occurredAt = new Date(START + day * DAY + (edge ? pick([0, DAY - 1, 1]) : Math.floor(random() * DAY)));
    const type = pick(TYPES);
    const anonymous = random() < 0.1;
    const metadata: Record<string, unknown> = {};
    if (type === 'SEARCH' && random() < 0.95) metadata['query'] = pick(QUERIES);
    if (type === 'PAGE_VIEW') {
      metadata['page'] = pick([{ path: pick(['/', '/pricing', '/docs']) }, { path: 7 }, [{ path: '/' }], 'flat']);
      metadata['path'] = pick(['/', '/pricing', '/docs', '/about', 42]);
    }
    if (type === 'PURCHASE') metadata['plan'] = pick(['pro', 'team', false]);
    const record = anActivityRecord({
      eventId: `e-${String(i).padStart(6, '0')}`,
      type,
      occurredAt,
      metadata,
      ...(anonymous ? { anonymousId: `a-${Math.floor(random() * 40)}` } : {}),
    });
    if (anonymous) delete record.userId;
    else record.userId = `u-${Math.floor(random() * 80)}`;
    records.push(record);
    if (random() < 0.03) records.push({ ...record, eventId: `${record.eventId}-resent` });
  }
  return records;
}

/** What the worker stores, as far as these queries read it. */
function storedDocumentOf(record: ActivityRecord): Record<string, unknown> {
  const { eventId, userId, anonymousId, type, occurredAt, metadata } = record;
  return {
    eventId,
    ...(userId === undefined ? {} : { userId }),
    ...(anonymousId === undefined ? {} : { anonymousId }),
    type,
    occurredAt,
    metadata,
  };
}

/** The reader's pipelines and finds, run by mingo over the stored documents instead of a MongoDB server. */
function mingoQueries(documents: Array<Record<string, unknown>>): ActivityCollectionQueries & { pipelines: number } {
  const queries = {
    pipelines: 0,
    aggregate: async (pipeline: unknown[]) => {
      queries.pipelines++;
      return aggregate(documents, pipeline as Array<Record<string, unknown>>) as Array<Record<string, unknown>>;
    },
    find: async (filter: Record<string, unknown>, projection: Record<string, 0 | 1>, limit: number) =>
      find(documents, filter, projection).limit(limit).all() as Array<Record<string, unknown>>,
  };
  return queries;
}

const records = generate(3_000, 29);
const oracle = new InMemoryInsightsReader(records);
const queries = mingoQueries(records.map(storedDocumentOf));
const reader = new MongoInsightsReader(queries);

const day = (n: number) => new Date(START + n * DAY);
const RANGES: Array<[string, Date, Date]> = [
  ['every day', day(-1), day(SPAN_DAYS + 1)],
  ['mid-week to mid-month, across a month end', day(2), day(40)],
  ['one day', day(33), day(34)],
  ['a day with no event', day(-5), day(-4)],
];
const TYPE_SETS = [undefined, ['SEARCH'], ['LOGIN', 'PURCHASE']] as const;

describe('MongoInsightsReader over mingo: active users', () => {
  const shapes = RANGES.flatMap(([range, from, to]) =>
    (['day', 'week', 'month'] as InsightBucket[]).flatMap((bucket) =>
      TYPE_SETS.map((types) => ({
        name: `${range}, by ${bucket}, ${types?.join('+') ?? 'any type'}`,
        request: { from, to, bucket, ...(types ? { types } : {}) } as ActiveUsersRequest,
      })),
    ),
  );

  it.each(shapes)('when active users are asked ($name), then they are the brute force’s', async ({ request }) => {
    const got = await reader.activeUsers(request);
    const expected = await oracle.activeUsers(request);

    expect(got).toEqual(expected);
  });

  it('when the whole range is read by week, then buckets start on Mondays and some user is counted in two', async () => {
    const { buckets, total } = await reader.activeUsers({ from: day(0), to: day(SPAN_DAYS), bucket: 'week' });

    expect(buckets.map((b) => b.start.getUTCDay())).toEqual(buckets.map(() => 1));
    expect(buckets.reduce((sum, b) => sum + b.users, 0)).toBeGreaterThan(total);
    expect(total).toBe(80);
  });
});

describe('MongoInsightsReader over mingo: top values', () => {
  const fields: Array<[RankableField, readonly string[] | undefined]> = [
    ['metadata.query', ['SEARCH']],
    ['metadata.path', ['PAGE_VIEW']],
    ['metadata.page.path', ['PAGE_VIEW']],
    ['metadata.plan', ['PURCHASE']],
    ['metadata.query', ['SEARCH', 'PAGE_VIEW']],
    ['type', undefined],
    ['userId', undefined],
    ['userId', ['LOGIN', 'SIGNUP']],
  ];
  const shapes = fields.flatMap(([field, types]) =>
    RANGES.flatMap(([range, from, to]) =>
      [1, 25].flatMap((limit) =>
        [undefined, 'u-7'].map((userId) => ({
          name: `${field} of ${types?.join('+') ?? 'any type'}, ${range}, top ${limit}${userId ? ', one user' : ''}`,
          request: { field, from, to, limit, ...(types ? { types } : {}), ...(userId ? { userId } : {}) },
        })),
      ),
    ),
  );

  it.each(shapes)('when top values are asked ($name), then they are the brute force’s', async ({ request }) => {
    const got = await reader.topValues(request as TopValuesRequest);
    const expected = await oracle.topValues(request as TopValuesRequest);

    expect({ counted: got.counted, distinct: got.distinct }).toEqual({
      counted: expected.counted,
      distinct: expected.distinct,
    });
    // The contract: every value counted at least as often as the limit-th, count descending.
    expect(keyed(got)).toEqual(keyed(atLeastTheLimitth(expected, request.limit)));
    expect(got.values.map((v) => v.count)).toEqual([...got.values.map((v) => v.count)].sort((a, b) => b - a));
    expect(rankValues(got.values, request.limit)).toEqual(rankValues(expected.values, request.limit));
  });

  it('when the same value is stored as a string, a number and a boolean, then they are three values', async () => {
    const { values } = await reader.topValues({
      field: 'metadata.query',
      types: ['SEARCH'],
      from: day(-1),
      to: day(SPAN_DAYS + 1),
      limit: 100,
    });

    const queried = values.map((v) => v.value);
    expect(queried).toEqual(expect.arrayContaining(['1', 1, 1.5, 'true', true, '']));
    expect(queried.some((value) => typeof value === 'object')).toBe(false);
  });

  it('when many values tie at the limit-th count, then all of them come back, in two walks', async () => {
    const before = queries.pipelines;
    const got = await reader.topValues({ field: 'userId', from: day(33), to: day(34), limit: 1 });

    expect(queries.pipelines - before).toBe(2);
    expect(got.values.length).toBeGreaterThan(1);
    expect(new Set(got.values.map((v) => v.count)).size).toBe(1);
  });

  it('when nothing is counted, then one walk answers, with no values', async () => {
    const before = queries.pipelines;
    const got = await reader.topValues({
      field: 'metadata.query',
      types: ['LOGIN'],
      from: day(0),
      to: day(9),
      limit: 5,
    });

    expect(got).toEqual({ values: [], counted: 0, distinct: 0 });
    expect(queries.pipelines - before).toBe(1);
  });
});

describe('MongoInsightsReader over mingo: funnel events', () => {
  const shapes = RANGES.flatMap(([range, from, to]) =>
    [undefined, 'u-7'].map((userId) => ({
      name: `${range}${userId ? ', one user' : ''}`,
      request: {
        types: ['SIGNUP', 'SEARCH', 'PAGE_VIEW', 'PURCHASE'],
        from,
        to,
        fields: ['metadata.query', 'metadata.page', 'metadata.page.path', 'metadata.plan'] as const,
        upTo: 1_000_000,
        ...(userId ? { userId } : {}),
      },
    })),
  );

  it.each(shapes)('when funnel events are read ($name), then they are the brute force’s', async ({ request }) => {
    const got = await reader.funnelEvents(request);
    const expected = await oracle.funnelEvents(request);

    expect(byEventId(got)).toEqual(byEventId(expected));
  });

  it('when more events than upTo are stored, then upTo + 1 come back, so the use case can refuse', async () => {
    const got = await reader.funnelEvents({
      types: ['SEARCH', 'LOGIN'],
      from: day(0),
      to: day(SPAN_DAYS),
      fields: [],
      upTo: 100,
    });

    expect(got).toHaveLength(101);
  });
});

describe('MongoInsightsReader: the pieces', () => {
  it('when the store fails, then each insight is a retriable 503', async () => {
    const failing = new MongoInsightsReader({
      aggregate: async () => Promise.reject(new Error('connection reset')),
      find: async () => Promise.reject(new Error('connection reset')),
    });
    const range = { from: day(0), to: day(1) };

    for (const call of [
      failing.activeUsers({ ...range, bucket: 'day' }),
      failing.topValues({ ...range, field: 'type', limit: 5 }),
      failing.funnelEvents({ ...range, types: ['LOGIN'], fields: [], upTo: 10 }),
    ]) {
      expect(await domainErrorOf(call)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retriable: true });
    }
  });

  it('when a field is not a rankable path, then no pipeline is built with it', async () => {
    await expect(
      reader.topValues({ field: 'metadata.$where' as RankableField, from: day(0), to: day(1), limit: 5 }),
    ).rejects.toThrow('is not a rankable field');
  });

  it('when a field and its prefix are both compared, then only the prefix is projected (MongoDB refuses both)', () => {
    expect(funnelProjection(['metadata.page.path', 'metadata.page', 'metadata.query', 'metadata.query'])).toEqual({
      _id: 0,
      userId: 1,
      type: 1,
      occurredAt: 1,
      eventId: 1,
      'metadata.page': 1,
      'metadata.query': 1,
    });
  });

  it('when a path crosses an array or ends on no scalar, then it holds no value', () => {
    const doc = { metadata: { page: [{ path: '/' }], n: 0, f: false, o: { x: null }, s: '' } };
    expect(scalarAt(doc, 'metadata.page.path')).toBeUndefined();
    expect(scalarAt(doc, 'metadata.o.x')).toBeUndefined();
    expect(scalarAt(doc, 'metadata.o')).toBeUndefined();
    expect(scalarAt(doc, 'metadata.toString')).toBeUndefined();
    expect([scalarAt(doc, 'metadata.n'), scalarAt(doc, 'metadata.f'), scalarAt(doc, 'metadata.s')]).toEqual([
      0,
      false,
      '',
    ]);
  });

  it('when top values of metadata are asked without a user, then anonymous events are matched too; user ids are not', () => {
    const range = { from: day(0), to: day(1) };
    expect(insightsMatch(range, 'everyone')).toEqual({ occurredAt: { $gte: range.from, $lt: range.to } });
    expect(insightsMatch({ ...range, types: ['SEARCH', 'SEARCH'] })).toEqual({
      occurredAt: { $gte: range.from, $lt: range.to },
      type: 'SEARCH',
      userId: { $type: 'string' },
    });
  });
});

function atLeastTheLimitth(counts: TopValuesCounts, limit: number): TopValuesCounts {
  const sorted = counts.values.map((v) => v.count).sort((a, b) => b - a);
  const least = sorted[Math.min(limit, sorted.length) - 1] ?? 0;
  return { ...counts, values: counts.values.filter((v) => v.count >= least) };
}

function keyed(counts: TopValuesCounts): Record<string, number> {
  return Object.fromEntries(counts.values.map((v) => [JSON.stringify(v.value), v.count]));
}

function byEventId(events: FunnelEvent[]): FunnelEvent[] {
  return [...events].sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
}
