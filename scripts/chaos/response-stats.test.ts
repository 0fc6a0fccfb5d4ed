import { firstAcceptedAfter, formatOutcomes, summarizeAttempts, type Attempt } from './response-stats';

const attempt = (startedAt: number, outcome: Attempt['outcome'], latencyMs = 10): Attempt => ({
  startedAt,
  outcome,
  latencyMs,
});

describe('summarizeAttempts', () => {
  const attempts = [
    attempt(0, 202, 20),
    attempt(10, 503, 2_100),
    attempt(11, 503, 1_900),
    attempt(12, 500),
    attempt(13, 'timeout', 15_000),
    attempt(14, 'network', 1),
    attempt(15, 400),
    attempt(30, 202, 5),
  ];

  it('when given every attempt, then it counts outcomes and the slowest per outcome', () => {
    const s = summarizeAttempts(attempts);
    expect(s.attempts).toBe(8);
    expect(s.byOutcome.get('503')).toBe(2);
    expect(s.maxLatency.get('503')).toBe(2_100);
    expect(s.otherServerErrors).toBe(1);
    expect(s.noAnswer).toBe(2);
    expect(s.clientErrors).toBe(1);
  });

  it('when given a window, then only attempts started inside it count', () => {
    const s = summarizeAttempts(attempts, { from: 10, to: 12 });
    expect(formatOutcomes(s)).toBe('503×2');
    expect(s.otherServerErrors).toBe(0);
  });

  it('when nothing was sent, then it says so', () => {
    expect(formatOutcomes(summarizeAttempts([]))).toBe('no requests');
  });
});

describe('firstAcceptedAfter', () => {
  it('when 202s come before and after the moment, then the first answer to a request started after it counts', () => {
    const attempts = [
      attempt(0, 202, 5_000),
      attempt(100, 503, 2_000),
      attempt(2_200, 202, 300),
      attempt(2_000, 202, 900),
    ];
    expect(firstAcceptedAfter(attempts, 50)).toBe(2_500);
  });

  it('when only requests in flight at the moment got 202, then nothing counts as resumed', () => {
    expect(firstAcceptedAfter([attempt(0, 202, 5_000), attempt(100, 503)], 50)).toBeUndefined();
  });
});
