import { PartitionStallDetector, type Logger, type PartitionStall } from '@uap/shared/runtime';
import type { GroupOffsetsReader } from './ports/group-offsets.port';

export interface PartitionStallMonitorConfig {
  topic: string;
  stallAfterMs: number;
  /** How often the broker is asked; `stallPollIntervalMs(stallAfterMs)` by default. */
  intervalMs?: number;
}

export type TopicPartitionStall = PartitionStall & { topic: string };

/** Often enough that a stall shows within a quarter of the threshold, and never more than one look in 5 s. */
export function stallPollIntervalMs(stallAfterMs: number): number {
  return Math.max(100, Math.min(5_000, Math.floor(stallAfterMs / 4)));
}

/**
 * Watches the consumer group's committed offsets on the broker and reports partitions that have lag and
 * whose offset has not moved for longer than `stallAfterMs`. It does not ask the consumer in this process:
 * a chunk that restarts at every rejoin, or a partition another member holds, looks healthy from inside a
 * process, but not from its committed offset. Every replica runs one and, reading the same offsets, agrees.
 */
export class PartitionStallMonitor {
  private readonly detector: PartitionStallDetector;
  private readonly log: Logger;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private readFailing = false;
  private reported = new Set<number>();

  constructor(
    private readonly config: PartitionStallMonitorConfig,
    private readonly deps: { readOffsets: GroupOffsetsReader; logger: Logger; now?: () => number },
  ) {
    this.detector = new PartitionStallDetector(config.stallAfterMs);
    this.log = deps.logger.child({ component: 'partition-stall-monitor' });
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    this.timer = setInterval(
      () => void this.pollOnce(),
      this.config.intervalMs ?? stallPollIntervalMs(this.config.stallAfterMs),
    );
    this.timer.unref();
    void this.pollOnce();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.polling;
  }

  /** Stalled partitions as of the last look that succeeded, longest stalled first. */
  stalled(): TopicPartitionStall[] {
    return this.detector.stalled().map((stall) => ({ topic: this.config.topic, ...stall }));
  }

  /** One look at the broker; looks never overlap, and a failed one keeps what the last one saw. */
  pollOnce(): Promise<void> {
    this.polling ??= this.poll().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async poll(): Promise<void> {
    const at = this.now();
    try {
      const offsets = await this.deps.readOffsets();
      this.detector.observe(
        at,
        offsets.filter((o) => o.topic === this.config.topic),
      );
      if (this.readFailing) this.log.info('group offsets read again; stall detection resumed');
      this.readFailing = false;
    } catch (err) {
      // Logged once per streak: the lag gauge shares this reader and shows the outage meanwhile.
      if (!this.readFailing)
        this.log.warn({ err }, 'could not read group offsets; stall detection keeps its last view');
      this.readFailing = true;
      return;
    }
    this.reportChanges();
  }

  private reportChanges(): void {
    const stalls = this.stalled();
    const now = new Set(stalls.map((s) => s.partition));
    for (const stall of stalls) {
      if (this.reported.has(stall.partition)) continue;
      this.log.warn(
        { ...stall, stallAfterMs: this.config.stallAfterMs },
        'partition stalled: its committed offset has not moved while it has lag',
      );
    }
    for (const partition of this.reported) {
      if (!now.has(partition)) this.log.info({ topic: this.config.topic, partition }, 'partition moving again');
    }
    this.reported = now;
  }
}
