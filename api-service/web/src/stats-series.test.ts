import type { ActivityStats } from './api.types';
import { toSeries } from './stats-series';

const aStats = (overrides: Partial<ActivityStats>): ActivityStats => ({
  from: '2026-01-01T10:00:30.000Z',
  to: '2026-01-01T10:05:00.000Z',
  bucket: 'minute',
  start: '2026-01-01T10:00:00.000Z',
  bucketCount: 5,
  types: ['LOGIN', 'SEARCH'],
  series: { LOGIN: [0, 2, 0, 1, 0], SEARCH: [0, 0, 0, 4, 0] },
  totals: { LOGIN: 3, SEARCH: 4 },
  total: 7,
  source: 'rollups',
  exact: true,
  ...overrides,
});

describe('toSeries', () => {
  it('when the answer has a series per type, then every bucket is a point at its start, in seconds', () => {
    const { xs, ys } = toSeries(aStats({}), ['LOGIN', 'SEARCH']);

    const t0 = Date.parse('2026-01-01T10:00:00.000Z') / 1000;
    expect(xs).toEqual([t0, t0 + 60, t0 + 120, t0 + 180, t0 + 240]);
    expect(ys).toEqual([
      [0, 2, 0, 1, 0],
      [0, 0, 0, 4, 0],
    ]);
  });

  it('when a type is drawn that the answer does not list, then its series is zeros on the same grid', () => {
    const { xs, ys } = toSeries(
      aStats({ bucket: 'hour', start: '2026-01-01T10:00:00.000Z', bucketCount: 2, series: { LOGIN: [3, 0] } }),
      ['LOGIN', 'PURCHASE'],
    );

    expect(xs.map((x) => new Date(x * 1000).toISOString().slice(11, 16))).toEqual(['10:00', '11:00']);
    expect(ys).toEqual([
      [3, 0],
      [0, 0],
    ]);
  });
});
