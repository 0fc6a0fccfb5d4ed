import { busiestLeader, fullyReplicated, type PartitionState } from './kafka-inspector';

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
