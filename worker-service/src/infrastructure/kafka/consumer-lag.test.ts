import type { Admin } from 'kafkajs';
import { consumerLagReader, lagOf } from './consumer-lag';

describe('consumer lag', () => {
  it('when the group committed some partitions, then each has its committed offset (-1 if none) and lag from it, else from the log start', () => {
    const lags = lagOf(
      'acts',
      [
        { partition: 1, high: '50', low: '0' },
        { partition: 0, high: '100', low: '0' },
        { partition: 2, high: '30', low: '10' },
      ],
      [
        { partition: 0, offset: '60' },
        { partition: 1, offset: '50' },
        { partition: 2, offset: '-1' },
      ],
    );

    expect(lags).toEqual([
      { topic: 'acts', partition: 0, committedOffset: 60, lag: 40 },
      { topic: 'acts', partition: 1, committedOffset: 50, lag: 0 },
      { topic: 'acts', partition: 2, committedOffset: -1, lag: 20 },
    ]);
  });

  it('when the broker does not answer, then the read fails within the bound and concurrent reads share it', async () => {
    let calls = 0;
    const admin = {
      fetchTopicOffsets: () => {
        calls++;
        return new Promise(() => undefined);
      },
      fetchOffsets: () => new Promise(() => undefined),
    } as unknown as Admin;
    const read = consumerLagReader(admin, { groupId: 'g', topic: 't', timeoutMs: 50 });

    const started = Date.now();
    const results = await Promise.allSettled([read(), read()]);

    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(calls).toBe(1);
  });
});
