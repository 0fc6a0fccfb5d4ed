import { PartitionStallDetector, type PartitionOffsetObservation } from './partition-stall';

const STALL_AFTER_MS = 60_000;

/** Partition 2 is stuck at offset 480 with lag; partition 0 keeps moving. */
const look = (moving: number, stuck: PartitionOffsetObservation = { partition: 2, committedOffset: 480, lag: 520 }) => [
  { partition: 0, committedOffset: moving, lag: 10 },
  stuck,
];

describe('PartitionStallDetector', () => {
  it('when a committed offset stays put with lag across rebalances, then it is stalled after stallAfterMs and not before', () => {
    const detector = new PartitionStallDetector(STALL_AFTER_MS);

    // Every 5 s, as read from the broker: the group rebalances in between and another member may own partition 2,
    // which changes nothing the broker reports about its committed offset.
    for (let at = 0; at <= STALL_AFTER_MS; at += 5_000) detector.observe(at, look(at));
    expect(detector.stalled()).toEqual([]);

    detector.observe(STALL_AFTER_MS + 1, look(STALL_AFTER_MS + 1));
    expect(detector.stalled()).toEqual([
      { partition: 2, committedOffset: 480, lag: 520, since: 0, stalledForMs: STALL_AFTER_MS + 1 },
    ]);
    expect(detector.stallOf(0)).toBeUndefined();
  });

  it('when the stalled offset moves, then the stall clears and the clock starts again from that move', () => {
    const detector = new PartitionStallDetector(STALL_AFTER_MS);
    detector.observe(0, look(0));
    detector.observe(70_000, look(1));
    expect(detector.stallOf(2)).toBeDefined();

    detector.observe(75_000, look(2, { partition: 2, committedOffset: 500, lag: 500 }));
    expect(detector.stalled()).toEqual([]);

    detector.observe(135_001, look(3, { partition: 2, committedOffset: 500, lag: 600 }));
    expect(detector.stallOf(2)).toMatchObject({ committedOffset: 500, lag: 600, since: 75_000, stalledForMs: 60_001 });
  });

  it('when the lag drops to 0, then the stall clears, and lag coming back starts a new wait', () => {
    const detector = new PartitionStallDetector(STALL_AFTER_MS);
    detector.observe(0, look(0));
    detector.observe(70_000, look(1));

    detector.observe(71_000, look(2, { partition: 2, committedOffset: 480, lag: 0 }));
    expect(detector.stalled()).toEqual([]);

    // Same committed offset as before, but new messages arrived only now: the wait starts at this look.
    detector.observe(72_000, look(3));
    detector.observe(130_000, look(4));
    expect(detector.stalled()).toEqual([]);
    detector.observe(132_001, look(5));
    expect(detector.stallOf(2)).toMatchObject({ since: 72_000, stalledForMs: 60_001 });
  });

  it('when a partition disappears from a look, then it is forgotten', () => {
    const detector = new PartitionStallDetector(STALL_AFTER_MS);
    detector.observe(0, look(0));
    detector.observe(61_000, [{ partition: 0, committedOffset: 1, lag: 0 }]);
    detector.observe(62_000, look(2));

    expect(detector.stalled()).toEqual([]);
  });

  it('when several partitions are stalled, then the longest stalled comes first', () => {
    const detector = new PartitionStallDetector(1_000);
    detector.observe(0, [{ partition: 4, committedOffset: 7, lag: 3 }]);
    detector.observe(500, [
      { partition: 4, committedOffset: 7, lag: 3 },
      { partition: 1, committedOffset: 9, lag: 1 },
    ]);
    detector.observe(2_000, [
      { partition: 1, committedOffset: 9, lag: 1 },
      { partition: 4, committedOffset: 7, lag: 3 },
    ]);

    expect(detector.stalled().map((s) => [s.partition, s.stalledForMs])).toEqual([
      [4, 2_000],
      [1, 1_500],
    ]);
  });
});
