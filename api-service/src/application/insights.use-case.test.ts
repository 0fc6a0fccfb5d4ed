import { ActivityTypeCatalog } from '@uap/shared/activity-types';
import type { ActivityType } from '@uap/shared/contract';
import type { ActivityRecord } from './ports/activity-reader.port';
import { InsightsUseCase, type RankableFieldsCatalog } from './insights.use-case';
import { domainErrorOf } from '../testing/domain-error-of';
import { anActivityRecord } from '../testing/in-memory-activity.reader';
import { InMemoryInsightsReader } from '../testing/in-memory-insights.reader';

const DAY = 86_400_000;
const NOW = new Date('2026-04-01T09:00:00.000Z');
const START = Date.parse('2026-01-20T00:00:00Z');

const RANKABLE: Record<string, string[]> = {
  SEARCH: ['metadata.query'],
  PAGE_VIEW: ['metadata.path', 'metadata.url'],
  PURCHASE: ['metadata.path', 'metadata.currency'],
};
const TYPES: RankableFieldsCatalog = {
  current: (name) => (Object.hasOwn(RANKABLE, name) ? { rankableFields: RANKABLE[name] } : undefined),
};

/** Park–Miller: a failure replays from its seed. */
function random(seed: number) {
  let state = seed;
  return () => (state = (state * 48_271) % 2_147_483_647) / 2_147_483_647;
}

/**
 * A few thousand events over 70 days across two month ends, in random order: some users only, some visitors only
 * (anonymousId), values of every JSON kind, and events on the last and first millisecond of weeks and months.
 */
function generatedRecords(seed: number, count: number): ActivityRecord[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const records = Array.from({ length: count }, (_, i) => {
    const type = pick(['LOGIN', 'SIGNUP', 'SEARCH', 'SEARCH', 'PAGE_VIEW', 'PURCHASE'] as const);
    const anonymous = next() < 0.1;
    return anActivityRecord({
      eventId: `${pick(['1', '8', 'e'])}${String(i).padStart(5, '0')}`,
      ...(anonymous ? { userId: undefined, anonymousId: `anon-${Math.floor(next() * 50)}` } : {}),
      ...(anonymous ? {} : { userId: `user-${Math.floor(next() * 150)}` }),
      type,
      // Whole minutes, so that equal occurredAts (ordered by eventId) happen.
      occurredAt: new Date(START + Math.floor(next() * 70 * 24 * 60) * 60_000),
      metadata:
        type === 'SEARCH'
          ? { query: pick(['shoes', 'hats', '10', 10, true, null, { a: 1 }, ['shoes'], 'shoes, red']) }
          : type === 'PAGE_VIEW' || type === 'PURCHASE'
            ? { path: pick(['/', '/pricing', '/docs', 1]), ...(next() < 0.5 ? { url: 'https://x.test/' } : {}) }
            : {},
    });
  });
  const edges = [
    '2026-02-01T23:59:59.999Z', // a Sunday: the last millisecond of a week
    '2026-02-02T00:00:00.000Z', // the Monday after
    '2026-02-28T23:59:59.999Z', // the last millisecond of February
    '2026-03-01T00:00:00.000Z',
  ].map((iso, i) => anActivityRecord({ userId: `edge-${i % 2}`, type: 'LOGIN', occurredAt: new Date(iso) }));
  return [...records, ...edges];
}

const RECORDS = generatedRecords(29, 4_000);

function useCase(
  records: ActivityRecord[] = RECORDS,
  config: { retentionDays?: number; funnelMaxEvents?: number } = {},
) {
  const reader = new InMemoryInsightsReader(records);
  return new InsightsUseCase({ retentionDays: 0, ...config }, { reader, types: TYPES, now: () => NOW });
}

const inRange = (r: ActivityRecord, from: number, to: number) =>
  r.occurredAt.getTime() >= from && r.occurredAt.getTime() < to;
const distinctUsers = (records: readonly ActivityRecord[], from: number, to: number, types?: readonly string[]) =>
  new Set(
    records
      .filter((r) => r.userId !== undefined && inRange(r, from, to) && (!types || types.includes(r.type)))
      .map((r) => r.userId),
  ).size;

describe('active users', () => {
  it.each([
    ['day', undefined],
    ['week', undefined],
    ['month', undefined],
    ['week', ['SEARCH', 'PURCHASE']],
    ['month', ['LOGIN']],
  ] as const)(
    'when bucketed by %s (types %j), then each bucket counts its distinct users, as the events say',
    async (bucket, types) => {
      const answer = await useCase().activeUsers({
        from: new Date('2026-01-25T13:00:00Z'),
        to: new Date('2026-03-20T01:00:00Z'),
        bucket,
        types,
      });

      const from = Date.parse('2026-01-25T00:00:00Z');
      const to = Date.parse('2026-03-21T00:00:00Z');
      expect([answer.from.getTime(), answer.to.getTime()]).toEqual([from, to]);
      // Contiguous, clipped to the range, and starting on the calendar's boundaries.
      expect(answer.buckets[0]!.start.getTime()).toBe(from);
      expect(answer.buckets[answer.buckets.length - 1]!.end.getTime()).toBe(to);
      answer.buckets.forEach((b, i) => {
        if (i > 0) expect(b.start).toEqual(answer.buckets[i - 1]!.end);
        if (i > 0 && bucket === 'week') expect(b.start.getUTCDay()).toBe(1);
        if (i > 0 && bucket === 'month') expect(b.start.getUTCDate()).toBe(1);
      });
      const expected = { day: 55, week: 9, month: 3 }[bucket];
      expect(answer.buckets).toHaveLength(expected);
      expect(answer.buckets.map((b) => b.users)).toEqual(
        answer.buckets.map((b) => distinctUsers(RECORDS, b.start.getTime(), b.end.getTime(), types)),
      );
      expect(answer.total).toBe(distinctUsers(RECORDS, from, to, types));
      let daily = 0;
      for (let day = from; day < to; day += DAY) daily += distinctUsers(RECORDS, day, day + DAY, types);
      expect(answer.stickiness).toBe(Math.round((daily / 55 / answer.total) * 10_000) / 10_000);
      expect(answer.stickiness).toBeGreaterThan(0);
      expect(answer.exact).toBe(true);
      expect(answer.types).toEqual(types);
    },
  );

  it('when users are active on both sides of a week’s and a month’s edge, then each bucket counts them once', async () => {
    const edges = generatedRecords(1, 0);
    const weeks = await useCase(edges).activeUsers({
      from: new Date('2026-01-26T00:00:00Z'),
      to: new Date('2026-02-09T00:00:00Z'),
      bucket: 'week',
    });
    expect(weeks.buckets.map((b) => b.users)).toEqual([1, 1]);
    expect(weeks.total).toBe(2);
    const months = await useCase(edges).activeUsers({
      from: new Date('2026-02-01T00:00:00Z'),
      to: new Date('2026-04-01T00:00:00Z'),
      bucket: 'month',
    });
    expect(months.buckets.map((b) => b.users)).toEqual([2, 1]);
  });

  it('when days have no users, then they are listed with 0, and without any user stickiness is 0', async () => {
    const answer = await useCase().activeUsers({
      from: new Date('2026-03-29T00:00:00Z'),
      to: new Date('2026-04-03T00:00:00Z'),
      bucket: 'day',
    });
    expect(answer.buckets.map((b) => b.users).slice(-3)).toEqual([0, 0, 0]);
    const empty = await useCase([]).activeUsers({ bucket: 'week' });
    expect(empty).toMatchObject({ total: 0, stickiness: 0 });
    expect(empty.buckets.length).toBeGreaterThanOrEqual(5);
    expect(empty.buckets.every((b) => b.users === 0)).toBe(true);
  });

  it('when from and to are absent, then the last 30 whole days up to the next midnight are counted', async () => {
    const answer = await useCase().activeUsers({});
    expect(answer.from.toISOString()).toBe('2026-03-03T00:00:00.000Z');
    expect(answer.to.toISOString()).toBe('2026-04-02T00:00:00.000Z');
    expect(answer.bucket).toBe('day');
    expect(answer.buckets).toHaveLength(30);
  });

  it('when retention keeps 20 days, then from is raised to the first whole day after its horizon', async () => {
    const answer = await useCase(RECORDS, { retentionDays: 20 }).activeUsers({
      from: new Date('2026-01-01T00:00:00Z'),
    });
    expect(answer.from.toISOString()).toBe('2026-03-13T00:00:00.000Z');
    expect(answer.buckets[0]!.start).toEqual(answer.from);
  });

  it('when the reader’s counts do not cover every event, then the answer says exact: false and why', async () => {
    const reader = new InMemoryInsightsReader(RECORDS, 'rollups started after events were stored');
    const answer = await new InsightsUseCase(
      { retentionDays: 0 },
      { reader, types: TYPES, now: () => NOW },
    ).activeUsers({});
    expect(answer).toMatchObject({ exact: false, inexactReason: 'rollups started after events were stored' });
  });
});

/** Counts by definition: every event of the range whose field holds a scalar, grouped by its JSON text. */
function topByDefinition(field: string, from: number, to: number, types?: readonly string[], userId?: string) {
  const counts = new Map<string, number>();
  for (const r of RECORDS) {
    if (!inRange(r, from, to) || (types && !types.includes(r.type)) || (userId && r.userId !== userId)) continue;
    const value =
      field === 'userId' ? r.userId : field === 'type' ? r.type : r.metadata[field.slice('metadata.'.length)];
    if (!['string', 'number', 'boolean'].includes(typeof value)) continue;
    counts.set(JSON.stringify(value), (counts.get(JSON.stringify(value)) ?? 0) + 1);
  }
  return counts;
}

describe('top values', () => {
  const from = new Date('2026-02-01T00:00:00Z');
  const to = new Date('2026-03-01T00:00:00Z');

  it.each([
    ['userId', undefined, 10],
    ['type', undefined, 25],
    ['metadata.query', ['SEARCH'], 25],
    ['metadata.path', ['PAGE_VIEW', 'PURCHASE'], 2],
    ['metadata.url', ['PAGE_VIEW'], 5],
  ] as const)(
    'when %s is ranked (types %j, limit %d), then counts, shares and order are the events’',
    async (field, types, limit) => {
      const answer = await useCase().topValues({ field, from, to, types, limit });

      const counts = topByDefinition(field, from.getTime(), to.getTime(), types);
      const counted = [...counts.values()].reduce((a, b) => a + b, 0);
      const expected = [...counts.entries()]
        .sort(([a, x], [b, y]) => y - x || Buffer.compare(Buffer.from(a), Buffer.from(b)))
        .slice(0, limit)
        .map(([json, count]) => ({
          value: JSON.parse(json),
          count,
          share: Math.round((count / counted) * 10_000) / 10_000,
        }));
      expect(answer).toMatchObject({ field, counted, distinct: counts.size, exact: true });
      expect(answer.values).toEqual(expected);
      expect(answer.values.length).toBe(Math.min(limit, counts.size));
    },
  );

  it('when values tie at the cut, then the tie is broken by JSON text in byte order, not by the store’s order', async () => {
    const records = ['b', 'a', 10, '10', true, 'a'].map((query, i) =>
      anActivityRecord({ type: 'SEARCH', occurredAt: new Date(NOW.getTime() - 1_000 * (i + 1)), metadata: { query } }),
    );
    const answer = await useCase(records).topValues({ field: 'metadata.query', types: ['SEARCH'], limit: 3 });
    expect(answer.values).toEqual([
      { value: 'a', count: 2, share: 0.3333 },
      { value: '10', count: 1, share: 0.1667 },
      { value: 'b', count: 1, share: 0.1667 },
    ]);
    expect(answer).toMatchObject({ counted: 6, distinct: 5 });
  });

  it('when events have only an anonymousId, then they count for type and metadata, not for userId', async () => {
    const records = [
      anActivityRecord({ userId: undefined, anonymousId: 'anon-1', type: 'SEARCH', metadata: { query: 'x' } }),
      anActivityRecord({ userId: 'u', type: 'SEARCH', metadata: { query: 'x' } }),
    ].map((r) => ({ ...r, occurredAt: new Date(NOW.getTime() - 60_000) }));
    const uc = useCase(records);
    expect((await uc.topValues({ field: 'type' })).counted).toBe(2);
    expect((await uc.topValues({ field: 'metadata.query', types: ['SEARCH'] })).counted).toBe(2);
    expect((await uc.topValues({ field: 'userId' })).values).toEqual([{ value: 'u', count: 1, share: 1 }]);
  });

  it('when a userId is given, then only that user’s events are counted', async () => {
    const answer = await useCase().topValues({ field: 'type', from, to, userId: 'user-7' });
    const counts = topByDefinition('type', from.getTime(), to.getTime(), undefined, 'user-7');
    expect(answer.counted).toBe([...counts.values()].reduce((a, b) => a + b, 0));
    expect(answer.counted).toBeGreaterThan(0);
  });

  it('when from and to are absent, then the last 24 h are ranked, 25 values at most', async () => {
    const answer = await useCase().topValues({ field: 'type' });
    expect(answer.from).toEqual(new Date(NOW.getTime() - DAY));
    expect(answer.to).toEqual(NOW);
  });

  it.each([
    ['metadata.query', undefined, 'cannot be ranked without type'],
    ['metadata.query', ['PAGE_VIEW'], 'for PAGE_VIEW: metadata.path, metadata.url'],
    ['metadata.query', ['SEARCH', 'PAGE_VIEW'], 'SEARCH, PAGE_VIEW declare no rankable metadata field in common'],
    ['metadata.path', ['PAGE_VIEW', 'PURCHASE', 'VIDEO_PLAY'], 'declare no rankable metadata field in common'],
    ['metadata.secret', ['PAGE_VIEW', 'PURCHASE'], 'for PAGE_VIEW, PURCHASE: metadata.path'],
    ['context.ip', ['PAGE_VIEW'], 'metadata.path, metadata.url'],
  ])(
    'when %s is asked for types %j, then it is a 400 under insights-field naming what can be ranked',
    async (field, types, says) => {
      const err = await domainErrorOf(useCase().topValues({ field, types: types as ActivityType[] | undefined }));
      expect(err.code).toBe('VALIDATION_FAILED');
      expect(err.errors).toEqual([{ path: 'field', rule: 'insights-field', message: expect.stringContaining(says) }]);
    },
  );
});

/** The funnel read off the records literally: per user, every entry, each next step found by scanning forward. */
function funnelByDefinition(
  steps: ReadonlyArray<{ type: string; where?: Record<string, string> }>,
  from: number,
  to: number,
  withinMs: number,
) {
  const matches = (r: ActivityRecord, step: (typeof steps)[number]) =>
    r.type === step.type &&
    Object.entries(step.where ?? {}).every(([path, value]) => {
      const stored = r.metadata[path.slice('metadata.'.length)];
      return ['string', 'number', 'boolean'].includes(typeof stored) && String(stored) === value;
    });
  const byUser = new Map<string, ActivityRecord[]>();
  for (const r of RECORDS) if (r.userId) byUser.set(r.userId, [...(byUser.get(r.userId) ?? []), r]);
  const reached: number[][] = [];
  for (const own of byUser.values()) {
    own.sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || (a.eventId < b.eventId ? -1 : 1));
    let best: number[] = [];
    own.forEach((entry, e) => {
      if (!matches(entry, steps[0]!) || !inRange(entry, from, to)) return;
      const times = [entry.occurredAt.getTime()];
      let last = e;
      for (let j = 1; j < steps.length; j++) {
        const q = own.findIndex((r, i) => i > last && matches(r, steps[j]!));
        if (q < 0 || own[q]!.occurredAt.getTime() - times[0]! > withinMs) break;
        times.push(own[q]!.occurredAt.getTime());
        last = q;
      }
      if (times.length > best.length) best = times;
    });
    reached.push(best);
  }
  const rank = (values: number[], p: number) => values.sort((a, b) => a - b)[Math.ceil(p * values.length) - 1];
  return steps.map((_, i) => {
    const users = reached.filter((times) => times.length > i);
    const gaps = i === 0 ? [] : users.map((times) => times[i]! - times[i - 1]!);
    return { users: users.length, median: rank([...gaps], 0.5), p90: rank([...gaps], 0.9) };
  });
}

type StepSpec = { type: string; where?: Record<string, string> };

describe('funnels', () => {
  const from = new Date('2026-02-01T00:00:00Z');
  const to = new Date('2026-03-01T00:00:00Z');

  it.each([
    ['SIGNUP,SEARCH,PURCHASE', 'P2D', [{ type: 'SIGNUP' }, { type: 'SEARCH' }, { type: 'PURCHASE' }]],
    [
      'SEARCH,SEARCH[metadata.query=shoes],PAGE_VIEW[metadata.path=1]',
      'P12W6D',
      [
        { type: 'SEARCH' },
        { type: 'SEARCH', where: { 'metadata.query': 'shoes' } },
        { type: 'PAGE_VIEW', where: { 'metadata.path': '1' } },
      ],
    ],
    [
      'LOGIN,SEARCH[metadata.query=10],SEARCH[metadata.query=true],LOGIN',
      'P1W',
      [
        { type: 'LOGIN' },
        { type: 'SEARCH', where: { 'metadata.query': '10' } },
        { type: 'SEARCH', where: { 'metadata.query': 'true' } },
        { type: 'LOGIN' },
      ],
    ],
    [
      'SEARCH[metadata.query=shoes, red],PURCHASE',
      'PT36H',
      [{ type: 'SEARCH', where: { 'metadata.query': 'shoes, red' } }, { type: 'PURCHASE' }],
    ],
  ] as Array<[string, string, StepSpec[]]>)(
    'when %s within %s runs over the events, then every number is the definition’s',
    async (text, within, steps) => {
      const answer = await useCase().funnel({ steps: text, within, from, to });

      const withinMs = { P2D: 2 * DAY, P12W6D: 90 * DAY, P1W: 7 * DAY, PT36H: 1.5 * DAY }[within]!;
      const expected = funnelByDefinition(steps, from.getTime(), to.getTime(), withinMs);
      const ratio = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 10_000) / 10_000);
      expect(answer.steps).toEqual(
        expected.map((step, i) => ({
          index: i + 1,
          type: steps[i]!.type,
          ...(steps[i]!.where ? { where: steps[i]!.where } : {}),
          users: step.users,
          conversionFromPrevious: ratio(step.users, i === 0 ? step.users : expected[i - 1]!.users),
          conversionFromFirst: ratio(step.users, expected[0]!.users),
          dropOff: i === 0 ? 0 : expected[i - 1]!.users - step.users,
          ...(i > 0 && step.median !== undefined
            ? { medianMsFromPrevious: step.median, p90MsFromPrevious: step.p90 }
            : {}),
        })),
      );
      expect(answer.overallConversion).toBe(ratio(expected[expected.length - 1]!.users, expected[0]!.users));
      expect(answer).toMatchObject({ from, to, within, exact: true });
      expect(expected[expected.length - 1]!.users).toBeGreaterThan(0);
      expect(expected[0]!.users).toBeGreaterThan(expected[expected.length - 1]!.users);
    },
  );

  it('when a user enters just before to, then a step exactly `within` later, past to, still counts', async () => {
    const entry = new Date(to.getTime() - 1);
    const records = [
      anActivityRecord({ userId: 'u', type: 'SIGNUP', occurredAt: entry }),
      anActivityRecord({ userId: 'u', type: 'PURCHASE', occurredAt: new Date(entry.getTime() + 30 * 60_000) }),
      anActivityRecord({ userId: 'v', type: 'SIGNUP', occurredAt: entry }),
      anActivityRecord({ userId: 'v', type: 'PURCHASE', occurredAt: new Date(entry.getTime() + 30 * 60_000 + 1) }),
    ];
    const answer = await useCase(records).funnel({ steps: 'SIGNUP,PURCHASE', within: 'PT30M', from, to });
    expect(answer.steps.map((s) => s.users)).toEqual([2, 1]);
    expect(answer.steps[1]).toMatchObject({
      medianMsFromPrevious: 1_800_000,
      p90MsFromPrevious: 1_800_000,
      dropOff: 1,
    });
    expect(answer.overallConversion).toBe(0.5);
  });

  it('when nobody enters, then every conversion is 0 and no step has times', async () => {
    const answer = await useCase([]).funnel({ steps: 'SIGNUP,PURCHASE' });
    expect(answer.steps).toEqual([
      { index: 1, type: 'SIGNUP', users: 0, conversionFromPrevious: 0, conversionFromFirst: 0, dropOff: 0 },
      { index: 2, type: 'PURCHASE', users: 0, conversionFromPrevious: 0, conversionFromFirst: 0, dropOff: 0 },
    ]);
    expect(answer).toMatchObject({ overallConversion: 0, within: 'P7D' });
    expect(answer.from).toEqual(new Date(NOW.getTime() - 7 * DAY));
  });

  it('when a userId is given, then only that user’s events are read', async () => {
    const reader = new InMemoryInsightsReader(RECORDS);
    const uc = new InsightsUseCase({ retentionDays: 0 }, { reader, types: TYPES, now: () => NOW });
    const answer = await uc.funnel({ steps: 'LOGIN,SEARCH', from, to, userId: 'user-3' });
    const entered = RECORDS.some((r) => r.userId === 'user-3' && r.type === 'LOGIN' && inRange(r, +from, +to));
    expect(answer.steps[0]!.users).toBe(entered ? 1 : 0);
    expect(reader.calls).toEqual([
      { method: 'funnelEvents', arg: expect.objectContaining({ userId: 'user-3', types: ['LOGIN', 'SEARCH'] }) },
    ]);
  });

  it('when the steps’ events in [from, to + within) pass the cap, then it is a 400 under funnel-event-cap', async () => {
    const records = Array.from({ length: 5 }, (_, i) =>
      anActivityRecord({ userId: `u${i}`, type: 'LOGIN', occurredAt: new Date(NOW.getTime() - 60_000) }),
    );
    const err = await domainErrorOf(useCase(records, { funnelMaxEvents: 4 }).funnel({ steps: 'LOGIN,SEARCH' }));
    expect(err.errors).toEqual([expect.objectContaining({ path: 'from', rule: 'funnel-event-cap' })]);
    const atCap = await useCase(records, { funnelMaxEvents: 5 }).funnel({ steps: 'LOGIN,SEARCH' });
    expect(atCap.steps[0]!.users).toBe(5);
  });

  it('when the steps and the window are both malformed, then both are reported', async () => {
    const err = await domainErrorOf(useCase().funnel({ steps: 'SIGNUP', within: 'P100D' }));
    expect(err.errors.map((e) => e.rule)).toEqual(['funnel-steps', 'funnel-window']);
  });
});

describe('the registry as the catalog', () => {
  it('when the built-in types are current, then searches and pages can be ranked by what they declare', async () => {
    const reader = new InMemoryInsightsReader(RECORDS);
    const uc = new InsightsUseCase({ retentionDays: 0 }, { reader, types: new ActivityTypeCatalog(), now: () => NOW });
    await expect(uc.topValues({ field: 'metadata.query', types: ['SEARCH'] })).resolves.toMatchObject({ exact: true });
    await expect(uc.topValues({ field: 'metadata.path', types: ['PAGE_VIEW'] })).resolves.toMatchObject({
      exact: true,
    });
    const err = await domainErrorOf(uc.topValues({ field: 'metadata.query', types: ['LOGIN'] }));
    expect(err.errors[0]?.rule).toBe('insights-field');
  });
});

describe('a store without an insights path', () => {
  it.each([
    ['active users', (uc: InsightsUseCase) => uc.activeUsers({})],
    ['top values', (uc: InsightsUseCase) => uc.topValues({ field: 'type' })],
    ['funnels', (uc: InsightsUseCase) => uc.funnel({ steps: 'A,B' })],
  ])('when %s are asked for, then it is a 503 that is not retriable and says what to set', async (_what, ask) => {
    const err = await domainErrorOf(ask(new InsightsUseCase({ retentionDays: 0 }, { types: TYPES })));
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(err.retriable).toBe(false);
    expect(err.message).toContain('FERRETDB_POSTGRES_URL');
  });
});
