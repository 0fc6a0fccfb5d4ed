import { compareEvents, computeFunnel, nearestRank, type FunnelEventLike } from './funnel';
import { matchesStep, parseSteps, type FunnelStep } from './funnel-steps';

const MIN = 60_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');

function stepsOf(text: string): FunnelStep[] {
  const parsed = parseSteps(text);
  if (!('steps' in parsed)) throw new Error(JSON.stringify(parsed.errors));
  return parsed.steps;
}

let nextId = 0;
function ev(userId: string, type: string, minute: number, values: FunnelEventLike['values'] = {}, eventId?: string) {
  return {
    userId,
    type,
    occurredAt: T0 + minute * MIN,
    eventId: eventId ?? `e${String(nextId++).padStart(6, '0')}`,
    values,
  };
}

const RANGE = { from: T0, to: T0 + 60 * MIN, withinMs: 10 * MIN };
const usersOf = (counts: ReturnType<typeof computeFunnel>) => counts.map((c) => c.users);

describe('funnel computation', () => {
  it('when events arrive out of order, then steps follow occurredAt, not the order read', () => {
    const events = [ev('u', 'C', 3), ev('u', 'B', 2), ev('u', 'A', 1)];
    const counts = computeFunnel(stepsOf('A,B,C'), events, RANGE);
    expect(usersOf(counts)).toEqual([1, 1, 1]);
    expect(counts[1]!.gapsMs).toEqual([MIN]);
  });

  it('when two events share an occurredAt, then eventId orders them: the later one can be the next step', () => {
    const a = ev('u', 'A', 5, {}, 'b-id');
    const earlierB = ev('u', 'B', 5, {}, 'a-id');
    expect(usersOf(computeFunnel(stepsOf('A,B'), [a, earlierB], RANGE))).toEqual([1, 0]);
    const laterB = ev('u', 'B', 5, {}, 'c-id');
    const counts = computeFunnel(stepsOf('A,B'), [laterB, a], RANGE);
    expect(usersOf(counts)).toEqual([1, 1]);
    expect(counts[1]!.gapsMs).toEqual([0]);
  });

  it('when a step is exactly `within` after the entry, then it counts; a millisecond later, then it does not', () => {
    const entry = ev('u', 'A', 0);
    const atEdge = { ...ev('u', 'B', 10) };
    expect(usersOf(computeFunnel(stepsOf('A,B'), [entry, atEdge], RANGE))).toEqual([1, 1]);
    const past = { ...atEdge, occurredAt: atEdge.occurredAt + 1 };
    expect(usersOf(computeFunnel(stepsOf('A,B'), [entry, past], RANGE))).toEqual([1, 0]);
  });

  it('when the window is measured, then it runs from the entry, not from the previous step', () => {
    const events = [ev('u', 'A', 0), ev('u', 'B', 6), ev('u', 'C', 11)];
    expect(usersOf(computeFunnel(stepsOf('A,B,C'), events, RANGE))).toEqual([1, 1, 0]);
  });

  it('when a type repeats in the steps, then one event is never two steps', () => {
    const one = [ev('u', 'SEARCH', 1)];
    expect(usersOf(computeFunnel(stepsOf('SEARCH,SEARCH'), one, RANGE))).toEqual([1, 0]);
    const two = [ev('u', 'SEARCH', 1), ev('u', 'SEARCH', 2)];
    expect(usersOf(computeFunnel(stepsOf('SEARCH,SEARCH'), two, RANGE))).toEqual([1, 1]);
  });

  it('when a step has a metadata equality, then only events holding that value reach it', () => {
    const steps = stepsOf('A,SEARCH[metadata.q=shoes],B');
    const miss = [ev('u', 'A', 0), ev('u', 'SEARCH', 1, { 'metadata.q': 'hats' }), ev('u', 'B', 2)];
    expect(usersOf(computeFunnel(steps, miss, RANGE))).toEqual([1, 0, 0]);
    const hit = [...miss, ev('u', 'SEARCH', 3, { 'metadata.q': 'shoes' }), ev('u', 'B', 4)];
    expect(usersOf(computeFunnel(steps, hit, RANGE))).toEqual([1, 1, 1]);
  });

  it('when only a step-1 event outside [from, to) exists, then the user does not enter; later steps may lie past to', () => {
    const before = [ev('u', 'A', -1), ev('u', 'B', 1)];
    expect(usersOf(computeFunnel(stepsOf('A,B'), before, RANGE))).toEqual([0, 0]);
    const lateStep = [ev('u', 'A', 59), ev('u', 'B', 65)];
    expect(usersOf(computeFunnel(stepsOf('A,B'), lateStep, RANGE))).toEqual([1, 1]);
    const lateEntry = [ev('u', 'A', 60), ev('u', 'B', 61)];
    expect(usersOf(computeFunnel(stepsOf('A,B'), lateEntry, RANGE))).toEqual([0, 0]);
  });

  it('when several entries reach different depths, then the deepest counts and the earliest entry reaching it gives the times', () => {
    const events = [
      ev('u', 'A', 0),
      ev('u', 'B', 9), // reached from the first entry; C at 12 is past its window
      ev('u', 'A', 20),
      ev('u', 'B', 25),
      ev('u', 'C', 27),
      ev('u', 'A', 30),
      ev('u', 'B', 31),
      ev('u', 'C', 32),
    ];
    const counts = computeFunnel(stepsOf('A,B,C'), [...events, ev('u', 'C', 12)], RANGE);
    expect(usersOf(counts)).toEqual([1, 1, 1]);
    expect(counts.map((c) => c.gapsMs)).toEqual([[], [5 * MIN], [2 * MIN]]);
  });

  it('when users stop at different steps, then each step counts the users reaching at least it', () => {
    const events = [
      ...[ev('a', 'A', 0)],
      ...[ev('b', 'A', 0), ev('b', 'B', 1)],
      ...[ev('c', 'A', 0), ev('c', 'B', 2), ev('c', 'C', 3)],
      ...[ev('d', 'B', 0), ev('d', 'C', 1)],
    ];
    const counts = computeFunnel(stepsOf('A,B,C'), events, RANGE);
    expect(usersOf(counts)).toEqual([3, 2, 1]);
    expect(counts[1]!.gapsMs).toEqual([MIN, 2 * MIN]);
  });

  it('when percentiles are taken, then they are nearest-rank: the value at rank ceil(p·n)', () => {
    expect(nearestRank([], 50)).toBeUndefined();
    expect(nearestRank([7], 50)).toBe(7);
    expect(nearestRank([7], 90)).toBe(7);
    expect(nearestRank([1, 2], 50)).toBe(1);
    expect(nearestRank([1, 2, 3, 4], 50)).toBe(2);
    expect(nearestRank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(nearestRank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 90)).toBe(10);
  });
});

/** The definition read literally: per entry, scan forward for the earliest later event matching each next step. */
function byDefinition(steps: readonly FunnelStep[], events: readonly FunnelEventLike[], range: typeof RANGE) {
  const users = [...new Set(events.map((e) => e.userId))];
  const depths: number[] = [];
  const gaps: number[][] = steps.map(() => []);
  for (const user of users) {
    const own = events.filter((e) => e.userId === user).sort(compareEvents);
    let best: number[] = [];
    for (let e = 0; e < own.length; e++) {
      const entry = own[e]!;
      if (!matchesStep(steps[0]!, entry.type, entry.values)) continue;
      if (entry.occurredAt < range.from || entry.occurredAt >= range.to) continue;
      const times = [entry.occurredAt];
      let last = e;
      for (let j = 1; j < steps.length; j++) {
        let found = -1;
        for (let q = last + 1; q < own.length; q++) {
          if (matchesStep(steps[j]!, own[q]!.type, own[q]!.values)) {
            found = q;
            break;
          }
        }
        if (found < 0 || own[found]!.occurredAt - entry.occurredAt > range.withinMs) break;
        times.push(own[found]!.occurredAt);
        last = found;
      }
      if (times.length > best.length) best = times;
    }
    depths.push(best.length);
    for (let i = 1; i < best.length; i++) gaps[i]!.push(best[i]! - best[i - 1]!);
  }
  return steps.map((_, i) => ({
    users: depths.filter((depth) => depth > i).length,
    gapsMs: gaps[i]!.sort((a, b) => a - b),
  }));
}

/** The most steps any choice of events reaches (every increasing sequence tried): greedy must never do worse. */
function deepestByExhaustion(steps: readonly FunnelStep[], own: readonly FunnelEventLike[], range: typeof RANGE) {
  const sorted = [...own].sort(compareEvents);
  let best = 0;
  const extend = (entry: number, last: number, depth: number) => {
    best = Math.max(best, depth);
    if (depth === steps.length) return;
    for (let q = last + 1; q < sorted.length; q++) {
      const event = sorted[q]!;
      if (event.occurredAt - sorted[entry]!.occurredAt > range.withinMs) break;
      if (matchesStep(steps[depth]!, event.type, event.values)) extend(entry, q, depth + 1);
    }
  };
  sorted.forEach((event, e) => {
    if (event.occurredAt < range.from || event.occurredAt >= range.to) return;
    if (matchesStep(steps[0]!, event.type, event.values)) extend(e, e, 1);
  });
  return best;
}

function generated(seed: number, count: number, users: number): FunnelEventLike[] {
  let state = seed;
  const random = () => (state = (state * 48_271) % 2_147_483_647) / 2_147_483_647;
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  return Array.from({ length: count }, (_, i) => ({
    userId: `user-${Math.floor(random() * users)}`,
    type: pick(['A', 'B', 'C', 'SEARCH']),
    // Minutes only, across the range's ends, so that equal occurredAts (ordered by eventId) are common.
    occurredAt: T0 + Math.floor(random() * 80 - 10) * MIN,
    eventId: `${pick(['0', '7', 'f'])}-${(count - i).toString(36)}`,
    values: pick<FunnelEventLike['values']>([
      {},
      { 'metadata.q': 'shoes' },
      { 'metadata.q': 'hats' },
      { 'metadata.q': 1 },
      { 'metadata.q': true },
    ]),
  }));
}

describe('funnel computation against the definition', () => {
  it.each([
    ['A,B,C', 1],
    ['A,SEARCH[metadata.q=shoes],B', 2],
    ['SEARCH,SEARCH,SEARCH[metadata.q=1]', 3],
    ['B,A,B,A,C', 4],
    ['SEARCH[metadata.q=true],A', 5],
  ])('when %s runs over generated events (seed %d), then it equals scanning event by event', (text, seed) => {
    const steps = stepsOf(text);
    const events = generated(seed, 3_000, 150);
    const counts = computeFunnel(steps, events, RANGE);
    expect(counts).toEqual(byDefinition(steps, events, RANGE));
    // Not a vacuous match: some users drop off, and some reach the end.
    expect(counts[0]!.users).toBeGreaterThan(counts[counts.length - 1]!.users);
    expect(counts[counts.length - 1]!.users).toBeGreaterThan(0);
  });

  it('when every choice of events is tried for each user, then none reaches deeper than the earliest matches do', () => {
    const steps = stepsOf('A,B,SEARCH,B');
    const events = generated(11, 2_000, 60);
    const counts = computeFunnel(steps, events, RANGE);
    const depths = [...new Set(events.map((e) => e.userId))].map((user) =>
      deepestByExhaustion(
        steps,
        events.filter((e) => e.userId === user),
        RANGE,
      ),
    );
    expect(usersOf(counts)).toEqual(steps.map((_, i) => depths.filter((depth) => depth > i).length));
    expect(counts[0]!.users).toBeGreaterThan(counts[3]!.users);
    expect(counts[3]!.users).toBeGreaterThan(0);
  });
});
