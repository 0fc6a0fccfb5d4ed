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
      { topic: 'acts', group: 'g', refreshMs: 250, idleStopMs: 60_000, stallAfterMs: 10_000 },
      { admin, logger: pino({ level: 'silent' }), now: () => now },
    );
    const refreshAt = async (ms: number) => {
      now = ms;
      const next = progress.next();
      await progress.refresh();
      return (await next).partitions.map((p) => [p.partition, p.stalledSince?.getTime() ?? null]);
    };
    return { committed, refreshAt };
  }

  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

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

describe('KafkaConsumerProgress polling', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** One caught-up partition; `polls` counts the broker round trips. */
  function setUp() {
    const calls = { polls: 0 };
    const admin = {
      connect: async () => undefined,
      disconnect: async () => undefined,
      fetchTopicOffsets: async () => {
        calls.polls++;
        return [{ partition: 0, high: '10', low: '0' }];
      },
      fetchOffsets: async () => [{ topic: 'acts', partitions: [{ partition: 0, offset: '10' }] }],
    } as unknown as Admin;
    const progress = new KafkaConsumerProgress(
      { topic: 'acts', group: 'g', refreshMs: 250, idleStopMs: 1_000, stallAfterMs: 10_000 },
      { admin, logger: pino({ level: 'silent' }) },
    );
    return { calls, progress };
  }

  it('when started, then it takes one snapshot and polls only once asked', async () => {
    const { calls, progress } = setUp();
    await progress.start();
    await jest.advanceTimersByTimeAsync(5_000);

    expect(calls.polls).toBe(1);
    expect(progress.polling).toBe(false);
    await progress.stop();
  });

  it('when nothing asks for progress past idleStopMs, then the broker is no longer polled', async () => {
    const { calls, progress } = setUp();
    await progress.start();
    await progress.next();
    await jest.advanceTimersByTimeAsync(1_000);
    const whileAsked = calls.polls;

    await jest.advanceTimersByTimeAsync(10_000);

    expect(whileAsked).toBeGreaterThanOrEqual(4);
    expect(progress.polling).toBe(false);
    expect(calls.polls).toBeLessThanOrEqual(whileAsked + 1);
    await progress.stop();
  });

  it('when progress is asked for while paused, then polling resumes and the next snapshot is fresh, not the stale one', async () => {
    const { calls, progress } = setUp();
    await progress.start();
    await progress.next();
    await jest.advanceTimersByTimeAsync(5_000);
    const paused = calls.polls;

    expect(progress.current()).toBeUndefined();
    const next = await progress.next();

    expect(progress.polling).toBe(true);
    expect(calls.polls).toBe(paused + 1);
    expect(next.at.getTime()).toBe(Date.now());
    expect(progress.current()).toBe(next);
    await jest.advanceTimersByTimeAsync(500);
    expect(calls.polls).toBe(paused + 3);
    await progress.stop();
  });
});
