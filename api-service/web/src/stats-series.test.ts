import type { ActivityStats } from './api.types';
import { toSeries } from './stats-series';

const aStats = (overrides: Partial<ActivityStats>): ActivityStats => ({
  from: '2026-01-01T10:00:30.000Z',
  to: '2026-01-01T10:05:00.000Z',
  bucket: 'minute',
  types: ['LOGIN', 'SEARCH'],
  buckets: [],
  totals: {},
  total: 0,
  source: 'events',
  ...overrides,
});

describe('toSeries', () => {
  it('when only some buckets have events, then every bucket of the range is a point and empty ones are 0', () => {
    const { xs, ys } = toSeries(
      aStats({
        buckets: [
          { start: '2026-01-01T10:01:00.000Z', counts: { LOGIN: 2 }, total: 2 },
          { start: '2026-01-01T10:03:00.000Z', counts: { LOGIN: 1, SEARCH: 4 }, total: 5 },
        ],
      }),
      ['LOGIN', 'SEARCH'],
    );

    const t0 = Date.parse('2026-01-01T10:00:00.000Z') / 1000;
    expect(xs).toEqual([t0, t0 + 60, t0 + 120, t0 + 180, t0 + 240]);
    expect(ys).toEqual([
      [0, 2, 0, 1, 0],
      [0, 0, 0, 4, 0],
    ]);
  });

  it('when a bucket starts off the grid, then it is kept, in order, with its counts', () => {
    const { xs, ys } = toSeries(
      aStats({
        bucket: 'hour',
        from: '2026-01-01T10:00:00.000Z',
        to: '2026-01-01T12:00:00.000Z',
        buckets: [{ start: '2026-01-01T10:30:00.000Z', counts: { LOGIN: 3 }, total: 3 }],
      }),
      ['LOGIN'],
    );

    expect(xs.map((x) => new Date(x * 1000).toISOString().slice(11, 16))).toEqual(['10:00', '10:30', '11:00']);
    expect(ys).toEqual([[0, 3, 0]]);
  });
});
