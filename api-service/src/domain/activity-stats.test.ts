import { bucketCountOf, StatsTally } from './activity-stats';

const t = (iso: string) => new Date(iso);

describe('stats buckets', () => {
  it('when a range is not aligned, then the partial first and last buckets are counted', () => {
    expect(bucketCountOf(t('2026-01-01T10:00:30Z'), t('2026-01-01T10:02:00Z'), 'minute')).toBe(2);
    expect(bucketCountOf(t('2026-01-01T10:00:30Z'), t('2026-01-01T10:02:00.001Z'), 'minute')).toBe(3);
    expect(bucketCountOf(t('2026-01-01T10:00:00Z'), t('2026-01-08T10:00:00Z'), 'minute')).toBe(10_080);
    expect(bucketCountOf(t('2026-01-01T23:59:59Z'), t('2026-01-02T00:00:01Z'), 'day')).toBe(2);
  });

  it('when events are tallied, then each lands in the UTC bucket containing it, whatever offset it was written with', () => {
    const tally = new StatsTally('day');
    tally.add(t('2026-03-29T01:30:00+02:00'), 'LOGIN'); // 2026-03-28T23:30Z
    tally.add(t('2026-03-29T00:00:00Z'), 'LOGIN');
    tally.add(t('2026-03-29T23:59:59.999Z'), 'SEARCH');
    const result = tally.result();
    expect(result.buckets.map((b) => [b.start.toISOString(), b.counts, b.total])).toEqual([
      ['2026-03-28T00:00:00.000Z', { LOGIN: 1 }, 1],
      ['2026-03-29T00:00:00.000Z', { LOGIN: 1, SEARCH: 1 }, 2],
    ]);
    expect(result.totals).toEqual({ LOGIN: 2, SEARCH: 1 });
    expect(result.total).toBe(3);
  });

  it('when types are asked for, then others are left out and asked types without events show 0 in totals', () => {
    const tally = new StatsTally('hour', ['SEARCH', 'PURCHASE']);
    tally.add(t('2026-01-01T10:00:00Z'), 'LOGIN');
    tally.add(t('2026-01-01T10:00:00Z'), 'SEARCH', 4);
    const result = tally.result();
    expect(result.types).toEqual(['SEARCH', 'PURCHASE']);
    expect(result.totals).toEqual({ SEARCH: 4, PURCHASE: 0 });
    expect(result.buckets).toHaveLength(1);
  });
});
