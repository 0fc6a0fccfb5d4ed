import { aJob, aLetter, aLetterDetail, someStats } from './dlq-fixtures';
import {
  formatJobSummary,
  formatLetter,
  formatStats,
  letterTableHeader,
  letterTableRows,
  listFooter,
  replayExitCode,
} from './dlq-format';

describe('dlq output', () => {
  it('when letters are listed, then every row lines up under the header', () => {
    const rows = letterTableRows([aLetter(), aLetter({ letterId: '11-123456', userId: null, reason: 'invalid-json' })]);
    const header = letterTableHeader();
    expect(header).toMatch(/^LETTER\s+FAILED AT\s+REASON\s+STATUS\s+REPLAYS\s+TYPE\s+USER\s+ERROR$/);
    for (const row of rows) expect(row.indexOf('dead')).toBe(header.indexOf('STATUS'));
    expect(rows[0]).toContain('2026-11-28T09:00:00Z');
    expect(rows[1]).toMatch(/invalid-json\s+dead\s+0\s+-\s+-\s+type:/);
  });

  it('when more pages are left, then the footer names the cursor', () => {
    expect(listFooter(20, 'eyJ2')).toBe('20 letters; more with --cursor eyJ2 (or --all)');
    expect(listFooter(1, null)).toBe('1 letter');
    expect(listFooter(0, null)).toBe('no dead letters match');
  });

  it('when a letter is shown, then its error, headers and decoded payload are printed', () => {
    const text = formatLetter(aLetterDetail({ replayedAt: '2026-11-29T00:00:00.000Z', replayJob: 'rj_x' }));
    expect(text).toContain('letter      0-42  (user-activities.dlq partition 0 offset 42)');
    expect(text).toContain('source      user-activities partition 3 offset 1187');
    expect(text).toContain('status      dead (replay count 0)');
    expect(text).toContain('replayed    2026-11-29T00:00:00.000Z by rj_x');
    expect(text).toContain('  dlq-reason: schema-violation');
    expect(text).toContain('payload     json, 61 bytes\n  {\n    "userId": "alice",');
  });

  it('when a payload was too large to keep, then the letter says where to read it', () => {
    const text = formatLetter(
      aLetterDetail({ payloadBytes: 70_000, payload: { kept: false, encoding: null, value: null } }),
    );
    expect(text).toContain(
      'not kept (70000 bytes, over 64 KB): read it from user-activities.dlq partition 0 offset 42',
    );
  });

  it('when stats are printed, then reasons are rows by count and statuses columns with totals', () => {
    const text = formatStats(
      someStats([
        ['invalid-json', 'dead', 2],
        ['schema-violation', 'dead', 9],
        ['schema-violation', 'replayed', 3],
        ['schema-violation', 'parked', 1],
      ]),
    );
    expect(text.split('\n')).toEqual([
      '15 dead letters',
      '',
      'REASON             DEAD  REPLAYED  PARKED  TOTAL',
      'schema-violation      9         3       1     13',
      'invalid-json          2         0       0      2',
      'all                  11         3       1     15',
    ]);
  });

  it('when there are no letters, then stats say so in one line', () => {
    expect(formatStats(someStats([]))).toBe('0 dead letters');
  });

  it('when a dry run ends with letters still failing, then the summary lists them by reason with samples', () => {
    const job = aJob({
      state: 'done',
      dryRun: true,
      counts: { scanned: 12, wouldPass: 9, passed: 9, stillFailing: { 'schema-violation': 2, 'invalid-json': 1 } },
      samples: [{ letterId: '0-7', reason: 'invalid-json', error: 'Unexpected token' }],
    });
    expect(formatJobSummary(job).split('\n')).toEqual([
      'replay rj_AbCdEfGhIjKl done (dry run: nothing changed)',
      '  scanned 12, would pass 9, still failing 3, skipped 0',
      'still failing, by reason:',
      '  schema-violation  2',
      '  invalid-json      1',
      'samples:',
      '  0-7  invalid-json  Unexpected token',
    ]);
    expect(replayExitCode(job)).toBe(1);
  });

  it.each([
    ['done', {}, 0],
    ['done', { 'schema-violation': 1 }, 1],
    ['cancelled', {}, 1],
    ['failed', {}, 1],
  ] as const)('when a job ends %s with %j still failing, then the exit code is %i', (state, stillFailing, code) => {
    expect(replayExitCode(aJob({ state, counts: { stillFailing } }))).toBe(code);
  });
});
