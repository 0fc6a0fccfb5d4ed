export type Outcome = 'accepted' | 'rejected' | 'error';

/** Counts events by outcome and keeps request latencies for percentiles. */
export class LoadStats {
  readonly events = { sent: 0, accepted: 0, rejected: 0, error: 0 };
  readonly byStatus = new Map<string, number>();
  private readonly latenciesMs: number[] = [];

  record(events: number, status: number | string, latencyMs: number): void {
    const outcome: Outcome =
      status === 202 ? 'accepted' : typeof status === 'number' && status < 500 ? 'rejected' : 'error';
    this.events.sent += events;
    this.events[outcome] += events;
    this.byStatus.set(String(status), (this.byStatus.get(String(status)) ?? 0) + 1);
    this.latenciesMs.push(latencyMs);
  }

  get requests(): number {
    return this.latenciesMs.length;
  }

  /** Nearest-rank percentiles over every request so far. */
  percentiles(ps: number[]): Record<string, number> {
    return percentiles(this.latenciesMs, ps);
  }
}

/** Nearest-rank percentiles (`{ p50, p99 }`); 0 for an empty sample. */
export function percentiles(values: readonly number[], ps: number[]): Record<string, number> {
  const sorted = [...values].sort((a, b) => a - b);
  return Object.fromEntries(
    ps.map((p) => [
      `p${p}`,
      sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!,
    ]),
  );
}
