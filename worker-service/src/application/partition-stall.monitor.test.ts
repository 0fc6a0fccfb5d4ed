import pino from 'pino';
import type { GroupPartitionOffset } from './ports/group-offsets.port';
import { PartitionStallMonitor, stallPollIntervalMs } from './partition-stall.monitor';

/** The broker's view of the group's offsets, as the lag reader returns it; `down` makes reads fail. */
class FakeGroupOffsets {
  committed = new Map<number, number>([
    [0, 100],
    [2, 480],
  ]);
  end = new Map<number, number>([
    [0, 110],
    [2, 1_000],
  ]);
  down = false;
  reads = 0;

  read = async (): Promise<GroupPartitionOffset[]> => {
    this.reads++;
    if (this.down) throw new Error('broker away');
    return [...this.end].map(([partition, end]) => {
      const committedOffset = this.committed.get(partition) ?? -1;
      return { topic: 'acts', partition, committedOffset, lag: end - committedOffset };
    });
  };
}

function setUp(stallAfterMs = 10_000) {
  let now = 0;
  const offsets = new FakeGroupOffsets();
  const monitor = new PartitionStallMonitor(
    { topic: 'acts', stallAfterMs },
    { readOffsets: offsets.read, logger: pino({ level: 'silent' }), now: () => now },
  );
  const at = async (ms: number) => {
    now = ms;
    await monitor.pollOnce();
  };
  return { offsets, monitor, at };
}

describe('PartitionStallMonitor', () => {
  it('when a partition’s committed offset stays put with lag, then it is stalled after stallAfterMs, not before', async () => {
    const { offsets, monitor, at } = setUp();

    for (let ms = 0; ms <= 10_000; ms += 2_500) {
      offsets.committed.set(0, 100 + ms);
      offsets.end.set(0, 110 + ms);
      await at(ms);
    }
    expect(monitor.stalled()).toEqual([]);

    await at(12_500);
    expect(monitor.stalled()).toEqual([
      { topic: 'acts', partition: 2, committedOffset: 480, lag: 520, since: 0, stalledForMs: 12_500 },
    ]);
  });

  it('when the stalled offset moves, then the stall clears', async () => {
    const { offsets, monitor, at } = setUp();
    await at(0);
    await at(11_000);
    expect(monitor.stalled().map((s) => s.partition)).toEqual([0, 2]);

    offsets.committed.set(2, 980);
    offsets.committed.set(0, 110);
    await at(12_000);

    expect(monitor.stalled()).toEqual([]);
  });

  it('when the broker does not answer, then the look fails quietly and the last view is kept', async () => {
    const { offsets, monitor, at } = setUp();
    await at(0);
    await at(11_000);
    offsets.down = true;

    await expect(at(12_000)).resolves.toBeUndefined();
    expect(monitor.stalled().map((s) => [s.partition, s.stalledForMs])).toEqual([
      [0, 11_000],
      [2, 11_000],
    ]);
  });

  it('when started, then it looks at once and every interval until stopped', async () => {
    jest.useFakeTimers();
    try {
      const { offsets, monitor } = setUp(60_000);
      monitor.start();
      await jest.advanceTimersByTimeAsync(10_000);
      expect(offsets.reads).toBe(1 + 10_000 / stallPollIntervalMs(60_000));

      await monitor.stop();
      await jest.advanceTimersByTimeAsync(60_000);
      expect(offsets.reads).toBe(3);
    } finally {
      jest.useRealTimers();
    }
  });

  it('when the threshold is short or long, then the broker is asked a quarter of it apart, at most every 5 s', () => {
    expect([stallPollIntervalMs(2_000), stallPollIntervalMs(60_000), stallPollIntervalMs(50)]).toEqual([
      500, 5_000, 100,
    ]);
  });
});
