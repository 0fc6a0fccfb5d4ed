import { DomainError, type FieldError } from '../domain-error';
import { ceilDay, floorDay } from './calendar-buckets';
import { INSIGHTS_LIMITS, MS_PER_DAY } from './insights-limits';

/** A range as a client may give it: either end, both, or neither. */
export interface RangeParams {
  from?: Date | undefined;
  to?: Date | undefined;
}

/** [from, to) in epoch ms. */
export interface Range {
  from: number;
  to: number;
}

export function invalidQuery(errors: FieldError[]): DomainError {
  return new DomainError('VALIDATION_FAILED', 'The query parameters are invalid', { errors });
}

function assertOrder(params: RangeParams): void {
  if (params.from && params.to && params.from >= params.to) {
    throw invalidQuery([
      { path: 'from', message: 'from must be before to (from is inclusive, to exclusive)', rule: 'range-order' },
    ]);
  }
}

/**
 * Top values and funnels: the range as given, else `defaultMs` back from `to`, which defaults to now (or just
 * after a `from` in the future, so that a range with only a from is never empty or reversed).
 */
export function defaultRange(params: RangeParams, now: Date, defaultMs: number): Range {
  assertOrder(params);
  const to = params.to?.getTime() ?? Math.max(now.getTime(), (params.from?.getTime() ?? -Infinity) + 1);
  const from = params.from?.getTime() ?? to - defaultMs;
  return { from, to };
}

/**
 * Active users count whole UTC days: from is floored and to ceiled to midnights. Without to, the range ends at the
 * next midnight (today included); without from, it starts 30 days before to. At most 366 days.
 */
export function activeUsersRange(params: RangeParams, now: Date): Range {
  assertOrder(params);
  const to =
    params.to !== undefined
      ? ceilDay(params.to.getTime())
      : Math.max(floorDay(now.getTime()), floorDay(params.from?.getTime() ?? -Infinity)) + MS_PER_DAY;
  const from =
    params.from !== undefined
      ? floorDay(params.from.getTime())
      : to - INSIGHTS_LIMITS.activeUsersDefaultDays * MS_PER_DAY;
  const days = (to - from) / MS_PER_DAY;
  if (days > INSIGHTS_LIMITS.maxRangeDays) {
    throw invalidQuery([
      {
        path: 'from',
        message: `the range spans ${days} whole UTC days; at most ${INSIGHTS_LIMITS.maxRangeDays}`,
        rule: 'insights-range',
      },
    ]);
  }
  return { from, to };
}

/** The oldest occurredAt retention keeps (0: no retention); the worker deletes by occurredAt before it. */
export function retentionHorizon(now: Date, retentionDays: number): number {
  return retentionDays > 0 ? now.getTime() - retentionDays * MS_PER_DAY : 0;
}

/** from raised to the horizon (never past to): the answer says which range it counted. */
export function clampToRetention(range: Range, horizon: number): Range {
  return { from: Math.min(Math.max(range.from, horizon), range.to), to: range.to };
}

/** Active users: from raised to the first whole UTC day after the horizon, so every day counted is complete. */
export function clampDaysToRetention(range: Range, horizon: number): Range {
  return clampToRetention(range, horizon > 0 ? ceilDay(horizon) : horizon);
}
