import { busiestLeader, fullyReplicated, partitionLags, type PartitionState } from './kafka-inspector';

const aPartition = (overrides: Partial<PartitionState> = {}): PartitionState => ({
  partition: 0,
  leader: 1,
  replicas: [1, 2, 3],
  isr: [1, 2, 3],
  messages: 0,
  ...overrides,
});

describe('cluster partition views', () => {
  it('when one partition holds the most messages, then its leader is the victim, with all it leads', () => {
    const partitions = [
      aPartition({ partition: 0, leader: 1, messages: 10 }),
      aPartition({ partition: 1, leader: 2, messages: 30 }),
      aPartition({ partition: 2, leader: 3, messages: 20 }),
      aPartition({ partition: 3, leader: 2, messages: 5 }),
    ];
    expect(busiestLeader(partitions)).toEqual({ node: 2, leads: [1, 3] });
  });

  it('when no partition has a leader, then there is no victim to pick', () => {
    expect(() => busiestLeader([aPartition({ leader: -1 })])).toThrow(/no partition has a leader/);
  });

  it.each([
    ['every replica in sync', [aPartition(), aPartition({ partition: 1 })], true],
    ['a replica out of the ISR', [aPartition(), aPartition({ partition: 1, isr: [1, 2] })], false],
    ['a partition without a leader', [aPartition({ leader: -1 })], false],
    ['no partitions at all', [], false],
  ])('when %s, then fullyReplicated is %s', (_label, partitions, expected) => {
    expect(fullyReplicated(partitions)).toBe(expected);
  });
});

describe('partitionLags', () => {
  it('when the group committed on a partition, then its lag is the end minus the commit', () => {
    expect(partitionLags([{ partition: 0, offset: '40' }], [{ partition: 0, low: '0', high: '50' }])).toEqual([
      { partition: 0, committedOffset: 40, lag: 10 },
    ]);
  });

  it('when the group never committed on a partition, then it counts from the log start, with offset -1', () => {
    expect(
      partitionLags(
        [{ partition: 1, offset: '-1' }],
        [
          { partition: 1, low: '5', high: '12' },
          { partition: 0, low: '0', high: '3' },
        ],
      ),
    ).toEqual([
      { partition: 0, committedOffset: -1, lag: 3 },
      { partition: 1, committedOffset: -1, lag: 7 },
    ]);
  });

  it('when the end was read before a later commit, then the lag is 0, never negative', () => {
    expect(partitionLags([{ partition: 0, offset: '60' }], [{ partition: 0, low: '0', high: '50' }])[0]!.lag).toBe(0);
  });
});
