import { PartitionStallDetector, type Logger } from '@uap/shared/runtime';
import type { Admin } from 'kafkajs';
import type {
  ConsumerProgress,
  PartitionProgress,
  ProgressSnapshot,
} from '../../application/ports/consumer-progress.port';

export interface ConsumerProgressConfig {
  topic: string;
  group: string;
  /** How often the broker is asked (one ListOffsets and one OffsetFetch per refresh) while progress is in demand. */
  refreshMs: number;
  /** Polling pauses once nothing has asked for progress for this long, and resumes on the next request. */
  idleStopMs: number;
  /** How long the end-offset history behind watermarks reaches back. */
  historyMs?: number;
  /** A partition with lag whose committed offset has not moved for longer than this is stalled (the worker's rule). */
  stallAfterMs: number;
}

interface Sample {
  at: number;
  end: number;
}

const DEFAULT_HISTORY_MS = 15 * 60_000;

/**
 * A watermark for one partition from sampled end offsets: the latest sample time t whose end offset
 * was already committed. Any event acknowledged before t had an offset below that end (acks=all moves
 * the high watermark past it before the ack), so it is processed. Conservative by at most one refresh.
 */
export function watermarkOf(history: readonly Sample[], committed: number, end: number, now: number): Date | null {
  if (committed >= end) return new Date(now);
  for (let i = history.length - 1; i >= 0; i--) if (history[i]!.end <= committed) return new Date(history[i]!.at);
  return null;
}

/**
 * Polls the broker for the topic's end offsets and the worker group's committed offsets every
 * `refreshMs`, keeps the last snapshot, and a history of end offsets for watermarks. Refreshes never
 * overlap; a failed one keeps the previous snapshot (its `at` tells its age).
 *
 * It polls only while something asks (a read, a receipt, a freshness request, a metrics scrape): after
 * `idleStopMs` without a call it pauses, so an ingest-only api asks the broker nothing. While paused,
 * `current()` answers undefined (the last snapshot is stale) and resumes polling; callers that need an
 * answer then wait for `next()`, one broker round trip. Watermarks stay true across a pause: a sample
 * says which end offset existed at its time, however old; they are only coarser until new samples come.
 */
export class KafkaConsumerProgress implements ConsumerProgress {
  private snapshot: ProgressSnapshot | undefined;
  private readonly history = new Map<number, Sample[]>();
  private timer: NodeJS.Timeout | undefined;
  private lastAskedAt = 0;
  private stopped = false;
  private refreshing: Promise<void> | undefined;
  private waiters: Array<{ resolve: (s: ProgressSnapshot) => void; reject: (e: unknown) => void }> = [];
  private readonly log: Logger;
  private readonly stalls: PartitionStallDetector;

  constructor(
    private readonly config: ConsumerProgressConfig,
    private readonly deps: { admin: Admin; logger: Logger; now?: () => number },
  ) {
    this.log = deps.logger.child({ component: 'consumer-progress' });
    this.stalls = new PartitionStallDetector(config.stallAfterMs);
  }

  /** Connects and takes one snapshot, so a broker that cannot be asked shows at start-up; polling waits for an ask. */
  async start(): Promise<void> {
    await this.deps.admin.connect();
    await this.refresh();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.pause();
    await this.refreshing;
    await this.deps.admin.disconnect();
  }

  /** Whether the broker is being polled (false while nothing asks). */
  get polling(): boolean {
    return this.timer !== undefined;
  }

  current(): ProgressSnapshot | undefined {
    const wasPolling = this.polling;
    this.asked();
    return wasPolling ? this.snapshot : undefined;
  }

  next(): Promise<ProgressSnapshot> {
    const next = new Promise<ProgressSnapshot>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.asked();
    return next;
  }

  private asked(): void {
    this.lastAskedAt = this.clock();
    if (this.timer || this.stopped) return;
    this.log.debug('polling consumer progress: asked for');
    this.timer = setInterval(() => {
      if (this.clock() - this.lastAskedAt <= this.config.idleStopMs) return void this.refresh();
      this.pause();
      this.log.debug({ idleStopMs: this.config.idleStopMs }, 'consumer progress polling paused: nothing asked');
    }, this.config.refreshMs);
    this.timer.unref();
    void this.refresh();
  }

  private pause(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private clock(): number {
    return (this.deps.now ?? Date.now)();
  }

  refresh(): Promise<void> {
    this.refreshing ??= this.poll().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async poll(): Promise<void> {
    // Whoever waits when the poll ends gets its snapshot: it is newer than any snapshot they had seen.
    const takeWaiters = () => this.waiters.splice(0);
    try {
      const at = this.clock();
      const [ends, [committed]] = await Promise.all([
        this.deps.admin.fetchTopicOffsets(this.config.topic),
        this.deps.admin.fetchOffsets({ groupId: this.config.group, topics: [this.config.topic] }),
      ]);
      const committedOf = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      const offsets = ends
        .map(({ partition, high, low }) => {
          const end = Number(high);
          // No commit yet: a new group starts at the log start, so nothing after it is processed.
          const done = Math.max(committedOf.get(partition) ?? -1, Number(low));
          return { partition, committed: done, end, lag: Math.max(0, end - done) };
        })
        .sort((a, b) => a.partition - b.partition);
      this.stalls.observe(
        at,
        offsets.map((o) => ({ partition: o.partition, committedOffset: o.committed, lag: o.lag })),
      );
      const partitions: PartitionProgress[] = offsets.map((o) => {
        const stall = this.stalls.stallOf(o.partition);
        return {
          ...o,
          watermark: watermarkOf(this.remember(o.partition, at, o.end), o.committed, o.end, at),
          stalledSince: stall ? new Date(stall.since) : null,
        };
      });
      const watermarks = partitions.map((p) => p.watermark);
      this.snapshot = {
        at: new Date(at),
        topic: this.config.topic,
        group: this.config.group,
        partitions,
        lag: partitions.reduce((sum, p) => sum + p.lag, 0),
        watermark: watermarks.some((w) => w === null)
          ? null
          : new Date(Math.min(...watermarks.map((w) => w!.getTime()))),
      };
      for (const waiter of takeWaiters()) waiter.resolve(this.snapshot);
    } catch (err) {
      this.log.warn({ err }, 'could not read consumer progress from the broker; keeping the last snapshot');
      for (const waiter of takeWaiters()) waiter.reject(err);
    }
  }

  private remember(partition: number, at: number, end: number): Sample[] {
    const history = this.history.get(partition) ?? [];
    const last = history[history.length - 1];
    // One sample per end offset is enough: the latest time an end was seen is what bounds a watermark.
    if (last && last.end === end) last.at = at;
    else history.push({ at, end });
    const horizon = at - (this.config.historyMs ?? DEFAULT_HISTORY_MS);
    while (history.length > 1 && history[0]!.at < horizon) history.shift();
    this.history.set(partition, history);
    return history;
  }
}
