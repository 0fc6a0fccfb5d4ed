import type { PartitionFreshness } from './api.types';
import { stalledNote } from './kpi-strip.panel';

const aPartition = (overrides: Partial<PartitionFreshness> = {}): PartitionFreshness => ({
  partition: 0,
  committed: 10,
  end: 10,
  lag: 0,
  watermark: null,
  stalled: false,
  stalledSince: null,
  ...overrides,
});

describe('stalledNote', () => {
  const at = Date.parse('2026-11-27T12:00:00Z');

  it('when no partition is stalled, then the note is empty', () => {
    expect(stalledNote([aPartition(), aPartition({ partition: 1, lag: 40 })], at)).toBe('');
  });

  it('when partitions are stalled, then each is named with how long', () => {
    const partitions = [
      aPartition({ partition: 2, lag: 520, stalled: true, stalledSince: '2026-11-27T11:56:00Z' }),
      aPartition({ partition: 3 }),
      aPartition({ partition: 5, lag: 9, stalled: true, stalledSince: '2026-11-27T11:58:30Z' }),
    ];

    expect(stalledNote(partitions, at)).toBe('partition 2 stalled for 4 min, partition 5 stalled for 90 s');
  });
});
