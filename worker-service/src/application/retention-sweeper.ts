import type { Logger } from '@uap/shared/runtime';
import type { Lease, RetentionStore } from './ports/retention.port';

export interface SweeperConfig {
  retentionDays: number;
  intervalMs: number;
  chunkSize: number;
  /** One pass stops after this long and resumes at the next interval, so a backlog never hogs the store. */
  passBudgetMs: number;
  owner: string;
}

/**
 * Retention for stores without TTL indexes (FerretDB): every interval, the worker holding the lease
 * deletes activities older than the cutoff in chunks. One sweeper at a time across replicas: the lease
 * lives in the store and is renewed between chunks, so a crashed holder is replaced after it expires.
 */
export class RetentionSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  private readonly log: Logger;

  constructor(
    private readonly config: SweeperConfig,
    private readonly deps: {
      store: RetentionStore;
      lease: Lease;
      logger: Logger;
      onDeleted?: (count: number) => void;
      now?: () => number;
    },
  ) {
    this.log = deps.logger.child({ component: 'retention-sweeper' });
  }

  start(): void {
    this.timer = setInterval(() => void this.sweepOnce(), this.config.intervalMs);
    this.timer.unref();
    void this.sweepOnce();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.deps.lease.release(this.config.owner).catch(() => undefined);
  }

  /** One pass (nothing without the lease); passes never overlap. */
  sweepOnce(): Promise<void> {
    this.running ??= this.pass()
      .catch((err: unknown) => this.log.warn({ err }, 'retention pass failed; it runs again at the next interval'))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async pass(): Promise<void> {
    const now = this.deps.now ?? Date.now;
    const leaseMs = this.config.passBudgetMs * 3;
    if (!(await this.deps.lease.acquire(this.config.owner, leaseMs))) return;
    const started = now();
    const cutoff = new Date(started - this.config.retentionDays * 86_400_000);
    let deleted = 0;
    while (!this.stopping && now() - started < this.config.passBudgetMs) {
      const count = await this.deps.store.deleteOlderThan(cutoff, this.config.chunkSize);
      deleted += count;
      this.deps.onDeleted?.(count);
      if (count < this.config.chunkSize) break;
      if (!(await this.deps.lease.acquire(this.config.owner, leaseMs))) break;
    }
    if (deleted > 0) this.log.info({ deleted, cutoff }, 'retention: deleted activities older than the cutoff');
  }
}
