import { DEAD_LETTER_STATUSES } from '@uap/shared/contract';
import { cell } from '../cli/cli-io';
import { EXIT } from '../cli/exit-codes';
import type { LetterDetail, LetterStats, LetterSummary, ReplayJobView } from './dlq-client';

// Fixed widths, so that pages printed one after another (list --all) line up without buffering them.
const COLUMNS: Array<[title: string, width: number, value: (l: LetterSummary) => string]> = [
  ['LETTER', 10, (l) => l.letterId],
  ['FAILED AT', 20, (l) => l.failedAt.replace(/\.\d+Z$/, 'Z')],
  ['REASON', 22, (l) => l.reason],
  ['STATUS', 8, (l) => l.status],
  ['REPLAYS', 7, (l) => String(l.replayCount)],
  ['TYPE', 14, (l) => l.type ?? '-'],
  ['USER', 16, (l) => l.userId ?? '-'],
];
const ERROR_WIDTH = 80;

export function letterTableHeader(): string {
  return [...COLUMNS.map(([title, width]) => cell(title, width)), 'ERROR'].join('  ');
}

export function letterTableRows(letters: readonly LetterSummary[]): string[] {
  return letters.map((letter) =>
    [...COLUMNS.map(([, width, value]) => cell(value(letter), width)), cell(letter.error, ERROR_WIDTH).trimEnd()].join(
      '  ',
    ),
  );
}

export function listFooter(shown: number, nextCursor: string | null): string {
  const count = shown === 0 ? 'no dead letters match' : `${shown} letter${shown === 1 ? '' : 's'}`;
  return nextCursor ? `${count}; more with --cursor ${nextCursor} (or --all)` : count;
}

export function formatLetter(letter: LetterDetail): string {
  const source =
    letter.source.topic === null
      ? 'unknown'
      : `${letter.source.topic} partition ${letter.source.partition ?? '?'} offset ${letter.source.offset ?? '?'}`;
  const lines = [
    `letter      ${letter.letterId}  (${letter.dlq.topic} partition ${letter.dlq.partition} offset ${letter.dlq.offset})`,
    `status      ${letter.status} (replay count ${letter.replayCount})`,
    `reason      ${letter.reason}`,
    `error       ${letter.error}`,
    `failed at   ${letter.failedAt}`,
    `source      ${source}`,
    `event       ${letter.eventId ?? '-'}  user ${letter.userId ?? '-'}  type ${letter.type ?? '-'}`,
    `key         ${letter.key ?? '(none)'}`,
  ];
  if (letter.replayedAt) lines.push(`replayed    ${letter.replayedAt} by ${letter.replayJob ?? '?'}`);
  lines.push('headers');
  for (const { name, value } of letter.headers) lines.push(`  ${name}: ${value}`);
  const { payload } = letter;
  if (!payload.kept) {
    lines.push(
      `payload     not kept (${letter.payloadBytes} bytes, over 64 KB): read it from ${letter.dlq.topic} partition ${letter.dlq.partition} offset ${letter.dlq.offset}`,
    );
  } else {
    lines.push(`payload     ${payload.encoding}, ${letter.payloadBytes} bytes`);
    const text = payload.encoding === 'json' ? JSON.stringify(payload.value, null, 2) : String(payload.value);
    lines.push(...text.split('\n').map((line) => `  ${line}`));
  }
  return lines.join('\n');
}

export function formatStats(stats: LetterStats): string {
  const range = stats.from || stats.to ? ` failed from ${stats.from ?? 'the start'} to ${stats.to ?? 'now'}` : '';
  const lines = [`${stats.total} dead letter${stats.total === 1 ? '' : 's'}${range}`];
  if (stats.total === 0) return lines.join('\n');
  const known: readonly string[] = DEAD_LETTER_STATUSES;
  const statuses = [...known, ...Object.keys(stats.byStatus).filter((s) => !known.includes(s))];
  const reasons = Object.keys(stats.byReason).sort(
    (a, b) => stats.byReason[b]! - stats.byReason[a]! || (a < b ? -1 : 1),
  );
  const width = Math.max(6, ...reasons.map((r) => r.length));
  const count = (reason: string, status: string) =>
    stats.byReasonAndStatus.find((r) => r.reason === reason && r.status === status)?.count ?? 0;
  const row = (label: string, values: Array<string | number>) =>
    [label.padEnd(width), ...values.map((v, i) => String(v).padStart(Math.max(5, (statuses[i] ?? 'total').length)))]
      .join('  ')
      .trimEnd();
  lines.push('', row('REASON', [...statuses.map((s) => s.toUpperCase()), 'TOTAL']));
  for (const reason of reasons) {
    lines.push(row(reason, [...statuses.map((s) => count(reason, s)), stats.byReason[reason]!]));
  }
  lines.push(row('all', [...statuses.map((s) => stats.byStatus[s] ?? 0), stats.total]));
  return lines.join('\n');
}

export function formatJobSummary(job: ReplayJobView): string {
  const { counts } = job;
  const failing = Object.entries(counts.stillFailing).sort(([, a], [, b]) => b - a);
  const failingTotal = failing.reduce((sum, [, n]) => sum + n, 0);
  const passed = job.dryRun ? `would pass ${counts.wouldPass}` : `passed ${counts.passed} (republished)`;
  const lines = [
    `replay ${job.jobId} ${job.state}${job.dryRun ? ' (dry run: nothing changed)' : ''}`,
    `  scanned ${counts.scanned}, ${passed}, still failing ${failingTotal}, skipped ${counts.skipped}`,
  ];
  if (job.error) lines.push(`  error: ${job.error}`);
  if (failing.length > 0) {
    const width = Math.max(...failing.map(([reason]) => reason.length));
    lines.push('still failing, by reason:', ...failing.map(([reason, n]) => `  ${reason.padEnd(width)}  ${n}`));
  }
  if (job.samples.length > 0) {
    lines.push('samples:', ...job.samples.map((s) => `  ${s.letterId}  ${s.reason}  ${cell(s.error, 100).trimEnd()}`));
  }
  return lines.join('\n');
}

/** 0 when the job is done and nothing still fails; 1 when something still fails or the job did not finish. */
export function replayExitCode(job: ReplayJobView): number {
  const clean = job.state === 'done' && Object.values(job.counts.stillFailing).every((n) => n === 0);
  return clean ? EXIT.ok : EXIT.incomplete;
}
