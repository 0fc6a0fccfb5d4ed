import { parseChaosArgs } from './chaos-options';

const IDS = { single: [1, 2, 3, 4, 5, 6, 10], cluster: [7, 8, 9] };

describe('parseChaosArgs', () => {
  it('when no flag is given, then every single-broker scenario runs after a build', () => {
    expect(parseChaosArgs([], IDS)).toEqual({
      help: false,
      options: { only: new Set(IDS.single), build: true, cluster: false },
    });
  });

  it('when --cluster is given, then every cluster scenario runs', () => {
    expect(parseChaosArgs(['--cluster', '--no-build'], IDS)).toEqual({
      help: false,
      options: { only: new Set(IDS.cluster), build: false, cluster: true },
    });
  });

  it('when --only names ids of the chosen set, then only those run', () => {
    expect(parseChaosArgs(['--only', '1,10'], IDS)).toEqual({
      help: false,
      options: { only: new Set([1, 10]), build: true, cluster: false },
    });
  });

  it('when --only names a cluster scenario without --cluster, then the error lists the ids and says why', () => {
    expect(parseChaosArgs(['--only', '7'], IDS)).toEqual({
      help: false,
      error: '--only takes ids 1, 2, 3, 4, 5, 6, 10 (7-9 need --cluster)',
    });
  });

  it('when --only names a single-broker scenario with --cluster, then the error lists the cluster ids', () => {
    expect(parseChaosArgs(['--only', '1', '--cluster'], IDS)).toEqual({
      help: false,
      error: '--only takes ids 7, 8, 9 with --cluster',
    });
  });

  it('when a flag is unknown, then it is an error naming the flag', () => {
    expect(parseChaosArgs(['--clusters'], IDS)).toEqual({
      help: false,
      error: expect.stringContaining("'--clusters'"),
    });
  });

  it('when --only has no value, then it is an error', () => {
    expect(parseChaosArgs(['--only'], IDS)).toEqual({ help: false, error: expect.stringContaining('--only') });
  });

  it.each([['--help'], ['-h'], ['--cluster', '-h']])('when %s is given, then help is asked for', (...argv) => {
    expect(parseChaosArgs(argv, IDS)).toEqual({ help: true });
  });
});
