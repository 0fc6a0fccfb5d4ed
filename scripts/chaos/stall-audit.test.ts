import { FrozenOffsetRecorder, spanMs, stalledPartitionsIn } from './stall-audit';

const look = (partition: number, committedOffset: number, lag: number) => ({ partition, committedOffset, lag });

/** Samples one second apart from t = 0: each row is one look at every partition. */
function recorded(rows: Array<Array<ReturnType<typeof look>>>): FrozenOffsetRecorder {
  const recorder = new FrozenOffsetRecorder();
  rows.forEach((row, i) => recorder.observe(i * 1_000, row));
  return recorder;
}

describe('FrozenOffsetRecorder', () => {
  it('when the committed offset moves at every look, then no span lasts longer than one look', () => {
    const recorder = recorded([[look(0, 10, 5)], [look(0, 20, 5)], [look(0, 30, 5)]]);
    expect(spanMs(recorder.longest()!)).toBe(0);
  });

  it('when an offset stays put with lag, then the span runs from its first to its last look', () => {
    const recorder = recorded([[look(0, 10, 5)], [look(0, 10, 8)], [look(0, 10, 9)], [look(0, 40, 1)]]);
    expect(recorder.longest()).toEqual({ partition: 0, committedOffset: 10, since: 0, until: 2_000, maxLag: 9 });
  });

  it('when a partition has no lag, then an unmoved offset is not a stall', () => {
    const recorder = recorded([[look(0, 10, 0)], [look(0, 10, 0)], [look(0, 10, 0)]]);
    expect(recorder.longest()).toBeUndefined();
  });

  it('when lag drops to 0 and comes back at the same offset, then that is two spans, not one', () => {
    const recorder = recorded([[look(0, 10, 3)], [look(0, 10, 0)], [look(0, 10, 3)], [look(0, 10, 3)]]);
    expect(recorder.spans().map((s) => [s.since, s.until])).toEqual([
      [0, 0],
      [2_000, 3_000],
    ]);
  });

  it('when a partition is missing from a look, then its span ends there', () => {
    const recorder = recorded([[look(0, 10, 3), look(1, 5, 1)], [look(1, 5, 1)], [look(0, 10, 3), look(1, 5, 1)]]);
    expect(recorder.spans().filter((s) => s.partition === 0)).toHaveLength(2);
    expect(spanMs(recorder.longest()!)).toBe(2_000);
  });

  it('when a detector reports a partition frozen for longer than the threshold, then the samples confirm it', () => {
    const rows = Array.from({ length: 13 }, () => [look(2, 7, 50)]);
    const recorder = recorded(rows);
    expect(recorder.confirms(2, 12_000, 10_000, 2_000)).toBe(true);
  });

  it('when a detector reports a partition that kept moving, then the samples do not confirm it', () => {
    const rows = Array.from({ length: 13 }, (_, i) => [look(2, i * 10, 50)]);
    expect(recorded(rows).confirms(2, 12_000, 10_000, 2_000)).toBe(false);
  });

  it('when the frozen span is shorter than the threshold beyond the tolerance, then the report is not confirmed', () => {
    const rows = [
      ...Array.from({ length: 5 }, (_, i) => [look(1, i, 9)]),
      ...Array.from({ length: 5 }, () => [look(1, 99, 9)]),
    ];
    expect(recorded(rows).confirms(1, 9_000, 10_000, 2_000)).toBe(false);
  });

  it('when another partition was frozen, then it does not confirm a report about this one', () => {
    const rows = Array.from({ length: 13 }, (_, i) => [look(0, 1, 9), look(1, i, 9)]);
    expect(recorded(rows).confirms(1, 12_000, 10_000, 2_000)).toBe(false);
  });
});

describe('stalledPartitionsIn', () => {
  it.each([
    ['the worker’s /readyz', { status: 'not-ready', stalled: [{ topic: 't', partition: 3, since: 1 }] }, [3]],
    ['the api’s freshness', { stalled: [4, 1], partitions: [{ partition: 1, stalled: true }] }, [1, 4]],
    [
      'freshness with only per-partition flags',
      {
        partitions: [
          { partition: 2, stalled: true },
          { partition: 5, stalled: false },
        ],
      },
      [2],
    ],
    ['a quiet detector', { status: 'ready', stalled: [] }, []],
  ])('when the body is %s, then the stalled partitions are read from it', (_label, body, expected) => {
    expect(stalledPartitionsIn(body)).toEqual(expected);
  });

  it.each([
    ['no stall field', { status: 'ready' }],
    ['not an object', 'ready'],
    ['null', null],
  ])('when the body has %s, then it is unreadable rather than quiet', (_label, body) => {
    expect(stalledPartitionsIn(body)).toBeUndefined();
  });

  it('when entries are malformed, then they are skipped', () => {
    expect(stalledPartitionsIn({ stalled: [null, 'x', { partition: '1' }, 1.5, 2] })).toEqual([2]);
  });
});
