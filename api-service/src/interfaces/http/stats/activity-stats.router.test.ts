import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../../app';
import { ActivityStatsUseCase } from '../../../application/activity-stats.use-case';
import { IngestActivityUseCase } from '../../../application/ingest-activity.use-case';
import { anActivityRecord, InMemoryActivityReader } from '../../../testing/in-memory-activity.reader';
import { InMemoryRollupReader } from '../../../testing/in-memory-rollup.reader';
import { TEST_APP_CONFIG, TEST_INGEST_CONFIG, TEST_RECEIPTS } from '../../../testing/test-app';
import { ActivityStatsDtoSchema, STATS_PATH, toStatsQuery } from './activity-stats.router';

const records = [
  anActivityRecord({ occurredAt: new Date('2026-01-01T10:00:10Z'), type: 'LOGIN' }),
  anActivityRecord({ occurredAt: new Date('2026-01-01T10:00:50Z'), type: 'SEARCH' }),
  anActivityRecord({ occurredAt: new Date('2026-01-01T10:02:00Z'), type: 'LOGIN', userId: 'bob' }),
  anActivityRecord({ occurredAt: new Date('2026-01-01T10:03:00Z'), type: 'VIDEO_PLAY' }),
  anActivityRecord({ occurredAt: new Date('2026-01-01T10:03:30Z'), type: 'VIDEO_PLAY', sourceId: 'ios' }),
];

function appWith() {
  const reader = new InMemoryActivityReader([...records]);
  return createApp({
    logger: pino({ level: 'silent' }),
    ingest: new IngestActivityUseCase(TEST_INGEST_CONFIG, {
      publisher: { publish: async () => [] },
      receipts: TEST_RECEIPTS,
    }),
    stats: new ActivityStatsUseCase({ retentionDays: 0 }, { reader, rollups: new InMemoryRollupReader(records) }),
    readiness: [],
    config: TEST_APP_CONFIG,
  });
}

describe('GET /api/v1/activities/stats', () => {
  it('when asked for minute buckets with a type list, then it answers the documented shape, one dense series per type', async () => {
    const res = await request(appWith())
      .get(STATS_PATH)
      .query({ from: '2026-01-01T10:00:30Z', to: '2026-01-01T11:00:00Z', bucket: 'minute', type: 'LOGIN,SEARCH' })
      .expect(200);
    expect(ActivityStatsDtoSchema.parse(res.body)).toEqual({
      from: '2026-01-01T10:00:30.000Z',
      to: '2026-01-01T11:00:00.000Z',
      bucket: 'minute',
      start: '2026-01-01T10:00:00.000Z',
      bucketCount: 60,
      types: ['LOGIN', 'SEARCH'],
      series: {
        LOGIN: [0, 0, 1, ...new Array<number>(57).fill(0)],
        SEARCH: [1, ...new Array<number>(59).fill(0)],
      },
      totals: { LOGIN: 1, SEARCH: 1 },
      total: 2,
      source: 'rollups',
      exact: true,
    });
  });

  it('when filtered by userId, then the counts come from the events', async () => {
    const res = await request(appWith())
      .get(STATS_PATH)
      .query({ from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', userId: 'bob', bucket: 'day' })
      .expect(200);
    expect(res.body).toMatchObject({ source: 'events', total: 1, totals: { LOGIN: 1 } });
  });

  it('when filtered by sourceId, then the counts come from that source’s events', async () => {
    const res = await request(appWith())
      .get(STATS_PATH)
      .query({ from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', sourceId: 'ios', bucket: 'day' })
      .expect(200);
    expect(res.body).toMatchObject({ source: 'events', total: 1, totals: { VIDEO_PLAY: 1 } });
  });

  it('when a type registered at runtime has events, then it has a series and a total after the built-ins', async () => {
    const res = await request(appWith())
      .get(STATS_PATH)
      .query({ from: '2026-01-01T10:00:00Z', to: '2026-01-01T10:05:00Z', bucket: 'minute' })
      .expect(200);
    expect(ActivityStatsDtoSchema.parse(res.body)).toMatchObject({
      types: ['LOGIN', 'SEARCH', 'VIDEO_PLAY'],
      series: { VIDEO_PLAY: [0, 0, 0, 2, 0] },
      totals: { LOGIN: 2, SEARCH: 1, VIDEO_PLAY: 2 },
      total: 5,
    });
    const only = await request(appWith())
      .get(STATS_PATH)
      .query({
        from: '2026-01-01T10:00:00Z',
        to: '2026-01-01T10:05:00Z',
        bucket: 'hour',
        type: 'VIDEO_PLAY,NEVER_SENT',
      })
      .expect(200);
    expect(only.body).toMatchObject({
      types: ['NEVER_SENT', 'VIDEO_PLAY'],
      series: { NEVER_SENT: [0], VIDEO_PLAY: [2] },
      total: 2,
    });
  });

  it.each([
    [{ bucket: 'week' }, 'bucket'],
    [{ bucket: ['minute', 'hour'] }, 'bucket'],
    [{ from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' }, 'from'],
    [{ from: 'yesterday' }, 'from'],
    [{ from: '2026-01-01T00:00:00Z', to: '2026-01-08T00:00:01Z', bucket: 'minute' }, 'bucket'],
    [{ type: 'login' }, 'type.0'],
    [{ type: 'LOGIN,VIDEO-PLAY' }, 'type.1'],
    [{ limit: '5' }, 'limit'],
    [{ 'userId[$ne]': 'x' }, 'userId[$ne]'],
    [{ sourceId: 'Web' }, 'sourceId'],
    [{ sourceId: ['web', 'ios'] }, 'sourceId'],
  ])('when the query is %j, then it is a 400 problem naming %s', async (query, path) => {
    const res = await request(appWith()).get(STATS_PATH).query(query).expect(400);
    expect(res.type).toBe('application/problem+json');
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
  });

  it('when from and to are absent, then the range is the last 24 h in hour buckets', () => {
    const now = new Date('2026-01-01T12:34:56.789Z');
    expect(toStatsQuery({}, now)).toEqual({ from: new Date('2025-12-31T12:34:56.789Z'), to: now, bucket: 'hour' });
    expect(toStatsQuery({ to: new Date('2026-01-01T00:00:00Z') }, now).from).toEqual(new Date('2025-12-31T00:00:00Z'));
  });

  it('when a range spans exactly 10,080 minutes, then it is accepted', () => {
    const from = new Date('2026-01-01T00:00:00Z');
    const to = new Date('2026-01-08T00:00:00Z');
    expect(toStatsQuery({ from, to, bucket: 'minute' }, to)).toMatchObject({ from, to });
  });
});
