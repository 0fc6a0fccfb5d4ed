import pino from 'pino';
import type { Lease, RetentionStore } from './ports/retention.port';
import { RetentionSweeper } from './retention-sweeper';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-28T00:00:00Z');

/** Activities by occurredAt, deleted oldest first like the store adapter. */
class FakeStore implements RetentionStore {
  constructor(public occurredAt: number[]) {}
  cutoffs: Date[] = [];
  async deleteOlderThan(cutoff: Date, limit: number): Promise<number> {
    this.cutoffs.push(cutoff);
    const old = this.occurredAt.filter((t) => t < cutoff.getTime()).slice(0, limit);
    this.occurredAt = this.occurredAt.filter((t) => !old.includes(t));
    return old.length;
  }
}

/** One lease shared by several sweepers, as the store's lease document is. */
class FakeLease implements Lease {
  holder: string | undefined;
  until = 0;
  async acquire(owner: string, ttlMs: number): Promise<boolean> {
    if (this.holder !== undefined && this.holder !== owner && this.until > NOW) return false;
    this.holder = owner;
    this.until = NOW + ttlMs;
    return true;
  }
  async release(owner: string): Promise<void> {
    if (this.holder === owner) this.holder = undefined;
  }
}

const sweeper = (store: RetentionStore, lease: Lease, owner: string) =>
  new RetentionSweeper(
    { retentionDays: 30, intervalMs: 60_000, chunkSize: 10, passBudgetMs: 10_000, owner },
    { store, lease, logger: pino({ level: 'silent' }), now: () => NOW },
  );

describe('RetentionSweeper', () => {
  it('when a pass runs, then it deletes exactly the activities older than the cutoff, in chunks', async () => {
    const old = Array.from({ length: 25 }, (_, i) => NOW - 31 * DAY - i);
    const young = Array.from({ length: 5 }, (_, i) => NOW - 29 * DAY - i);
    const store = new FakeStore([...old, ...young, NOW - 30 * DAY]);

    await sweeper(store, new FakeLease(), 'w1').sweepOnce();

    expect(store.occurredAt).toEqual([...young, NOW - 30 * DAY]);
    expect(store.cutoffs).toHaveLength(3);
    expect(store.cutoffs[0]).toEqual(new Date(NOW - 30 * DAY));
  });

  it('when two workers sweep, then only the lease holder deletes anything', async () => {
    const store = new FakeStore(Array.from({ length: 5 }, (_, i) => NOW - 40 * DAY - i));
    const lease = new FakeLease();
    await lease.acquire('w1', 60_000);

    await sweeper(store, lease, 'w2').sweepOnce();

    expect(store.cutoffs).toEqual([]);
    expect(store.occurredAt).toHaveLength(5);
  });
});
