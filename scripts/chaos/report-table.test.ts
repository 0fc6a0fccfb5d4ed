import { tally, type ScenarioResult } from './accounting';
import { renderReport, renderTable } from './report-table';

function aResult(overrides: Partial<ScenarioResult> = {}): ScenarioResult {
  return {
    id: 1,
    name: 'worker SIGKILL',
    sent: 3,
    tally: tally({ sent: new Set(['a', 'b', 'c']), accepted: new Set(['a', 'b']) }, ['a', 'b', 'c']),
    deadLetters: 0,
    checks: [{ name: 'nothing lost', ok: true, detail: 'every accepted event is stored' }],
    notes: ['5 kills'],
    durationMs: 12_345,
    ...overrides,
  };
}

describe('renderTable', () => {
  it('when a scenario holds, then its row shows the figures and PASS', () => {
    const lines = renderTable([aResult()]).split('\n');
    expect(lines[0]).toBe('| scenario | sent | accepted | persisted | duplicates | lost | DLQ | result |');
    expect(lines[2]).toBe('| 1. worker SIGKILL | 3 | 2 | 3 | 0 | 0 | 0 | PASS |');
  });

  it('when checks fail, then the result names them', () => {
    const row = renderTable([
      aResult({
        checks: [
          { name: 'nothing lost', ok: false, detail: '' },
          { name: 'no duplicates', ok: true, detail: '' },
          { name: 'dead letters', ok: false, detail: '' },
        ],
      }),
    ]).split('\n')[2];
    expect(row).toMatch(/\| FAIL \(nothing lost, dead letters\) \|$/);
  });

  it('when a name contains a pipe, then it is escaped so the table keeps its columns', () => {
    expect(renderTable([aResult({ name: 'a|b' })]).split('\n')[2]).toContain('1. a\\|b');
  });
});

describe('renderReport', () => {
  const meta = { startedAt: new Date('2026-11-28T01:00:00Z'), durationMs: 60_000, environment: ['2 cores'] };

  it('when every scenario holds, then the verdict says so and every check and note is listed', () => {
    const report = renderReport([aResult()], meta);
    expect(report).toContain('every scenario holds');
    expect(report).toContain('- ok nothing lost: every accepted event is stored');
    expect(report).toContain('- 5 kills');
    expect(report).toContain('- 2 cores');
  });

  it('when one scenario fails, then the verdict says so', () => {
    const failing = aResult({ id: 2, checks: [{ name: 'x', ok: false, detail: 'broke' }] });
    const report = renderReport([aResult(), failing], meta);
    expect(report).toContain('at least one scenario FAILED');
    expect(report).toContain('- **FAILED** x: broke');
  });

  it('when no scenario ran, then it is not a pass', () => {
    expect(renderReport([], meta)).toContain('FAILED');
  });
});
