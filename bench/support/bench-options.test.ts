import { ONLY_STAGES, parseBenchArgs } from './bench-options';

describe('parseBenchArgs', () => {
  it('when no flag is given, then the whole bench runs on the services as they are', () => {
    expect(parseBenchArgs([])).toEqual({ help: false, options: {} });
  });

  it.each(Object.keys(ONLY_STAGES))('when --only names the stage %s, then that stage is chosen', (stage) => {
    expect(parseBenchArgs(['--only', stage])).toEqual({ help: false, options: { only: stage } });
  });

  it('when --only names no stage, then the error lists every stage', () => {
    expect(parseBenchArgs(['--only', 'nope'])).toEqual({
      help: false,
      error:
        '--only takes "reads", "stats", "write-scale", "soak", "activity-types", "insights" or "access" (got nope)',
    });
  });

  it('when a flag is unknown, then it is an error naming the flag', () => {
    const parsed = parseBenchArgs(['--only', 'reads', '--frob']);
    expect(parsed).toEqual({ help: false, error: expect.stringContaining("'--frob'") });
  });

  it('when --only has no value, then it is an error', () => {
    expect(parseBenchArgs(['--only'])).toEqual({ help: false, error: expect.stringContaining('--only') });
  });

  it('when a positional argument is given, then it is an error', () => {
    expect(parseBenchArgs(['reads'])).toEqual({ help: false, error: expect.stringContaining("'reads'") });
  });

  it('when --kafka-nodes is a count of 1-9, then it is taken as a number', () => {
    expect(parseBenchArgs(['--kafka-nodes', '3'])).toEqual({ help: false, options: { kafkaNodes: 3 } });
  });

  it.each(['0', '10', '2.5', 'three'])('when --kafka-nodes is %s, then it is an error', (nodes) => {
    expect(parseBenchArgs(['--kafka-nodes', nodes])).toEqual({
      help: false,
      error: `--kafka-nodes takes a count of 1-9 (got ${nodes})`,
    });
  });

  it('when --report is given with --only soak, then both are kept', () => {
    expect(parseBenchArgs(['--only', 'soak', '--report', 'bench/results/x.json'])).toEqual({
      help: false,
      options: { only: 'soak', report: 'bench/results/x.json' },
    });
  });

  it.each([['--help'], ['-h'], ['--only', 'soak', '-h']])('when %s is given, then help is asked for', (...argv) => {
    expect(parseBenchArgs(argv)).toEqual({ help: true });
  });
});
