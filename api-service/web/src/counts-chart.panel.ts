import uPlot from 'uplot';
import type { HttpTransport } from '@uap/client';
import { failureText } from './api.client';
import type { ActivityStats } from './api.types';
import { typeColors } from './activity-types';
import { el, formatCount, setStatus } from './dom';
import { toSeries } from './stats-series';
import { statsQuery, type DashboardState } from './url-state';

/**
 * Counts per type over time (GET /api/v1/activities/stats), drawn with uPlot, and the same numbers as a
 * table: the totals row is summed from the plotted series, so it shows what the chart holds. The series are
 * the types the answer lists (in its order), so a type registered at runtime appears once it has events.
 */
export class CountsChart {
  private plot: uPlot | undefined;
  private loading = 0;
  private readonly colorOf: (type: string) => string;

  constructor(
    private readonly api: HttpTransport,
    private readonly nodes: { chart: HTMLElement; totals: HTMLTableSectionElement; status: HTMLElement },
    /** Drawn as zeros when the range has no event at all, so the chart still has its usual lines. */
    private readonly builtInTypes: readonly string[],
    /** Told the types of every answer, so other panels can offer them too. */
    private readonly onTypes: (types: readonly string[]) => void = () => undefined,
  ) {
    this.colorOf = typeColors(builtInTypes);
    window.addEventListener('resize', () => this.plot?.setSize(this.size()));
  }

  async load(state: DashboardState): Promise<void> {
    const ticket = ++this.loading;
    setStatus(this.nodes.status, 'Loading…');
    try {
      const stats = await this.api.getJson<ActivityStats>('/api/v1/activities/stats', statsQuery(state, Date.now()));
      if (ticket !== this.loading) return;
      this.render(stats);
      this.onTypes(stats.types);
      const inexact = stats.exact === false ? `; not exact: ${stats.inexactReason ?? 'rollups incomplete'}` : '';
      setStatus(
        this.nodes.status,
        `${formatCount(stats.total)} events in ${formatCount(stats.bucketCount)} ${stats.bucket} buckets (from ${stats.source})${inexact}`,
        stats.exact === false ? 'error' : 'ok',
      );
    } catch (err) {
      if (ticket === this.loading) setStatus(this.nodes.status, failureText(err), 'error');
    }
  }

  private render(stats: ActivityStats): void {
    const types = stats.types.length > 0 ? stats.types : [...this.builtInTypes];
    const { xs, ys } = toSeries(stats, types);
    const totals = ys.map((series) => series.reduce((sum, n) => sum + n, 0));
    const colorOf = this.colorOf;

    this.nodes.totals.replaceChildren(
      ...types.map((type, i) => {
        const swatch = el('span', { class: 'swatch', 'aria-hidden': 'true' });
        swatch.style.backgroundColor = colorOf(type);
        return el(
          'tr',
          { 'data-type': type },
          el('th', { scope: 'row' }, swatch, type),
          el('td', { 'data-total': String(totals[i] ?? 0) }, formatCount(totals[i] ?? 0)),
        );
      }),
      el(
        'tr',
        { class: 'total' },
        el('th', { scope: 'row' }, 'All types'),
        el(
          'td',
          { id: 'chart-total', 'data-total': String(totals.reduce((a, b) => a + b, 0)) },
          formatCount(totals.reduce((a, b) => a + b, 0)),
        ),
      ),
    );

    this.plot?.destroy();
    this.plot = new uPlot(
      {
        ...this.size(),
        legend: { show: false },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        series: [
          {},
          ...types.map((type) => ({
            label: type,
            stroke: colorOf(type),
            width: 2,
            points: { show: xs.length <= 120 },
          })),
        ],
        axes: [{}, { label: 'events', size: 60 }],
      },
      [xs, ...ys],
      this.nodes.chart,
    );
    // What was asked for, so anyone (the browser test, a curious user) can ask the endpoint the same.
    Object.assign(this.nodes.chart.dataset, { from: stats.from, to: stats.to, bucket: stats.bucket });
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(320, this.nodes.chart.clientWidth), height: 240 };
  }
}
