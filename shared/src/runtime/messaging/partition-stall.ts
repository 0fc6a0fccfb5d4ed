/** One look at a partition of the topic a consumer group reads. */
export interface PartitionOffsetObservation {
  partition: number;
  /** The group's committed offset on it (-1, or the log start, when the group never committed there). */
  committedOffset: number;
  /** Messages past the committed offset. */
  lag: number;
}

export interface PartitionStall {
  partition: number;
  committedOffset: number;
  lag: number;
  /** Epoch ms of the first observation of this committed offset with lag: its last move, as far as was seen. */
  since: number;
  /** From `since` to the latest observation. */
  stalledForMs: number;
}

interface Waiting {
  committedOffset: number;
  lag: number;
  since: number;
}

/**
 * Tells a stuck partition by what users see: the consumer group's committed offset. A partition that has lag
 * and whose committed offset has not moved for longer than `stallAfterMs` is stalled, whichever member owns it
 * and however often the group rebalanced meanwhile; a move of the offset or lag 0 clears it. Judged as of the
 * latest observation, so a reader that stops answering freezes the figures instead of inventing a stall.
 */
export class PartitionStallDetector {
  private waiting = new Map<number, Waiting>();
  private observedAt: number | undefined;

  constructor(private readonly stallAfterMs: number) {}

  /** Every partition of the topic as seen at `at` (epoch ms); a partition missing from it is forgotten. */
  observe(at: number, observations: readonly PartitionOffsetObservation[]): void {
    const next = new Map<number, Waiting>();
    for (const { partition, committedOffset, lag } of observations) {
      if (lag <= 0) continue;
      const before = this.waiting.get(partition);
      const since = before?.committedOffset === committedOffset ? before.since : at;
      next.set(partition, { committedOffset, lag, since });
    }
    this.waiting = next;
    this.observedAt = at;
  }

  /** Partitions stalled as of the latest observation, longest stalled first. */
  stalled(): PartitionStall[] {
    const stalls: PartitionStall[] = [];
    for (const partition of this.waiting.keys()) {
      const stall = this.stallOf(partition);
      if (stall) stalls.push(stall);
    }
    return stalls.sort((a, b) => a.since - b.since || a.partition - b.partition);
  }

  stallOf(partition: number): PartitionStall | undefined {
    const waiting = this.waiting.get(partition);
    if (!waiting || this.observedAt === undefined) return undefined;
    const stalledForMs = this.observedAt - waiting.since;
    return stalledForMs > this.stallAfterMs ? { partition, ...waiting, stalledForMs } : undefined;
  }
}
