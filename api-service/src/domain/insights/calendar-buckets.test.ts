import { bucketStartOf, calendarBuckets, ceilDay, floorDay, nextBucketStart } from './calendar-buckets';
import { MS_PER_DAY } from './insights-limits';

const at = (iso: string) => Date.parse(iso);
const isoOf = (ms: number) => new Date(ms).toISOString();

describe('calendar buckets', () => {
  it.each([
    ['2026-01-05T00:00:00.000Z', '2026-01-05T00:00:00.000Z'], // a Monday's first millisecond
    ['2026-01-11T23:59:59.999Z', '2026-01-05T00:00:00.000Z'], // that week's Sunday, last millisecond
    ['2026-01-12T00:00:00.000Z', '2026-01-12T00:00:00.000Z'],
    ['2026-01-01T12:00:00.000Z', '2025-12-29T00:00:00.000Z'], // a Thursday: the week began the year before
    ['1970-01-01T00:00:00.000Z', '1969-12-29T00:00:00.000Z'], // before the epoch
    ['1969-12-28T23:00:00.000Z', '1969-12-22T00:00:00.000Z'],
  ])('when %s is bucketed by week, then the week starts on Monday %s (UTC)', (instant, monday) => {
    expect(isoOf(bucketStartOf(at(instant), 'week'))).toBe(monday);
  });

  it('when any instant over eight years is bucketed, then day, week and month agree with the calendar’s own fields', () => {
    let state = 17;
    const random = () => (state = (state * 48_271) % 2_147_483_647) / 2_147_483_647;
    const first = at('2020-01-01T00:00:00Z');
    for (let i = 0; i < 5_000; i++) {
      const ms = first + Math.floor(random() * 8 * 366 * MS_PER_DAY);
      const date = new Date(ms);
      const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()];
      expect([ms, bucketStartOf(ms, 'day')]).toEqual([ms, Date.UTC(y, m, d)]);
      expect([ms, bucketStartOf(ms, 'week')]).toEqual([ms, Date.UTC(y, m, d - ((date.getUTCDay() + 6) % 7))]);
      expect([ms, bucketStartOf(ms, 'month')]).toEqual([ms, Date.UTC(y, m, 1)]);
    }
  });

  it('when months follow each other, then February has 28 or 29 days and December leads to January', () => {
    expect(isoOf(nextBucketStart(at('2024-02-01T00:00:00Z'), 'month'))).toBe('2024-03-01T00:00:00.000Z');
    expect((at('2024-03-01T00:00:00Z') - at('2024-02-01T00:00:00Z')) / MS_PER_DAY).toBe(29);
    expect(isoOf(nextBucketStart(at('2025-12-01T00:00:00Z'), 'month'))).toBe('2026-01-01T00:00:00.000Z');
    expect(isoOf(bucketStartOf(at('2025-02-28T23:59:59.999Z'), 'month'))).toBe('2025-02-01T00:00:00.000Z');
  });

  it('when a range starts mid-week and ends mid-week, then every week meeting it is listed, clipped to it', () => {
    const buckets = calendarBuckets(at('2026-01-01T00:00:00Z'), at('2026-01-14T00:00:00Z'), 'week');
    expect(buckets.map((b) => [isoOf(b.calendarStart), isoOf(b.start), isoOf(b.end)])).toEqual([
      ['2025-12-29T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '2026-01-05T00:00:00.000Z'],
      ['2026-01-05T00:00:00.000Z', '2026-01-05T00:00:00.000Z', '2026-01-12T00:00:00.000Z'],
      ['2026-01-12T00:00:00.000Z', '2026-01-12T00:00:00.000Z', '2026-01-14T00:00:00.000Z'],
    ]);
  });

  it('when a range ends exactly on a bucket boundary, then the bucket starting there is not listed', () => {
    expect(calendarBuckets(at('2026-01-01T00:00:00Z'), at('2026-03-01T00:00:00Z'), 'month')).toHaveLength(2);
    expect(calendarBuckets(at('2026-01-05T00:00:00Z'), at('2026-01-12T00:00:00Z'), 'week')).toHaveLength(1);
    expect(calendarBuckets(at('2026-01-05T00:00:00Z'), at('2026-01-05T00:00:00Z'), 'day')).toEqual([]);
  });

  it('when an instant is floored or ceiled to a day, then a midnight stays as it is', () => {
    expect(isoOf(floorDay(at('2026-01-05T13:00:00Z')))).toBe('2026-01-05T00:00:00.000Z');
    expect(isoOf(ceilDay(at('2026-01-05T00:00:00.001Z')))).toBe('2026-01-06T00:00:00.000Z');
    expect(isoOf(ceilDay(at('2026-01-05T00:00:00Z')))).toBe('2026-01-05T00:00:00.000Z');
  });
});
