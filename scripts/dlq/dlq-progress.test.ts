import { aJob, someStats } from './dlq-fixtures';
import { expectedTotal, formatDuration, progressBar, progressLine, progressView, statsHelp } from './dlq-progress';

const STATS = someStats([
  ['schema-violation', 'dead', 600],
  ['schema-violation', 'parked', 5],
  ['invalid-json', 'dead', 300],
  ['invalid-json', 'replayed', 100],
]);

describe('replay progress', () => {
  it('when the filter has only a reason, then the total is the dead letters of that reason', () => {
    expect(expectedTotal({ filter: { reason: 'schema-violation' } }, STATS)).toBe(600);
    expect(expectedTotal({ filter: {} }, STATS)).toBe(900);
  });

  it('when statuses are given, then the total counts those statuses', () => {
    expect(expectedTotal({ filter: { status: ['dead', 'replayed'] } }, STATS)).toBe(1000);
  });

  it('when max is given, then it caps the total, and alone it is the total', () => {
    expect(expectedTotal({ filter: {}, max: 50 }, STATS)).toBe(50);
    expect(expectedTotal({ filter: { type: 'SEARCH' }, max: 50 }, undefined)).toBe(50);
    expect(expectedTotal({ filter: {}, max: 5000 }, STATS)).toBe(900);
  });

  it('when ids are given, then the total is how many', () => {
    expect(expectedTotal({ filter: {}, letterIds: ['0-1', '0-2'] }, undefined)).toBe(2);
    expect(statsHelp({ filter: {}, letterIds: ['0-1'] })).toBe(false);
  });

  it('when the filter names a type or user, then the stats cannot tell the total', () => {
    expect(statsHelp({ filter: { userId: 'alice' } })).toBe(false);
    expect(expectedTotal({ filter: { userId: 'alice' } }, STATS)).toBeUndefined();
    expect(expectedTotal({ filter: { type: 'SEARCH' } }, STATS)).toBeUndefined();
  });

  it('when a running job has scanned part of a known total, then the rate and ETA follow', () => {
    const view = progressView(aJob({ counts: { scanned: 250 } }), 5, 1000);
    expect(view).toEqual({ scanned: 250, total: 1000, ratePerSec: 50, etaSeconds: 15 });
  });

  it('when the total is unknown or the job ended, then there is no ETA', () => {
    expect(progressView(aJob({ counts: { scanned: 10 } }), 2).etaSeconds).toBeUndefined();
    expect(progressView(aJob({ state: 'done', counts: { scanned: 10 } }), 2, 10).etaSeconds).toBeUndefined();
  });

  it.each([
    [4.2, '5s'],
    [125, '2m05s'],
    [3725, '1h02m'],
  ])('when %ss are left, then it reads %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('when the total is known, then the bar shows the share scanned with the counts', () => {
    const job = aJob({ counts: { scanned: 500, passed: 480, stillFailing: { 'schema-violation': 20 } } });
    expect(progressBar(job, progressView(job, 10, 1000), 10)).toBe(
      '[#####.....]  50%  scanned 500/1000  passed 480  still failing 20  50/s  ETA 10s',
    );
  });

  it('when the total is unknown, then the bar is the counts alone', () => {
    const job = aJob({ dryRun: true, counts: { scanned: 30, wouldPass: 30 } });
    expect(progressBar(job, progressView(job, 3))).toBe(
      'rj_AbCdEfGhIjKl  scanned 30  would pass 30  still failing 0  10/s',
    );
  });

  it('when progress goes to a log, then it is one plain line', () => {
    const job = aJob({ counts: { scanned: 500, passed: 500 } });
    expect(progressLine(job, progressView(job, 10, 1000))).toBe(
      'replay rj_AbCdEfGhIjKl running: scanned 500/1000, passed 500, still failing 0, 50/s, ETA 10s',
    );
  });
});
