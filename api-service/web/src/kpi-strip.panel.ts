import type { HttpTransport } from '@uap/client';
import { failureText } from './api.client';
import type { ActivityStats, DeadLetterStats, Freshness, PartitionFreshness, Scope } from './api.types';
import { byId, every, formatAge, formatCount } from './dom';

const DAY_MS = 86_400_000;
/** How far back the accepted rate looks: long enough to be steady, short enough to follow a burst. */
const RATE_WINDOW_MS = 60_000;

/** "partition 2 stalled for 4 min": partitions whose committed offset stands still with lag; empty when none. */
export function stalledNote(partitions: readonly PartitionFreshness[], at: number): string {
  return partitions
    .filter((p) => p.stalled && p.stalledSince !== null)
    .map((p) => `partition ${p.partition} stalled for ${formatAge(at - Date.parse(p.stalledSince!))}`)
    .join(', ');
}

/**
 * The strip of four numbers. Accepted per minute is the growth of the topic's end offsets (every replica's
 * 202s, from GET /api/v1/freshness, which also gives lag and watermark); persisted is the stats total of
 * the last 24 h; dead letters come from the dead-letter stats (admin only).
 */
export class KpiStrip {
  private samples: Array<{ at: number; end: number }> = [];

  constructor(
    private readonly api: HttpTransport,
    private readonly scopes: ReadonlySet<Scope>,
  ) {}

  start(): () => void {
    const stops: Array<() => void> = [];
    if (this.scopes.has('read')) {
      stops.push(every(5_000, () => this.refreshFreshness()));
      stops.push(every(30_000, () => this.refreshPersisted()));
    }
    if (this.scopes.has('admin')) stops.push(every(30_000, () => this.refreshDeadLetters()));
    return () => stops.forEach((stop) => stop());
  }

  async refreshFreshness(): Promise<void> {
    try {
      const freshness = await this.api.getJson<Freshness>('/api/v1/freshness');
      const at = Date.parse(freshness.at);
      const end = freshness.partitions.reduce((sum, p) => sum + p.end, 0);
      this.samples = [...this.samples.filter((s) => s.at >= at - RATE_WINDOW_MS && s.at < at), { at, end }];
      const first = this.samples[0];
      const rate = first && at - first.at >= 4_000 ? ((end - first.end) / (at - first.at)) * 60_000 : undefined;
      byId('kpi-accepted').textContent = rate === undefined ? 'measuring…' : formatCount(rate);
      byId('kpi-lag').textContent = `${formatCount(freshness.lag)} events`;
      byId('kpi-watermark').textContent =
        freshness.watermark === null
          ? 'watermark unknown'
          : `watermark ${formatAge(at - Date.parse(freshness.watermark))} behind`;
      const stalled = byId('kpi-stalled');
      stalled.textContent = stalledNote(freshness.partitions, at);
      stalled.hidden = stalled.textContent === '';
    } catch (err) {
      byId('kpi-stalled').hidden = true;
      byId('kpi-lag').textContent = 'unavailable';
      byId('kpi-watermark').textContent = failureText(err);
    }
  }

  async refreshPersisted(): Promise<void> {
    const now = Date.now();
    try {
      const stats = await this.api.getJson<ActivityStats>('/api/v1/activities/stats', {
        from: new Date(now - DAY_MS).toISOString(),
        to: new Date(now).toISOString(),
        bucket: 'hour',
      });
      byId('kpi-persisted').textContent = formatCount(stats.total);
      byId('kpi-persisted-note').textContent = `stored by the worker (from ${stats.source})`;
    } catch (err) {
      byId('kpi-persisted').textContent = 'unavailable';
      byId('kpi-persisted-note').textContent = failureText(err);
    }
  }

  async refreshDeadLetters(): Promise<void> {
    const now = Date.now();
    try {
      const stats = await this.api.getJson<DeadLetterStats>('/api/v1/dead-letters/stats', {
        from: new Date(now - DAY_MS).toISOString(),
        to: new Date(now + 60_000).toISOString(),
      });
      byId('kpi-dead-letters').textContent = formatCount(stats.total);
    } catch (err) {
      byId('kpi-dead-letters').textContent = failureText(err);
    }
  }
}
