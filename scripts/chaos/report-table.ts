import { passed, type ScenarioResult } from './accounting';

function cell(value: string | number): string {
  return String(value).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function resultCell(result: ScenarioResult): string {
  if (passed(result)) return 'PASS';
  const failed = result.checks.filter((c) => !c.ok).map((c) => c.name);
  return failed.length > 0 ? `FAIL (${failed.join(', ')})` : 'FAIL (no checks ran)';
}

/** scenario | sent | accepted | persisted | duplicates | lost | DLQ | result */
export function renderTable(results: readonly ScenarioResult[]): string {
  const rows = results.map((r) =>
    [
      `${r.id}. ${r.name}`,
      r.sent,
      r.tally.accepted,
      r.tally.persisted,
      r.tally.duplicates,
      r.tally.lost,
      r.deadLetters,
      resultCell(r),
    ]
      .map(cell)
      .join(' | '),
  );
  return [
    '| scenario | sent | accepted | persisted | duplicates | lost | DLQ | result |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}

export interface ReportMeta {
  startedAt: Date;
  durationMs: number;
  environment: string[];
}

/** The whole markdown document: table, then every check and note per scenario. */
export function renderReport(results: readonly ScenarioResult[], meta: ReportMeta): string {
  const allPassed = results.length > 0 && results.every(passed);
  const details = results.flatMap((r) => [
    '',
    `### ${r.id}. ${r.name} (${(r.durationMs / 1000).toFixed(1)} s)`,
    '',
    ...r.checks.map((c) => `- ${c.ok ? 'ok' : '**FAILED**'} ${c.name}: ${c.detail}`),
    ...r.notes.map((n) => `- ${n}`),
  ]);
  return [
    `# Chaos suite, ${meta.startedAt.toISOString()}`,
    '',
    `Verdict: **${allPassed ? 'every scenario holds' : 'at least one scenario FAILED'}** (${(meta.durationMs / 1000).toFixed(0)} s in total).`,
    '',
    renderTable(results),
    '',
    'sent = distinct events sent (poison included); accepted = eventIds acknowledged (202, or the broker ack for',
    'direct produces); persisted = distinct eventIds in the store; duplicates = extra documents per eventId;',
    'lost = accepted but not stored; DLQ = messages in the scenario’s dead-letter topic.',
    '',
    '## Environment',
    '',
    ...meta.environment.map((line) => `- ${line}`),
    '',
    '## Details',
    ...details,
    '',
  ].join('\n');
}
