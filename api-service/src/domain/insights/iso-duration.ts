import type { FieldError } from '../domain-error';
import { INSIGHTS_LIMITS, MS_PER_DAY } from './insights-limits';

/**
 * An ISO-8601 duration of weeks, days, hours and minutes, in that order (P7D, PT30M, P1DT12H, P1W2D): fixed lengths
 * (a day is 24 h: UTC has no DST). Years, months and seconds are not taken: a month's length depends on where it
 * starts, and a window is a length. `[0-9]`, not `\d`: the document's pattern must mean the same in every regex
 * dialect (in Python `\d` also matches other scripts' digits).
 */
export const WITHIN_PATTERN = /^P(?:([0-9]{1,6})W)?(?:([0-9]{1,6})D)?(?:T(?:([0-9]{1,6})H)?(?:([0-9]{1,6})M)?)?$/;

const UNIT_MS = [7 * MS_PER_DAY, MS_PER_DAY, 3_600_000, 60_000] as const;

/** The duration in ms, or the rule it breaks (`funnel-window`). */
export function parseWithin(text: string): { ms: number } | { error: FieldError } {
  const match = WITHIN_PATTERN.exec(text);
  const fail = (message: string) => ({ error: { path: 'within', message, rule: 'funnel-window' as const } });
  if (!match || text.endsWith('T') || match.slice(1).every((part) => part === undefined)) {
    return fail('within must be an ISO-8601 duration of W, D, H and M parts, e.g. P7D, PT30M or P1DT12H');
  }
  const ms = UNIT_MS.reduce((sum, unit, i) => sum + Number(match[i + 1] ?? 0) * unit, 0);
  if (ms < INSIGHTS_LIMITS.funnelMinWithinMs || ms > INSIGHTS_LIMITS.funnelMaxWithinMs) {
    return fail(`within is ${ms / 60_000} minutes; it must be from 1 minute to 90 days`);
  }
  return { ms };
}
