import { bucketCountOf, compareActivityTypes, StatsTally } from './activity-stats';

const t = (iso: string) => new Date(iso);

describe('stats buckets', () => {
  it('when a range is not aligned, then the partial first and last buckets are counted', () => {
    expect(bucketCountOf(t('2026-01-01T10:00:30Z'), t('2026-01-01T10:02:00Z'), 'minute')).toBe(2);
    expect(bucketCountOf(t('2026-01-01T10:00:30Z'), t('2026-01-01T10:02:00.001Z'), 'minute')).toBe(3);
    expect(bucketCountOf(t('2026-01-01T10:00:00Z'), t('2026-01-08T10:00:00Z'), 'minute')).toBe(10_080);
    expect(bucketCountOf(t('2026-01-01T23:59:59Z'), t('2026-01-02T00:00:01Z'), 'day')).toBe(2);
  });

  it('when events are tallied, then each lands in the UTC bucket containing it, whatever offset it was written with', () => {
    const tally = new StatsTally(t('2026-03-28T12:00:00Z'), t('2026-03-30T00:00:00Z'), 'day');
    tally.add(t('2026-03-29T01:30:00+02:00'), 'LOGIN'); // 2026-03-28T23:30Z
    tally.add(t('2026-03-29T00:00:00Z'), 'LOGIN');
    tally.add(t('2026-03-29T23:59:59.999Z'), 'SEARCH');
    const result = tally.result();
    expect(result.start).toEqual(t('2026-03-28T00:00:00Z'));
    expect(result.bucketCount).toBe(2);
    expect(result.series).toEqual({ LOGIN: [1, 1], SEARCH: [0, 1] });
    expect(result.totals).toEqual({ LOGIN: 2, SEARCH: 1 });
    expect(result.total).toBe(3);
  });

  it('when types are asked for, then others are left out and asked types without events are all zeros', () => {
    const tally = new StatsTally(t('2026-01-01T10:00:00Z'), t('2026-01-01T12:00:00Z'), 'hour', ['SEARCH', 'PURCHASE']);
    tally.add(t('2026-01-01T10:00:00Z'), 'LOGIN');
    tally.add(t('2026-01-01T11:59:59Z'), 'SEARCH', 4);
    const result = tally.result();
    expect(result.types).toEqual(['SEARCH', 'PURCHASE']);
    expect(result.series).toEqual({ SEARCH: [0, 4], PURCHASE: [0, 0] });
    expect(result.totals).toEqual({ SEARCH: 4, PURCHASE: 0 });
  });

  it("when an hour's minute counts are added, then each minute lands in its bucket, and minutes past the range throw", () => {
    const minutes = Array.from({ length: 60 }, (_, i) => i + 1);
    const hour = t('2026-01-01T10:00:00Z').getTime();
    const byMinute = new StatsTally(t('2026-01-01T10:58:00Z'), t('2026-01-01T11:00:00Z'), 'minute');
    byMinute.addMinutes(hour, 'LOGIN', minutes, 58, 60);
    expect(byMinute.result().series).toEqual({ LOGIN: [59, 60] });
    const byHour = new StatsTally(t('2026-01-01T10:30:00Z'), t('2026-01-01T11:00:00Z'), 'hour');
    byHour.addMinutes(hour, 'LOGIN', minutes, 30, 60);
    expect(byHour.result().series).toEqual({ LOGIN: [(31 + 60) * 15] });
    expect(() => byMinute.addMinutes(hour, 'LOGIN', minutes, 57, 60)).toThrow(RangeError);
    expect(() => byHour.addMinutes(hour + 3_600_000, 'LOGIN', minutes, 0, 1)).toThrow(RangeError);
  });

  it('when a type registered at runtime is counted, then it gets a series and a total like a built-in one', () => {
    const tally = new StatsTally(t('2026-01-01T10:00:00Z'), t('2026-01-01T12:00:00Z'), 'hour');
    tally.add(t('2026-01-01T10:15:00Z'), 'VIDEO_PLAY', 2);
    tally.addMinutes(t('2026-01-01T11:00:00Z').getTime(), 'VIDEO_PLAY', new Array<number>(60).fill(1), 0, 60);
    tally.add(t('2026-01-01T11:00:00Z'), 'LOGIN');
    const result = tally.result();
    expect(result.types).toEqual(['LOGIN', 'VIDEO_PLAY']);
    expect(result.series).toEqual({ LOGIN: [0, 1], VIDEO_PLAY: [2, 60] });
    expect(result.totals).toEqual({ LOGIN: 1, VIDEO_PLAY: 62 });
    expect(result.total).toBe(63);
  });

  it('when built-in and other types are counted in any order, then built-ins come first as declared, then the others by name', () => {
    const all = new StatsTally(t('2026-01-01T10:00:00Z'), t('2026-01-01T11:00:00Z'), 'hour');
    for (const type of ['VIDEO_PLAY', 'PURCHASE', 'INVITE_SENT', 'LOGIN', 'A1'])
      all.add(t('2026-01-01T10:00:00Z'), type);
    expect(all.result().types).toEqual(['LOGIN', 'PURCHASE', 'A1', 'INVITE_SENT', 'VIDEO_PLAY']);
    expect(['B', 'SEARCH', 'A', 'LOGIN'].sort(compareActivityTypes)).toEqual(['LOGIN', 'SEARCH', 'A', 'B']);
  });

  it('when a type is asked for that has no events, whether built in or not, then it is listed with zeros', () => {
    const tally = new StatsTally(t('2026-01-01T10:00:00Z'), t('2026-01-01T12:00:00Z'), 'hour', ['VIDEO_PLAY', 'LOGIN']);
    const result = tally.result();
    expect(result.types).toEqual(['LOGIN', 'VIDEO_PLAY']);
    expect(result.series).toEqual({ LOGIN: [0, 0], VIDEO_PLAY: [0, 0] });
    expect(result.totals).toEqual({ LOGIN: 0, VIDEO_PLAY: 0 });
  });

  it('when a count falls outside the range tallied, then it throws instead of landing in a wrong bucket', () => {
    const tally = new StatsTally(t('2026-01-01T10:00:30Z'), t('2026-01-01T10:02:00Z'), 'minute');
    expect(() => tally.add(t('2026-01-01T09:59:59Z'), 'LOGIN')).toThrow(RangeError);
    expect(() => tally.add(t('2026-01-01T10:02:00Z'), 'LOGIN')).toThrow(RangeError);
    tally.add(t('2026-01-01T10:00:00Z'), 'LOGIN'); // the partial first bucket starts before from
    expect(tally.result().series).toEqual({ LOGIN: [1, 0] });
  });
});
