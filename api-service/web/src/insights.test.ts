import type { ActiveUsers } from './api.types';
import {
  activeUsersSeries,
  barWidth,
  formatDuration,
  formatShare,
  funnelQuery,
  insightsRange,
  meanDailyUsers,
  stepLabel,
  topQuery,
  valueText,
} from './insights';

const anAnswer = (bucket: ActiveUsers['bucket'], buckets: Array<[string, string, number]>): ActiveUsers => ({
  from: '2026-11-29T00:00:00.000Z',
  to: '2026-12-03T00:00:00.000Z',
  bucket,
  buckets: buckets.map(([start, end, users]) => ({
    start: `${start}T00:00:00.000Z`,
    end: `${end}T00:00:00.000Z`,
    users,
  })),
  total: 9,
  stickiness: 0.5,
  exact: true,
});

describe('insights', () => {
  it('when a range is chosen, then it is that many whole UTC days ending with today', () => {
    expect(insightsRange('7d', Date.parse('2026-12-05T12:29:08Z'))).toEqual({
      from: '2026-11-29T00:00:00.000Z',
      to: '2026-12-06T00:00:00.000Z',
    });
    expect(insightsRange('30d', Date.parse('2026-12-05T00:00:00Z')).to).toBe('2026-12-06T00:00:00.000Z');
  });

  it('when days cross a week and a month edge, then each day carries the users of its own week and month', () => {
    // Sunday 29 November to Wednesday 2 December: the week turns on Monday the 30th, the month on the 1st.
    const day = anAnswer('day', [
      ['2026-11-29', '2026-11-30', 3],
      ['2026-11-30', '2026-12-01', 4],
      ['2026-12-01', '2026-12-02', 0],
      ['2026-12-02', '2026-12-03', 5],
    ]);
    const week = anAnswer('week', [
      ['2026-11-29', '2026-11-30', 3],
      ['2026-11-30', '2026-12-03', 7],
    ]);
    const month = anAnswer('month', [
      ['2026-11-29', '2026-12-01', 6],
      ['2026-12-01', '2026-12-03', 5],
    ]);

    const series = activeUsersSeries(day, week, month);

    expect(series.xs.map((x) => new Date(x * 1000).toISOString().slice(0, 10))).toEqual([
      '2026-11-29',
      '2026-11-30',
      '2026-12-01',
      '2026-12-02',
    ]);
    expect(series.dau).toEqual([3, 4, 0, 5]);
    expect(series.wau).toEqual([3, 7, 7, 7]);
    expect(series.mau).toEqual([6, 6, 5, 5]);
    expect(meanDailyUsers(day)).toBe(3);
    expect(meanDailyUsers(anAnswer('day', []))).toBe(0);
  });

  it('when numbers are shown, then shares are percentages and times read in two units at most', () => {
    expect(formatShare(0.0914)).toBe('9.14%');
    expect(formatShare(1)).toBe('100%');
    expect(formatShare(0)).toBe('0%');
    expect(formatDuration(45_000)).toBe('45 s');
    expect(formatDuration(9 * 60_000)).toBe('9 min');
    expect(formatDuration(5_400_000)).toBe('1 h 30 min');
    expect(formatDuration(3_600_000)).toBe('1 h');
    expect(formatDuration(86_400_000 + 3 * 3_600_000 + 59_000)).toBe('1 d 3 h');
    expect(formatDuration(86_400_000 + 59_000)).toBe('1 d');
  });

  it('when values are ranked, then strings show as sent and numbers and booleans as JSON', () => {
    expect(valueText('running shoes')).toBe('running shoes');
    expect(valueText(3)).toBe('3');
    expect(valueText(false)).toBe('false');
  });

  it('when the lists and the funnel ask the API, then the queries carry the field, the steps and the range', () => {
    const range = { from: '2026-11-06T00:00:00.000Z', to: '2026-12-06T00:00:00.000Z' };

    expect(topQuery('metadata.query', 'SEARCH', range, 10)).toEqual({
      field: 'metadata.query',
      type: 'SEARCH',
      limit: 10,
      ...range,
    });
    expect(
      funnelQuery(
        [{ type: 'PAGE_VIEW' }, { type: 'SEARCH', where: { path: 'metadata.query', value: 'shoes' } }],
        'P1D',
        range,
      ),
    ).toEqual({ steps: 'PAGE_VIEW,SEARCH[metadata.query=shoes]', within: 'P1D', ...range });
  });

  it('when a funnel is drawn, then bars are shares of the first step and labels name the equality', () => {
    expect(barWidth(1, 2)).toBe(50);
    expect(barWidth(1, 3)).toBe(33.3);
    expect(barWidth(0, 0)).toBe(0);
    expect(stepLabel({ index: 2, type: 'SEARCH', where: { 'metadata.query': 'shoes' } })).toBe(
      '2. SEARCH where metadata.query = shoes',
    );
    expect(stepLabel({ index: 1, type: 'SIGNUP' })).toBe('1. SIGNUP');
  });
});
