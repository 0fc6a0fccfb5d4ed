import { setTimeout as sleep } from 'node:timers/promises';
import type { ActivityInput, ActivityType } from '@uap/shared/contract';
import { ActivityGenerator } from '../loadgen/activity-generator';
import type { IngestClient } from './ingest-client';

const MIX: [ActivityType, number][] = [
  ['PAGE_VIEW', 50],
  ['SEARCH', 25],
  ['CLICK', 15],
  ['LOGIN', 5],
  ['LOGOUT', 5],
];

export interface LoadOptions {
  eventsPerSecond: number;
  batchSize: number;
  concurrency: number;
  /** Stop scheduling new batches once this many events have been started. */
  maxEvents?: number;
  /** Rewrites an event before it is sent, e.g. to sprinkle in documents the store will refuse. */
  decorate?: (event: ActivityInput) => ActivityInput;
  /**
   * This share of batches (0-1, spread evenly) is sent once more after its 202, unchanged (same eventIds): a
   * client that lost the answer and retries, which the pipeline must absorb as duplicates.
   */
  resendShare?: number;
}

/** Whether batch `index` (from 0) is resent, so that exactly `share` of every run of batches is. */
export function isResent(index: number, share: number): boolean {
  return Math.floor((index + 1) * share + 1e-9) > Math.floor(index * share + 1e-9);
}

/**
 * Sustained batch traffic on a fixed schedule from a few concurrent clients. A batch in retry keeps
 * its client busy, as a real client would be, so an outage slows the offered load instead of piling
 * up unbounded requests.
 */
export class LoadDriver {
  private readonly generator = new ActivityGenerator(1_000, MIX);
  private stopping = false;
  private running: Promise<void> | undefined;
  private slot = 0;
  eventsStarted = 0;
  batchesStarted = 0;
  batchesResent = 0;
  eventsResent = 0;

  constructor(
    readonly client: IngestClient,
    private readonly options: LoadOptions,
  ) {}

  start(): void {
    const start = performance.now();
    const intervalMs = (1000 * this.options.batchSize) / this.options.eventsPerSecond;
    const loop = async (): Promise<void> => {
      while (!this.stopping) {
        if (this.options.maxEvents !== undefined && this.eventsStarted >= this.options.maxEvents) return;
        const wait = start + this.slot++ * intervalMs - performance.now();
        if (wait > 0) await sleep(wait);
        if (this.stopping) return;
        const decorate = this.options.decorate ?? ((event: ActivityInput) => event);
        const events = Array.from({ length: this.options.batchSize }, () => decorate(this.generator.next()));
        this.eventsStarted += events.length;
        const index = this.batchesStarted++;
        const outcome = await this.client.sendBatch(events);
        if (outcome === 'accepted' && isResent(index, this.options.resendShare ?? 0)) {
          this.batchesResent++;
          this.eventsResent += events.length;
          await this.client.sendBatch(events);
        }
      }
    };
    this.running = Promise.all(Array.from({ length: this.options.concurrency }, loop)).then(() => undefined);
  }

  /** Resolves when every client has finished (including retries), e.g. after maxEvents. */
  finished(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /** No new batches; batches in flight finish (or are abandoned) under the client's own bounds. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.finished();
  }
}
