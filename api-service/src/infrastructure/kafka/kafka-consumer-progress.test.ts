import type { Admin } from 'kafkajs';
import pino from 'pino';
import { KafkaConsumerProgress, watermarkOf } from './kafka-consumer-progress';

describe('watermarkOf', () => {
  const history = [
    { at: 1_000, end: 10 },
    { at: 2_000, end: 20 },
    { at: 3_000, end: 30 },
  ];

  it('when everything is processed, then the watermark is the snapshot time', () => {
    expect(watermarkOf(history, 30, 30, 3_500)).toEqual(new Date(3_500));
  });

  it('when the group is behind, then it is the latest time whose end offset was already committed', () => {
    expect(watermarkOf(history, 25, 30, 3_500)).toEqual(new Date(2_000));
    expect(watermarkOf(history, 20, 30, 3_500)).toEqual(new Date(2_000));
  });

  it('when the oldest unprocessed event is older than the history, then it is unknown', () => {
    expect(watermarkOf(history, 5, 30, 3_500)).toBeNull();
  });
});

describe('KafkaConsumerProgress stalls', () => {
  /** The broker as the admin client sees it: partition 1 keeps up, partition 2's committed offset is stuck. */
  function setUp() {
    let now = 0;
    const committed = new Map([
      [1, 50],
      [2, 480],
    ]);
    const admin = {
      fetchTopicOffsets: async () => [
        { partition: 1, high: '50', low: '0' },
        { partition: 2, high: '1000', low: '0' },
      ],
      fetchOffsets: async () => [
        {
          topic: 'acts',
          partitions: [...committed].map(([partition, offset]) => ({ partition, offset: String(offset) })),
        },
      ],
    } as unknown as Admin;
    const progress = new KafkaConsumerProgress(
      { topic: 'acts', group: 'g', refreshMs: 250, stallAfterMs: 10_000 },
      { admin, logger: pino({ level: 'silent' }), now: () => now },
    );
    const refreshAt = async (ms: number) => {
      now = ms;
      await progress.refresh();
      return progress.current()!.partitions.map((p) => [p.partition, p.stalledSince?.getTime() ?? null]);
    };
    return { committed, refreshAt };
  }

  it('when a partition’s committed offset stays put with lag past stallAfterMs, then it says since when, until it moves', async () => {
    const { committed, refreshAt } = setUp();

    expect(await refreshAt(0)).toEqual([
      [1, null],
      [2, null],
    ]);
    expect(await refreshAt(10_000)).toEqual([
      [1, null],
      [2, null],
    ]);
    expect(await refreshAt(10_250)).toEqual([
      [1, null],
      [2, 0],
    ]);
    committed.set(2, 700);
    expect(await refreshAt(10_500)).toEqual([
      [1, null],
      [2, null],
    ]);
  });
});
