import type { PartitionOffsetObservation } from '@uap/shared/runtime';

/** A run of samples in which a partition had lag and the group's committed offset on it did not move. */
export interface FrozenSpan {
  partition: number;
  committedOffset: number;
  /** Epoch ms of the first and the last sample of the run. */
  since: number;
  until: number;
  /** The most lag seen during the run. */
  maxLag: number;
}

export const spanMs = (span: FrozenSpan): number => span.until - span.since;

/**
 * The suite's own measure of partition stalls, from the group's committed offsets and the topic's end offsets
 * sampled from outside the services. It is what a stall detector's report is judged against, so it shares no
 * code with the detector. A span is measured from its first sample to its last: the true stall can be up to one
 * sampling interval longer at each end, which `confirms` allows for.
 */
export class FrozenOffsetRecorder {
  private readonly open = new Map<number, FrozenSpan>();
  private readonly closed: FrozenSpan[] = [];
  samples = 0;

  /** One look at every partition; a partition missing from it ends its span (a failed look is simply skipped). */
  observe(at: number, observations: readonly PartitionOffsetObservation[]): void {
    this.samples++;
    const seen = new Set<number>();
    for (const { partition, committedOffset, lag } of observations) {
      seen.add(partition);
      const span = this.open.get(partition);
      if (span && lag > 0 && span.committedOffset === committedOffset) {
        span.until = at;
        span.maxLag = Math.max(span.maxLag, lag);
        continue;
      }
      if (span) this.end(partition, span);
      if (lag > 0) this.open.set(partition, { partition, committedOffset, since: at, until: at, maxLag: lag });
    }
    for (const [partition, span] of this.open) if (!seen.has(partition)) this.end(partition, span);
  }

  spans(): FrozenSpan[] {
    return [...this.closed, ...this.open.values()];
  }

  longest(): FrozenSpan | undefined {
    return this.spans().sort((a, b) => spanMs(b) - spanMs(a) || a.since - b.since)[0];
  }

  /**
   * Whether a detector's report that `partition` was stalled, read at `at`, is backed by these samples: a span
   * of that partition reaching back `stallAfterMs` from `at` and still frozen at `at`, each end give or take
   * `toleranceMs` (this sampling interval plus how stale the detector's own view may be).
   */
  confirms(partition: number, at: number, stallAfterMs: number, toleranceMs: number): boolean {
    return this.spans().some(
      (s) => s.partition === partition && s.since <= at - stallAfterMs + toleranceMs && s.until >= at - toleranceMs,
    );
  }

  private end(partition: number, span: FrozenSpan): void {
    this.open.delete(partition);
    this.closed.push(span);
  }
}

/**
 * The partitions a status body calls stalled, whichever shape it has: the worker's /readyz (`stalled`: objects
 * with a `partition`), the api's /api/v1/freshness (`stalled`: partition numbers, and `partitions[].stalled`).
 * `undefined` when the body has neither list: a detector that cannot be read must not pass for one that is quiet.
 */
export function stalledPartitionsIn(body: unknown): number[] | undefined {
  const { stalled, partitions } = (typeof body === 'object' && body !== null ? body : {}) as {
    stalled?: unknown;
    partitions?: unknown;
  };
  if (!Array.isArray(stalled) && !Array.isArray(partitions)) return undefined;
  const found = new Set<number>();
  for (const entry of Array.isArray(stalled) ? (stalled as unknown[]) : []) {
    const partition = partitionOf(entry);
    if (partition !== undefined) found.add(partition);
  }
  for (const entry of Array.isArray(partitions) ? (partitions as unknown[]) : []) {
    const partition = partitionOf(entry);
    if (partition !== undefined && (entry as { stalled?: unknown }).stalled === true) found.add(partition);
  }
  return [...found].sort((a, b) => a - b);
}

function partitionOf(entry: unknown): number | undefined {
  const value = typeof entry === 'object' && entry !== null ? (entry as { partition?: unknown }).partition : entry;
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}
