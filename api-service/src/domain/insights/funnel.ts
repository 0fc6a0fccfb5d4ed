import type { ActivityType } from '@uap/shared/contract';
import { matchesStep, type FunnelStep } from './funnel-steps';
import type { InsightValue } from './insights-limits';

/** One event with a userId, as a funnel reads it (the reader port's FunnelEvent). */
export interface FunnelEventLike {
  userId: string;
  type: ActivityType;
  occurredAt: number;
  eventId: string;
  values: Readonly<Record<string, InsightValue>>;
}

export interface FunnelStepCounts {
  /** Users whose depth is at least this step's (1-based) index. */
  users: number;
  /** t(i) − t(i−1) of every user reaching this step, ms, ascending; empty for the first step. */
  gapsMs: number[];
}

/** The list's order: occurredAt, then eventId in code units. */
export function compareEvents(a: FunnelEventLike, b: FunnelEventLike): number {
  return a.occurredAt - b.occurredAt || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);
}

/**
 * Counts a funnel over events read from [from, to + within). Per user, in the list's order, an entry is a step-1
 * event with occurredAt in [from, to); each next step is the earliest later event matching it with occurredAt −
 * entry's ≤ within, so no event is two steps. Taking the earliest match never loses depth: any later match leaves
 * fewer events to the next steps. A user's depth is the most steps over all entries, and the gaps come from the
 * earliest entry reaching it.
 *
 * A next-match table (per step, the first matching event at or after each position, built backwards) makes each
 * walk k look-ups: O(n·k) per user, whatever the number of entries.
 */
export function computeFunnel(
  steps: readonly FunnelStep[],
  events: readonly FunnelEventLike[],
  range: { from: number; to: number; withinMs: number },
): FunnelStepCounts[] {
  const k = steps.length;
  const depthCounts = new Array<number>(k + 1).fill(0);
  const gaps: number[][] = steps.map(() => []);
  for (const userEvents of byUser(events).values()) {
    userEvents.sort(compareEvents);
    const { depth, times } = walkUser(steps, userEvents, range);
    depthCounts[depth]!++;
    for (let i = 1; i < depth; i++) gaps[i]!.push(times[i]! - times[i - 1]!);
  }
  const counts: FunnelStepCounts[] = [];
  let atLeast = 0;
  for (let i = k; i >= 1; i--) {
    atLeast += depthCounts[i]!;
    counts[i - 1] = { users: atLeast, gapsMs: gaps[i - 1]!.sort((a, b) => a - b) };
  }
  return counts;
}

function byUser(events: readonly FunnelEventLike[]): Map<string, FunnelEventLike[]> {
  const users = new Map<string, FunnelEventLike[]>();
  for (const event of events) {
    const list = users.get(event.userId);
    if (list) list.push(event);
    else users.set(event.userId, [event]);
  }
  return users;
}

const NONE = -1;

/** One user's depth, and the step times (occurredAt) of the earliest entry reaching it; events sorted. */
function walkUser(
  steps: readonly FunnelStep[],
  events: readonly FunnelEventLike[],
  range: { from: number; to: number; withinMs: number },
): { depth: number; times: number[] } {
  const n = events.length;
  const k = steps.length;
  // next[j * (n + 1) + p]: the first event at or after p matching step j (NONE past the last).
  const next = new Int32Array(k * (n + 1)).fill(NONE);
  for (let p = n - 1; p >= 0; p--) {
    const event = events[p]!;
    for (let j = 0; j < k; j++) {
      next[j * (n + 1) + p] = matchesStep(steps[j]!, event.type, event.values) ? p : next[j * (n + 1) + p + 1]!;
    }
  }
  let best = 0;
  let bestTimes: number[] = [];
  for (let e = next[0]!; e !== NONE && best < k; e = next[e + 1]!) {
    const entry = events[e]!.occurredAt;
    if (entry < range.from || entry >= range.to) continue;
    const times = [entry];
    let at = e;
    for (let j = 1; j < k; j++) {
      const q = next[j * (n + 1) + at + 1]!;
      if (q === NONE || events[q]!.occurredAt - entry > range.withinMs) break;
      times.push(events[q]!.occurredAt);
      at = q;
    }
    if (times.length > best) {
      best = times.length;
      bestTimes = times;
    }
  }
  return { depth: best, times: bestTimes };
}

/**
 * Nearest-rank percentile of ascending values: the value at rank ceil(percent/100 · n), 1-based; undefined when
 * empty. In whole percents, so the rank needs no fraction that binary floating point cannot hold (0.9 is not 9/10).
 */
export function nearestRank(sorted: readonly number[], percent: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.max(1, Math.ceil((percent * sorted.length) / 100)) - 1];
}
