import type { HttpTransport } from '@uap/client';
import { failureText } from './api.client';
import type { DeadLetterPage, DeadLetterStats, ReplayJob, ReplayRequest } from './api.types';
import { byId, el, every, formatCount, formatTime, setStatus } from './dom';

/**
 * Dead letters (admin scope): counts per reason, the latest letters, and a replay that is always a dry run
 * first (how many would pass, what would still fail); the real replay is offered only after one.
 */
export class DeadLettersPanel {
  private readonly reasons = byId<HTMLTableElement>('dl-reasons').tBodies[0]!;
  private readonly list = byId<HTMLTableElement>('dl-list').tBodies[0]!;
  private readonly reasonSelect = byId<HTMLSelectElement>('dl-reason');
  private readonly replayButton = byId<HTMLButtonElement>('dl-replay-run');
  private readonly replayStatus = byId('dl-replay-status');
  /** The filter the last dry run checked: the replay button replays exactly that. */
  private dryRunFilter: { reason?: string } | undefined;

  constructor(private readonly api: HttpTransport) {
    byId<HTMLFormElement>('dl-replay').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.runReplay(true);
    });
    this.replayButton.addEventListener('click', () => void this.runReplay(false));
    this.reasonSelect.addEventListener('change', () => {
      this.dryRunFilter = undefined;
      this.replayButton.disabled = true;
    });
  }

  start(): () => void {
    return every(15_000, () => this.refresh());
  }

  async refresh(): Promise<void> {
    try {
      const [stats, page] = await Promise.all([
        this.api.getJson<DeadLetterStats>('/api/v1/dead-letters/stats'),
        this.api.getJson<DeadLetterPage>('/api/v1/dead-letters', { limit: 10 }),
      ]);
      const reasons = Object.entries(stats.byReason).sort((a, b) => b[1] - a[1]);
      this.reasons.replaceChildren(
        ...reasons.map(([reason, count]) =>
          el('tr', { 'data-reason': reason }, el('th', { scope: 'row' }, reason), el('td', {}, formatCount(count))),
        ),
        el('tr', { class: 'total' }, el('th', { scope: 'row' }, 'All reasons'), el('td', {}, formatCount(stats.total))),
      );
      const chosen = this.reasonSelect.value;
      this.reasonSelect.replaceChildren(
        el('option', { value: '' }, 'any reason'),
        ...reasons.map(([reason]) => el('option', { value: reason }, reason)),
      );
      this.reasonSelect.value = reasons.some(([reason]) => reason === chosen) ? chosen : '';
      this.list.replaceChildren(
        ...page.data.map((letter) =>
          el(
            'tr',
            { 'data-letter-id': letter.letterId },
            el('td', {}, el('time', { datetime: letter.failedAt }, formatTime(letter.failedAt))),
            el('td', {}, letter.reason),
            el('td', {}, letter.status),
            el('td', {}, letter.eventId ?? '(unreadable)'),
            el('td', { class: 'error-text' }, letter.error),
          ),
        ),
      );
      if (page.data.length === 0) {
        this.list.replaceChildren(el('tr', {}, el('td', { colspan: '5' }, 'No dead letters.')));
      }
    } catch (err) {
      setStatus(this.replayStatus, `Dead letters unavailable: ${failureText(err)}`, 'error');
    }
  }

  private async runReplay(dryRun: boolean): Promise<void> {
    const reason = this.reasonSelect.value;
    const filter = dryRun ? (reason ? { reason } : {}) : this.dryRunFilter;
    if (!filter) return;
    if (!dryRun && !window.confirm('Replay these letters to the activities topic?')) return;
    this.replayButton.disabled = true;
    setStatus(this.replayStatus, dryRun ? 'Dry run…' : 'Replaying…');
    try {
      const request: ReplayRequest = { filter, dryRun };
      let job = await this.api.requestJson<ReplayJob>('/api/v1/dead-letters/replays', {
        method: 'POST',
        json: request,
      });
      const deadline = Date.now() + 120_000;
      while (job.state === 'running' && Date.now() < deadline) {
        await new Promise((resolve) => window.setTimeout(resolve, 500));
        job = await this.api.getJson<ReplayJob>(`/api/v1/dead-letters/replays/${job.jobId}`);
      }
      const failing = Object.entries(job.counts.stillFailing)
        .map(([why, count]) => `${why}: ${formatCount(count)}`)
        .join(', ');
      const verb = dryRun ? 'would pass' : 'replayed';
      setStatus(
        this.replayStatus,
        `${dryRun ? 'Dry run' : 'Replay'} ${job.state}: ${formatCount(job.counts.scanned)} letters checked, ` +
          `${formatCount(job.counts.passed)} ${verb}${failing ? `; still failing: ${failing}` : ''}` +
          `${job.error ? `; ${job.error}` : ''}.`,
        job.error ? 'error' : 'ok',
      );
      this.dryRunFilter = dryRun && job.counts.passed > 0 ? filter : undefined;
      this.replayButton.disabled = this.dryRunFilter === undefined;
      if (!dryRun) await this.refresh();
    } catch (err) {
      setStatus(this.replayStatus, failureText(err), 'error');
    }
  }
}
