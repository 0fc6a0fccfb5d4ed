/** How far the worker group has processed one partition of the activities topic. */
export interface PartitionProgress {
  partition: number;
  /** The group's committed offset: every message below it is processed (stored or dead-lettered). */
  committed: number;
  /** The partition's end (high watermark): the next offset to be written. */
  end: number;
  lag: number;
  /** Every event accepted on this partition before this time is processed; null when not known (see docs/api.md, Read freshness). */
  watermark: Date | null;
  /**
   * Set while the partition is stalled: it has lag and its committed offset has not moved for longer than the
   * stall threshold. The time is the offset's last move as observed (or when lag was first seen at it).
   */
  stalledSince: Date | null;
}

export interface ProgressSnapshot {
  /** When the broker was asked. */
  at: Date;
  topic: string;
  group: string;
  partitions: PartitionProgress[];
  /** Accepted but not yet processed, over all partitions. */
  lag: number;
  /** The earliest partition watermark; null if any is unknown. */
  watermark: Date | null;
}

/**
 * The worker group's progress on the activities topic, as one shared snapshot that is refreshed in
 * the background while anything asks for it: reads never wait for a broker round trip of their own,
 * except the first after a pause (current() is then undefined; next() brings one).
 */
export interface ConsumerProgress {
  /** The latest snapshot; undefined until the first refresh succeeded, and while refreshes are paused. */
  current(): ProgressSnapshot | undefined;
  /** Resolves with the next snapshot to complete (newer than current()), or rejects if that refresh failed. */
  next(): Promise<ProgressSnapshot>;
}
