import type { Admin } from 'kafkajs';
import type { GroupPartitionOffset } from '../../application/ports/group-offsets.port';

export type PartitionLag = GroupPartitionOffset;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Lag from offsets: a group that never committed on a partition starts from its log start (fromBeginning). */
export function lagOf(
  topic: string,
  watermarks: ReadonlyArray<{ partition: number; high: string; low: string }>,
  committed: ReadonlyArray<{ partition: number; offset: string }>,
): PartitionLag[] {
  const byPartition = new Map(committed.map((c) => [c.partition, Number(c.offset)]));
  return watermarks
    .map(({ partition, high, low }) => {
      const offset = byPartition.get(partition) ?? -1;
      const from = offset >= 0 ? offset : Number(low);
      return { topic, partition, committedOffset: offset, lag: Math.max(0, Number(high) - from) };
    })
    .sort((a, b) => a.partition - b.partition);
}

/**
 * Reads the group's committed offsets and lag on `topic` from the broker, bounded by `timeoutMs`. Concurrent callers
 * (several scrapers) share one round trip, so a slow broker cannot make the requests pile up.
 */
export function consumerLagReader(admin: Admin, options: { groupId: string; topic: string; timeoutMs: number }) {
  let inFlight: Promise<PartitionLag[]> | undefined;
  const read = async (): Promise<PartitionLag[]> => {
    const [watermarks, groupOffsets] = await Promise.all([
      admin.fetchTopicOffsets(options.topic),
      admin.fetchOffsets({ groupId: options.groupId, topics: [options.topic] }),
    ]);
    const committed = groupOffsets.find((t) => t.topic === options.topic)?.partitions ?? [];
    return lagOf(options.topic, watermarks, committed);
  };
  return (): Promise<PartitionLag[]> => {
    inFlight ??= withTimeout(read(), options.timeoutMs).finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}
