/** One HTTP attempt as the client saw it; `outcome` is the status code, or why there was none. */
export interface Attempt {
  startedAt: number;
  latencyMs: number;
  outcome: number | 'timeout' | 'network';
}

export interface AttemptSummary {
  attempts: number;
  byOutcome: Map<string, number>;
  /** Slowest attempt per outcome, in ms. */
  maxLatency: Map<string, number>;
  /** 5xx other than 503: the API must never answer them. */
  otherServerErrors: number;
  /** Timeouts and refused/reset connections: a hang or a dead API. */
  noAnswer: number;
  clientErrors: number;
}

/** Attempts started in [from, to) (all of them without a window). */
export function summarizeAttempts(attempts: readonly Attempt[], window?: { from: number; to: number }): AttemptSummary {
  const byOutcome = new Map<string, number>();
  const maxLatency = new Map<string, number>();
  let otherServerErrors = 0;
  let noAnswer = 0;
  let clientErrors = 0;
  let count = 0;
  for (const a of attempts) {
    if (window && (a.startedAt < window.from || a.startedAt >= window.to)) continue;
    count++;
    const key = String(a.outcome);
    byOutcome.set(key, (byOutcome.get(key) ?? 0) + 1);
    maxLatency.set(key, Math.max(maxLatency.get(key) ?? 0, a.latencyMs));
    if (typeof a.outcome !== 'number') noAnswer++;
    else if (a.outcome >= 500 && a.outcome !== 503) otherServerErrors++;
    else if (a.outcome >= 400 && a.outcome < 500) clientErrors++;
  }
  return { attempts: count, byOutcome, maxLatency, otherServerErrors, noAnswer, clientErrors };
}

/** `202×40 503×12` */
export function formatOutcomes(summary: AttemptSummary): string {
  if (summary.attempts === 0) return 'no requests';
  return [...summary.byOutcome.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([outcome, n]) => `${outcome}×${n}`)
    .join(' ');
}

/**
 * When the first 202 to a request started at or after `since` arrived (ms since epoch), or undefined:
 * a request already in flight at `since` says nothing about whether the platform accepts again.
 */
export function firstAcceptedAfter(attempts: readonly Attempt[], since: number): number | undefined {
  let first: number | undefined;
  for (const a of attempts) {
    if (a.outcome !== 202 || a.startedAt < since) continue;
    const answeredAt = a.startedAt + a.latencyMs;
    if (first === undefined || answeredAt < first) first = answeredAt;
  }
  return first;
}
