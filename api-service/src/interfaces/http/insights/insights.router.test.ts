import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../../app';
import { IngestActivityUseCase } from '../../../application/ingest-activity.use-case';
import { InsightsUseCase } from '../../../application/insights.use-case';
import type { ActivityRecord } from '../../../application/ports/activity-reader.port';
import { staticKeyRing } from '../../../domain/access/key-ring';
import { hashApiKey, parseApiKeys } from '../../../domain/api-key';
import { anActivityRecord } from '../../../testing/in-memory-activity.reader';
import { InMemoryInsightsReader } from '../../../testing/in-memory-insights.reader';
import { TEST_APP_CONFIG, TEST_INGEST_CONFIG, TEST_RECEIPTS } from '../../../testing/test-app';
import { ActiveUsersDtoSchema, FunnelDtoSchema, INSIGHTS_PATHS, TopValuesDtoSchema } from './insights.router';

const NOW = new Date('2026-01-10T12:00:00.000Z');
const at = (iso: string) => new Date(iso);

const records: ActivityRecord[] = [
  anActivityRecord({ userId: 'ann', type: 'SIGNUP', occurredAt: at('2026-01-05T09:00:00Z') }),
  anActivityRecord({
    userId: 'ann',
    type: 'SEARCH',
    occurredAt: at('2026-01-05T09:01:00Z'),
    metadata: { query: 'shoes, red' },
  }),
  anActivityRecord({ userId: 'ann', type: 'PURCHASE', occurredAt: at('2026-01-05T09:03:00Z'), metadata: {} }),
  anActivityRecord({ userId: 'bob', type: 'SIGNUP', occurredAt: at('2026-01-06T10:00:00Z') }),
  anActivityRecord({
    userId: 'bob',
    type: 'SEARCH',
    occurredAt: at('2026-01-06T10:05:00Z'),
    metadata: { query: 'hats' },
  }),
  anActivityRecord({
    userId: undefined,
    anonymousId: 'anon-1',
    type: 'SEARCH',
    occurredAt: at('2026-01-06T11:00:00Z'),
    metadata: { query: 'hats' },
  }),
];

const KEYS = { read: 'key-read-only', ingest: 'key-ingest-only' };

function appWith(options: { reader?: boolean; keys?: boolean } = {}) {
  const insights = new InsightsUseCase(
    { retentionDays: 0 },
    {
      ...(options.reader === false ? {} : { reader: new InMemoryInsightsReader([...records]) }),
      types: { current: (name) => (name === 'SEARCH' ? { rankableFields: ['metadata.query'] } : undefined) },
      now: () => NOW,
    },
  );
  return createApp({
    logger: pino({ level: 'silent' }),
    ingest: new IngestActivityUseCase(TEST_INGEST_CONFIG, {
      publisher: { publish: async () => [] },
      receipts: TEST_RECEIPTS,
    }),
    insights,
    readiness: [],
    config: {
      ...TEST_APP_CONFIG,
      ...(options.keys
        ? {
            security: {
              apiKeys: staticKeyRing(
                parseApiKeys(`${hashApiKey(KEYS.read)}:read,${hashApiKey(KEYS.ingest)}:ingest`).entries,
              ),
              publicPaths: [],
              rateLimit: { windowMs: 60_000, max: 0 },
              corsOrigins: [],
            },
          }
        : {}),
    },
  });
}

describe('GET /api/v1/insights/active-users', () => {
  it('when asked for days, then it answers every day of the widened range with its distinct users', async () => {
    const res = await request(appWith())
      .get(INSIGHTS_PATHS.activeUsers)
      .query({ from: '2026-01-05T08:00:00Z', to: '2026-01-07T23:00:00Z', type: 'SIGNUP,SEARCH' })
      .expect(200);
    expect(ActiveUsersDtoSchema.parse(res.body)).toEqual({
      from: '2026-01-05T00:00:00.000Z',
      to: '2026-01-08T00:00:00.000Z',
      bucket: 'day',
      types: ['SIGNUP', 'SEARCH'],
      buckets: [
        { start: '2026-01-05T00:00:00.000Z', end: '2026-01-06T00:00:00.000Z', users: 1 },
        { start: '2026-01-06T00:00:00.000Z', end: '2026-01-07T00:00:00.000Z', users: 1 },
        { start: '2026-01-07T00:00:00.000Z', end: '2026-01-08T00:00:00.000Z', users: 0 },
      ],
      total: 2,
      stickiness: 0.3333,
      exact: true,
    });
  });

  it('when asked for weeks, then the first week is clipped to from and the weeks start on Monday', async () => {
    const res = await request(appWith())
      .get(INSIGHTS_PATHS.activeUsers)
      .query({ from: '2026-01-01T00:00:00Z', to: '2026-01-12T00:00:00Z', bucket: 'week' })
      .expect(200);
    expect(res.body.buckets).toEqual([
      { start: '2026-01-01T00:00:00.000Z', end: '2026-01-05T00:00:00.000Z', users: 0 },
      { start: '2026-01-05T00:00:00.000Z', end: '2026-01-12T00:00:00.000Z', users: 2 },
    ]);
  });
});

describe('GET /api/v1/insights/top', () => {
  it('when a declared metadata field is ranked, then values come with counts and shares, visitors included', async () => {
    const res = await request(appWith())
      .get(INSIGHTS_PATHS.top)
      .query({ field: 'metadata.query', type: 'SEARCH', from: '2026-01-01T00:00:00Z' })
      .expect(200);
    expect(TopValuesDtoSchema.parse(res.body)).toEqual({
      field: 'metadata.query',
      from: '2026-01-01T00:00:00.000Z',
      to: NOW.toISOString(),
      types: ['SEARCH'],
      values: [
        { value: 'hats', count: 2, share: 0.6667 },
        { value: 'shoes, red', count: 1, share: 0.3333 },
      ],
      counted: 3,
      distinct: 2,
      exact: true,
    });
  });

  it('when the most active users are ranked with a limit, then only userIds count, cut at the limit', async () => {
    const res = await request(appWith())
      .get(INSIGHTS_PATHS.top)
      .query({ field: 'userId', from: '2026-01-01T00:00:00Z', limit: '1' })
      .expect(200);
    expect(res.body).toMatchObject({ values: [{ value: 'ann', count: 3, share: 0.6 }], counted: 5, distinct: 2 });
  });
});

describe('GET /api/v1/insights/funnel', () => {
  it('when steps carry an equality whose value holds a comma, then the funnel counts it and echoes it', async () => {
    const res = await request(appWith())
      .get(INSIGHTS_PATHS.funnel)
      .query({
        steps: 'SIGNUP,SEARCH[metadata.query=shoes, red],PURCHASE',
        within: 'PT1H',
        from: '2026-01-01T00:00:00Z',
      })
      .expect(200);
    expect(FunnelDtoSchema.parse(res.body)).toEqual({
      from: '2026-01-01T00:00:00.000Z',
      to: NOW.toISOString(),
      within: 'PT1H',
      steps: [
        { index: 1, type: 'SIGNUP', users: 2, conversionFromPrevious: 1, conversionFromFirst: 1, dropOff: 0 },
        {
          index: 2,
          type: 'SEARCH',
          where: { 'metadata.query': 'shoes, red' },
          users: 1,
          conversionFromPrevious: 0.5,
          conversionFromFirst: 0.5,
          dropOff: 1,
          medianMsFromPrevious: 60_000,
          p90MsFromPrevious: 60_000,
        },
        {
          index: 3,
          type: 'PURCHASE',
          users: 1,
          conversionFromPrevious: 1,
          conversionFromFirst: 0.5,
          dropOff: 0,
          medianMsFromPrevious: 120_000,
          p90MsFromPrevious: 120_000,
        },
      ],
      overallConversion: 0.5,
      exact: true,
    });
  });
});

describe('insights: refused requests', () => {
  it.each([
    [INSIGHTS_PATHS.activeUsers, { userId: 'ann' }, 'userId', undefined],
    [INSIGHTS_PATHS.activeUsers, { bucket: 'hour' }, 'bucket', undefined],
    [INSIGHTS_PATHS.activeUsers, { from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' }, 'from', 'range-order'],
    [
      INSIGHTS_PATHS.activeUsers,
      { from: '2025-01-01T00:00:00Z', to: '2026-01-03T00:00:00Z' },
      'from',
      'insights-range',
    ],
    [INSIGHTS_PATHS.activeUsers, { type: 'search' }, 'type.0', undefined],
    [INSIGHTS_PATHS.top, {}, 'field', undefined],
    [INSIGHTS_PATHS.top, { field: 'context.ip' }, 'field', undefined],
    [INSIGHTS_PATHS.top, { field: 'metadata.query' }, 'field', 'insights-field'],
    [INSIGHTS_PATHS.top, { field: 'metadata.path', type: 'SEARCH' }, 'field', 'insights-field'],
    [INSIGHTS_PATHS.top, { field: 'type', limit: '101' }, 'limit', undefined],
    [INSIGHTS_PATHS.top, { field: ['type', 'userId'] }, 'field', undefined],
    [INSIGHTS_PATHS.top, { field: 'type', 'type[$ne]': 'x' }, 'type[$ne]', undefined],
    [INSIGHTS_PATHS.funnel, {}, 'steps', undefined],
    [INSIGHTS_PATHS.funnel, { steps: 'SIGNUP' }, 'steps', 'funnel-steps'],
    [INSIGHTS_PATHS.funnel, { steps: 'SIGNUP,SEARCH[query=x]' }, 'steps', undefined],
    [INSIGHTS_PATHS.funnel, { steps: 'SIGNUP,SEARCH[metadata.q=1;metadata.q=2]' }, 'steps', 'funnel-steps'],
    [INSIGHTS_PATHS.funnel, { steps: 'A,B', within: 'P91D' }, 'within', 'funnel-window'],
    [INSIGHTS_PATHS.funnel, { steps: 'A,B', within: 'PT30S' }, 'within', undefined],
    [INSIGHTS_PATHS.funnel, { steps: 'A,B', type: 'A' }, 'type', undefined],
  ])('when %s gets %j, then it is a 400 problem naming %s (rule %s)', async (path, query, field, rule) => {
    const res = await request(appWith()).get(path).query(query).expect(400);
    expect(res.type).toBe('application/problem+json');
    expect(res.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: field, ...(rule ? { rule } : {}) })]),
    );
    if (!rule) expect(res.body.errors.every((e: { rule?: string }) => e.rule === undefined)).toBe(true);
  });

  it.each(Object.values(INSIGHTS_PATHS))(
    'when %s is asked of a store without an insights path, then it is a 503 without Retry-After',
    async (path) => {
      const res = await request(appWith({ reader: false }))
        .get(path)
        .query(path === INSIGHTS_PATHS.top ? { field: 'type' } : path === INSIGHTS_PATHS.funnel ? { steps: 'A,B' } : {})
        .expect(503);
      expect(res.type).toBe('application/problem+json');
      expect(res.body.detail).toContain('FERRETDB_POSTGRES_URL');
      expect(res.headers['retry-after']).toBeUndefined();
    },
  );

  it.each([
    [INSIGHTS_PATHS.activeUsers, {}],
    [INSIGHTS_PATHS.top, { field: 'type' }],
    [INSIGHTS_PATHS.funnel, { steps: 'SIGNUP,SEARCH' }],
  ])(
    'when %s is asked with an ingest-only key, then it is a 403; with a read key, then it is answered',
    async (path, query) => {
      const app = appWith({ keys: true });
      await request(app).get(path).query(query).set('X-API-Key', KEYS.ingest).expect(403);
      await request(app).get(path).query(query).set('X-API-Key', KEYS.read).expect(200);
    },
  );

  it('when a path is posted to, then it is a 405: insights only read', async () => {
    await request(appWith()).post(INSIGHTS_PATHS.funnel).send({}).expect(405);
  });
});
