import type { LetterStats, ReplayJobView } from './dlq-client';
import type { LetterFilter } from './dlq-options';

export interface ReplayScope {
  filter: LetterFilter;
  letterIds?: readonly string[];
  max?: number;
}

/**
 * How many letters a replay will scan, when that is cheap to know: the ids asked for, or the stats
 * counts when the filter uses only reason, status and the time range (the stats endpoint has no
 * type or user breakdown). `max` caps it, and alone is the bound when nothing else is known.
 */
export function expectedTotal(scope: ReplayScope, stats: LetterStats | undefined): number | undefined {
  const { filter, letterIds, max } = scope;
  let known: number | undefined;
  if (letterIds) {
    known = letterIds.length;
  } else if (stats && filter.type === undefined && filter.userId === undefined) {
    // A replay takes `dead` letters unless statuses are given (parked ones only by id).
    const statuses = filter.status ?? ['dead'];
    known = stats.byReasonAndStatus
      .filter((r) => (filter.reason === undefined || r.reason === filter.reason) && statuses.includes(r.status))
      .reduce((sum, r) => sum + r.count, 0);
  }
  if (max === undefined) return known;
  return known === undefined ? max : Math.min(max, known);
}

/** Whether expectedTotal can use the stats endpoint for this scope (so it is worth asking). */
export function statsHelp(scope: ReplayScope): boolean {
  return !scope.letterIds && scope.filter.type === undefined && scope.filter.userId === undefined;
}

export interface ProgressView {
  scanned: number;
  total?: number;
  /** Letters scanned per second since the CLI started watching. */
  ratePerSec: number;
  etaSeconds?: number;
}

export function progressView(job: ReplayJobView, elapsedSeconds: number, total?: number): ProgressView {
  const { scanned } = job.counts;
  const ratePerSec = elapsedSeconds > 0 ? scanned / elapsedSeconds : 0;
  const view: ProgressView = { scanned, ratePerSec, ...(total === undefined ? {} : { total }) };
  if (total !== undefined && ratePerSec > 0 && job.state === 'running') {
    view.etaSeconds = Math.max(0, total - scanned) / ratePerSec;
  }
  return view;
}

export function formatDuration(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function countsText(job: ReplayJobView, view: ProgressView): string {
  const failing = Object.values(job.counts.stillFailing).reduce((sum, n) => sum + n, 0);
  const scanned = view.total === undefined ? `${view.scanned}` : `${view.scanned}/${view.total}`;
  const passed = job.dryRun ? `would pass ${job.counts.wouldPass}` : `passed ${job.counts.passed}`;
  const eta = view.etaSeconds === undefined ? '' : `  ETA ${formatDuration(view.etaSeconds)}`;
  return `scanned ${scanned}  ${passed}  still failing ${failing}  ${view.ratePerSec.toFixed(0)}/s${eta}`;
}

/** One terminal line, redrawn in place: a bar when the total is known, the counts always. */
export function progressBar(job: ReplayJobView, view: ProgressView, width = 24): string {
  if (view.total === undefined || view.total === 0) return `${job.jobId}  ${countsText(job, view)}`;
  const fraction = Math.min(1, view.scanned / view.total);
  const bar = '#'.repeat(Math.round(fraction * width)).padEnd(width, '.');
  return `[${bar}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${countsText(job, view)}`;
}

/** A line for logs and pipes, printed every few seconds. */
export function progressLine(job: ReplayJobView, view: ProgressView): string {
  return `replay ${job.jobId} ${job.state}: ${countsText(job, view).replace(/ {2}/g, ', ')}`;
}
