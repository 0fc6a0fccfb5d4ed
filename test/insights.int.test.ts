import { seededRandom } from '@uap/shared/testing';
import { hashApiKey } from '../api-service/src/domain/api-key';
import { WorkerTestbed } from '../worker-service/src/testing/worker-testbed';
import { requiredEnv, storeEnv } from './support/integration';
import { ServiceProcess } from './support/service-process';
import { waitUntil } from './support/wait-until';
import { WorkerProcess } from './support/worker-process';

const KEY = 'k-insights-int';
const ERASURE_HASH_KEY = 'an-erasure-hash-key-for-the-insights-integration-test';
const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
const EVENTS = 100_000;
const BATCH = 2_500;

/** One generated event, as sent (occurredAt in epoch ms here; ISO on the wire). */
interface Ev {
  eventId: string;
  type: string;
  occurredAt: number;
  userId?: string;
  anonymousId?: string;
  metadata: Record<string, unknown>;
}

type Bucket = 'day' | 'week' | 'month';
type Scalar = string | number | boolean;

interface ActiveUsersBody {
  from: string;
  to: string;
  bucket: Bucket;
  buckets: Array<{ start: string; end: string; users: number }>;
  total: number;
  stickiness: number;
  exact: boolean;
}

interface TopBody {
  field: string;
  from: string;
  to: string;
  values: Array<{ value: Scalar; count: number; share: number }>;
  counted: number;
  distinct: number;
  exact: boolean;
}

interface FunnelStepBody {
  index: number;
  type: string;
  where?: Record<string, string>;
  users: number;
  conversionFromPrevious: number;
  conversionFromFirst: number;
  dropOff: number;
  medianMsFromPrevious?: number;
  p90MsFromPrevious?: number;
}

interface FunnelBody {
  from: string;
  to: string;
  steps: FunnelStepBody[];
  overallConversion: number;
  exact: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// The data: a seeded PRNG, so a failure replays with the same events.

const rng = seededRandom(29);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rng() * 16).toString(16)).join('');
/** A version-4 UUID from the PRNG; `first` fixes its first hex digit, which decides ties in the list's order. */
const uuid = (first?: string) => {
  const id = `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;
  return first === undefined ? id : `${first}${id.slice(1)}`;
};

const iso = (ms: number) => new Date(ms).toISOString();
const floorDay = (ms: number) => Math.floor(ms / DAY) * DAY;
const ceilDay = (ms: number) => Math.ceil(ms / DAY) * DAY;

// Every event lies before today's UTC midnight: none is in the future however long the run takes.
const T0 = floorDay(Date.now());
const START = T0 - 70 * DAY;
/** The funnels' 7-day range, where the window-edge users live. */
const FF = T0 - 35 * DAY;
const W = FF + 10 * HOUR;
/** A day, a Monday and a 1st of a month inside the range, for the users active across their edges. */
const EDGE_DAY = T0 - 20 * DAY;
const MONDAY = (() => {
  let d = T0 - 14 * DAY;
  while (new Date(d).getUTCDay() !== 1) d -= DAY;
  return d;
})();
const MONTH_START = (() => {
  const d = new Date(START + 3 * DAY);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
})();

const QUERIES = [
  'shoes',
  'boots',
  'socks',
  'café',
  'Zürich',
  'hat',
  'scarf',
  'gloves',
  ...range(52).map((i) => `q${i}`),
];
const PATHS = ['/', '/pricing', '/docs', '/blog', '/über', ...range(35).map((i) => `/p/${i}`)];
// Values a ranking must keep apart or leave out: 42 and "42" are two values; null, objects, arrays and an absent
// path are not counted.
const ODD_PATHS: unknown[] = [42, '42', true, false, null, { x: '/a' }, ['/a'], undefined];

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function metadataFor(type: string): Record<string, unknown> {
  switch (type) {
    case 'SEARCH':
      return { query: QUERIES[Math.floor(rng() * rng() * QUERIES.length)]! };
    case 'PAGE_VIEW': {
      const path = rng() < 0.03 ? pick(ODD_PATHS) : PATHS[Math.floor(rng() * rng() * PATHS.length)]!;
      return { ...(path === undefined ? {} : { path }), ref: pick(['ad', 'mail', 'direct']) };
    }
    case 'PURCHASE':
      return { amount: pick([100, '100', 25, 100.5]), gift: pick([true, false, 'true']) };
    case 'LOGIN':
      return { method: 'password', success: true };
    default:
      return {};
  }
}

const TYPE_WEIGHTS: Array<[string, number]> = [
  ['PAGE_VIEW', 34],
  ['SEARCH', 24],
  ['CLICK', 10],
  ['LOGIN', 8],
  ['SIGNUP', 7],
  ['PURCHASE', 9],
  ['LOGOUT', 5],
  ['PASSWORD_RESET', 3],
];
const TYPE_TOTAL = TYPE_WEIGHTS.reduce((sum, [, w]) => sum + w, 0);
function randomType(): string {
  let r = rng() * TYPE_TOTAL;
  for (const [type, weight] of TYPE_WEIGHTS) if ((r -= weight) < 0) return type;
  return 'CLICK';
}

const USERS = range(2_500).map((i) => `u${String(i).padStart(4, '0')}`);
const HOME = USERS.map(() => START + rng() * (T0 - START - DAY));
function randomEvent(): Ev {
  // Skewed users (some far busier than others), each active around a home time of theirs: funnels happen.
  const anonymous = rng() < 0.04;
  const u = Math.floor(rng() * rng() * USERS.length);
  let at = Math.floor(HOME[u]! + rng() * rng() * 10 * DAY);
  if (at >= T0) at = START + ((at - START) % (T0 - START));
  const type = anonymous ? pick(['PAGE_VIEW', 'SEARCH', 'SIGNUP', 'PURCHASE']) : randomType();
  return {
    eventId: uuid(),
    type,
    occurredAt: at,
    ...(anonymous ? { anonymousId: `anon-${u % 300}` } : { userId: USERS[u]! }),
    metadata: metadataFor(type),
  };
}

const ev = (userId: string, type: string, occurredAt: number, metadata: Record<string, unknown> = {}, id?: string) => ({
  eventId: id ?? uuid(),
  type,
  occurredAt,
  userId,
  metadata: type === 'SEARCH' && metadata['query'] === undefined ? { query: 'crafted' } : metadata,
});

/** Users with hand-made histories whose answers are known (checked against the brute force below). */
function craftedEvents(): Ev[] {
  return [
    ev('edge-day', 'LOGIN', EDGE_DAY - 1),
    ev('edge-day', 'LOGIN', EDGE_DAY),
    ev('edge-week', 'CLICK', MONDAY - 1),
    ev('edge-week', 'CLICK', MONDAY),
    ev('edge-month', 'PAGE_VIEW', MONTH_START - 1, { path: '/edge' }),
    ev('edge-month', 'SEARCH', MONTH_START, { query: 'edge' }),
    // The funnel window: the last step exactly `within` after the entry counts, 1 ms later does not.
    ev('fw-exact', 'SIGNUP', W),
    ev('fw-exact', 'SEARCH', W + HOUR),
    ev('fw-exact', 'PURCHASE', W + 7 * DAY),
    ev('fw-past', 'SIGNUP', W),
    ev('fw-past', 'SEARCH', W + HOUR),
    ev('fw-past', 'PURCHASE', W + 7 * DAY + 1),
    ev('fw30-exact', 'SIGNUP', W),
    ev('fw30-exact', 'SEARCH', W + 30 * MINUTE),
    ev('fw30-past', 'SIGNUP', W),
    ev('fw30-past', 'SEARCH', W + 30 * MINUTE + 1),
    // Two steps at one instant: the eventId orders them, as in the list.
    ev('tie-before', 'SIGNUP', W, {}, uuid('9')),
    ev('tie-before', 'SEARCH', W, {}, uuid('1')),
    ev('tie-after', 'SIGNUP', W, {}, uuid('1')),
    ev('tie-after', 'SEARCH', W, {}, uuid('9')),
    // SEARCH, SEARCH, PURCHASE: one search is never two steps.
    ev('repeat-one', 'SEARCH', W),
    ev('repeat-one', 'PURCHASE', W + HOUR),
    ev('repeat-two', 'SEARCH', W),
    ev('repeat-two', 'SEARCH', W + MINUTE),
    ev('repeat-two', 'PURCHASE', W + HOUR),
    // The first entry's search comes too late; the second entry (two days later) reaches every step.
    ev('multi-entry', 'SIGNUP', W),
    ev('multi-entry', 'SIGNUP', W + 2 * DAY),
    ev('multi-entry', 'SEARCH', W + 8 * DAY),
    ev('multi-entry', 'PURCHASE', W + 8 * DAY + HOUR),
    // Two entries reach the last step: the timings are the earliest entry's.
    ev('earliest-timing', 'SIGNUP', W),
    ev('earliest-timing', 'SEARCH', W + 2 * HOUR),
    ev('earliest-timing', 'PURCHASE', W + 3 * HOUR),
    ev('earliest-timing', 'SIGNUP', W + DAY),
    ev('earliest-timing', 'SEARCH', W + DAY + MINUTE),
    ev('earliest-timing', 'PURCHASE', W + DAY + 2 * MINUTE),
    // Entries at the range's edges: at `from` in, at `to` out, before `from` out.
    ev('entry-at-from', 'SIGNUP', FF),
    ev('entry-at-from', 'SEARCH', FF + 1),
    ev('entry-at-to', 'SIGNUP', FF + 7 * DAY),
    ev('entry-at-to', 'SEARCH', FF + 7 * DAY + HOUR),
    ev('entry-at-to', 'PURCHASE', FF + 7 * DAY + 2 * HOUR),
    ev('entry-before-from', 'SIGNUP', FF - 1),
    ev('entry-before-from', 'SEARCH', FF + HOUR),
    // Metadata equalities: a number, a string and a boolean each match their String(); 100.5 and 'mail' do not.
    ev('eq-values', 'PAGE_VIEW', W, { path: '/pricing', ref: 'ad' }),
    ev('eq-values', 'SIGNUP', W + HOUR),
    ev('eq-values', 'PURCHASE', W + 2 * HOUR, { amount: 100, gift: true }),
    ev('eq-string', 'PAGE_VIEW', W, { path: '/pricing', ref: 'ad' }),
    ev('eq-string', 'SIGNUP', W + HOUR),
    ev('eq-string', 'PURCHASE', W + 2 * HOUR, { amount: '100', gift: 'true' }),
    ev('eq-miss', 'PAGE_VIEW', W, { path: '/pricing', ref: 'mail' }),
    ev('eq-miss', 'SIGNUP', W + HOUR),
    ev('eq-miss', 'PURCHASE', W + 2 * HOUR, { amount: 100.5, gift: true }),
    ev('eq-miss-2', 'PAGE_VIEW', W, { path: '/pricing', ref: 'ad' }),
    ev('eq-miss-2', 'SIGNUP', W + HOUR),
    ev('eq-miss-2', 'PURCHASE', W + 2 * HOUR, { amount: 100.5, gift: true }),
    // u0003 identified a browser: that visitor's anonymous events are erased with the user (below).
    {
      eventId: uuid(),
      type: 'IDENTIFY',
      occurredAt: T0 - 9 * DAY,
      userId: 'u0003',
      anonymousId: 'anon-linked',
      metadata: {},
    },
    ...range(30).map((i) => ({
      eventId: uuid(),
      type: i % 2 ? 'SEARCH' : 'PAGE_VIEW',
      occurredAt: T0 - 9 * DAY - (i + 1) * MINUTE,
      anonymousId: 'anon-linked',
      metadata: i % 2 ? { query: 'linked-visitor' } : { path: '/linked' },
    })),
  ];
}

/**
 * Search queries that tie with the query at rank 24, so that a top 25 cuts through a tie, and paths that tie with the
 * path at rank 20: half of them sent by anonymous visitors (counted by top values of metadata all the same).
 */
function tieEvents(random: readonly Ev[]): Ev[] {
  const countAt = (field: 'query' | 'path', type: string, rank: number) => {
    const counts = new Map<string, number>();
    for (const e of random) {
      if (e.type !== type || !isScalar(e.metadata[field])) continue;
      const key = JSON.stringify(e.metadata[field]);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return [...counts.values()].sort((a, b) => b - a)[rank - 1]!;
  };
  const tied = (type: string, field: 'query' | 'path', values: string[], count: number) =>
    values.flatMap((value) =>
      range(count).map((i) => ({
        eventId: uuid(),
        type,
        occurredAt: START + Math.floor(rng() * (T0 - START)),
        ...(i % 2 ? { anonymousId: `anon-tie-${i % 7}` } : { userId: USERS[100 + (i % 50)]! }),
        metadata: { [field]: value },
      })),
    );
  return [
    ...tied('SEARCH', 'query', ['tie-b', 'tie-a', 'Tie', 'tié'], countAt('query', 'SEARCH', 24)),
    ...tied('PAGE_VIEW', 'path', ['/tie-y', '/tie-x'], countAt('path', 'PAGE_VIEW', 20)),
  ];
}

function generate(): Ev[] {
  const random = range(EVENTS - 6_000).map(randomEvent);
  const crafted = [...craftedEvents(), ...tieEvents(random)];
  if (random.length + crafted.length > EVENTS) throw new Error(`${crafted.length} crafted events do not fit`);
  // Topped up to exactly EVENTS with events that no ranking of queries or paths sees.
  const fill: Ev[] = [];
  while (random.length + crafted.length + fill.length < EVENTS) {
    const e = randomEvent();
    if (e.type !== 'SEARCH' && e.type !== 'PAGE_VIEW') fill.push(e);
  }
  return [...random, ...crafted, ...fill];
}

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The brute force: the definitions in DESIGN.md, naively, over the events known to be stored.

interface ActiveUsersQuery {
  from: number;
  to: number;
  bucket: Bucket;
  types?: string[];
}

function bucketStartOf(ms: number, bucket: Bucket): number {
  const day = floorDay(ms);
  const date = new Date(day);
  if (bucket === 'day') return day;
  if (bucket === 'week') return day - ((date.getUTCDay() + 6) % 7) * DAY;
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

function bucketEndOf(start: number, bucket: Bucket): number {
  if (bucket === 'day') return start + DAY;
  if (bucket === 'week') return start + 7 * DAY;
  const date = new Date(start);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

function expectedActiveUsers(events: readonly Ev[], query: ActiveUsersQuery) {
  const from = floorDay(query.from);
  const to = ceilDay(query.to);
  // Each day's users; every bucket of the widened range is made of whole days.
  const days = new Map<number, Set<string>>();
  for (const e of events) {
    if (e.userId === undefined || e.occurredAt < from || e.occurredAt >= to) continue;
    if (query.types !== undefined && !query.types.includes(e.type)) continue;
    const day = floorDay(e.occurredAt);
    days.set(day, (days.get(day) ?? new Set()).add(e.userId));
  }
  const usersIn = (lo: number, hi: number) => {
    const users = new Set<string>();
    for (let day = lo; day < hi; day += DAY) for (const user of days.get(day) ?? []) users.add(user);
    return users.size;
  };
  const buckets: Array<{ start: string; end: string; users: number }> = [];
  for (let start = bucketStartOf(from, query.bucket); start < to; start = bucketEndOf(start, query.bucket)) {
    const lo = Math.max(start, from);
    const hi = Math.min(bucketEndOf(start, query.bucket), to);
    buckets.push({ start: iso(lo), end: iso(hi), users: usersIn(lo, hi) });
  }
  const total = usersIn(from, to);
  let daily = 0;
  for (let day = from; day < to; day += DAY) daily += usersIn(day, day + DAY);
  const dayCount = (to - from) / DAY;
  return { from: iso(from), to: iso(to), buckets, total, stickiness: total === 0 ? 0 : daily / dayCount / total };
}

interface TopQuery {
  field: string;
  from: number;
  to: number;
  types?: string[];
  userId?: string;
  limit: number;
}

function valueAt(e: Ev, field: string): unknown {
  if (field === 'userId') return e.userId;
  if (field === 'type') return e.type;
  let value: unknown = e;
  for (const key of field.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

const isScalar = (v: unknown): v is Scalar => ['string', 'number', 'boolean'].includes(typeof v);

/** Every value's count, in the answer's order: count desc, then the value's JSON text in byte order. */
function rankedValues(events: readonly Ev[], query: Omit<TopQuery, 'limit'>) {
  const counts = new Map<string, number>();
  for (const e of events) {
    if (e.occurredAt < query.from || e.occurredAt >= query.to) continue;
    if (query.types !== undefined && !query.types.includes(e.type)) continue;
    if (query.userId !== undefined && e.userId !== query.userId) continue;
    const value = valueAt(e, query.field);
    if (!isScalar(value)) continue;
    const json = JSON.stringify(value);
    counts.set(json, (counts.get(json) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort(([a, ca], [b, cb]) => cb - ca || Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map(([json, count]) => ({ value: JSON.parse(json) as Scalar, count }));
}

function expectedTop(events: readonly Ev[], query: TopQuery) {
  const ranked = rankedValues(events, query);
  const counted = ranked.reduce((sum, v) => sum + v.count, 0);
  return {
    values: ranked.slice(0, query.limit).map((v) => ({ ...v, share: about(v.count / counted) })),
    counted,
    distinct: ranked.length,
  };
}

/** The smallest limit (2-100) at which a top N cuts between two values of equal count, if the data has one. */
function tieCuttingLimit(events: readonly Ev[], query: Omit<TopQuery, 'limit'>): number | undefined {
  const ranked = rankedValues(events, query);
  return range(99)
    .map((i) => i + 2)
    .find((n) => ranked[n] !== undefined && ranked[n - 1]!.count === ranked[n]!.count);
}

interface Step {
  type: string;
  where: Record<string, string>;
}

interface FunnelQuery {
  steps: string;
  within: string;
  from: number;
  to: number;
  userId?: string;
}

function parseSteps(steps: string): Step[] {
  return steps.split(',').map((text) => {
    const match = /^([A-Z_]+)(?:\[(.*)\])?$/.exec(text)!;
    const where = Object.fromEntries(
      (match[2] ?? '')
        .split(';')
        .filter(Boolean)
        .map((eq) => eq.split('=') as [string, string]),
    );
    return { type: match[1]!, where };
  });
}

function durationMs(within: string): number {
  const match = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/.exec(within)!;
  const [w, d, h, m] = match.slice(1).map((n) => Number(n ?? 0));
  return w! * 7 * DAY + d! * DAY + h! * HOUR + m! * MINUTE;
}

const matches = (e: Ev, step: Step) =>
  e.type === step.type &&
  Object.entries(step.where).every(([path, expected]) => {
    const value = valueAt(e, path);
    return isScalar(value) && String(value) === expected;
  });

/** Nearest rank: the value at rank ceil(percent/100 · n), in integers (0.9 · 70 is 63.00000000000001 in floats). */
function percentile(values: number[], percent: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil((percent * sorted.length) / 100) - 1]!;
}

/** Per user with an entry: the step times of the earliest entry reaching the user's deepest step. */
function funnelPaths(events: readonly Ev[], query: FunnelQuery): Map<string, number[]> {
  const steps = parseSteps(query.steps);
  const within = durationMs(query.within);
  const byUser = new Map<string, Ev[]>();
  for (const e of events) {
    if (e.userId === undefined || (query.userId !== undefined && e.userId !== query.userId)) continue;
    if (e.occurredAt < query.from || e.occurredAt >= query.to + within) continue;
    const list = byUser.get(e.userId) ?? [];
    list.push(e);
    byUser.set(e.userId, list);
  }
  const paths = new Map<string, number[]>();
  for (const [user, list] of byUser) {
    list.sort((a, b) => a.occurredAt - b.occurredAt || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
    let best: number[] | undefined;
    list.forEach((entry, i) => {
      if (!matches(entry, steps[0]!) || entry.occurredAt >= query.to) return;
      const times = [entry.occurredAt];
      let previous = i;
      for (const step of steps.slice(1)) {
        let next = previous + 1;
        while (next < list.length && !matches(list[next]!, step)) next++;
        if (next === list.length || list[next]!.occurredAt - entry.occurredAt > within) break;
        times.push(list[next]!.occurredAt);
        previous = next;
      }
      if (best === undefined || times.length > best.length) best = times;
    });
    if (best !== undefined) paths.set(user, best);
  }
  return paths;
}

function expectedFunnel(events: readonly Ev[], query: FunnelQuery) {
  const steps = parseSteps(query.steps);
  const paths = [...funnelPaths(events, query).values()];
  const users = steps.map((_, i) => paths.filter((p) => p.length > i).length);
  const ratio = (a: number, b: number) => about(b === 0 ? 0 : a / b);
  return {
    steps: steps.map((step, i) => {
      const gaps = paths.filter((p) => p.length > i).map((p) => p[i]! - p[i - 1]!);
      return {
        index: i + 1,
        type: step.type,
        ...(Object.keys(step.where).length > 0 ? { where: step.where } : {}),
        users: users[i]!,
        conversionFromPrevious: ratio(users[i]!, users[Math.max(0, i - 1)]!),
        conversionFromFirst: ratio(users[i]!, users[0]!),
        dropOff: i === 0 ? 0 : users[i - 1]! - users[i]!,
        ...(i > 0 && gaps.length > 0
          ? { medianMsFromPrevious: percentile(gaps, 50), p90MsFromPrevious: percentile(gaps, 90) }
          : {}),
      };
    }),
    overallConversion: ratio(users[steps.length - 1]!, users[0]!),
  };
}

/** A ratio the api rounds to 4 decimals: within half a unit of the 4th decimal, with at most 4 decimals. */
function about(raw: number) {
  return {
    $$typeof: Symbol.for('jest.asymmetricMatcher'),
    asymmetricMatch: (actual: unknown) =>
      typeof actual === 'number' &&
      Math.abs(actual - raw) <= 0.00005 + 1e-12 &&
      Math.abs(actual * 10_000 - Math.round(actual * 10_000)) < 1e-6,
    toString: () => 'About',
    toAsymmetricMatcher: () => `${raw} rounded to 4 decimals`,
  };
}

// ---------------------------------------------------------------------------------------------------------------

describe('insights on the real api, broker, worker and store', () => {
  const bed = new WorkerTestbed(3);
  let api: ServiceProcess;
  let worker: WorkerProcess;
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${api.url}${path}`, { ...init, headers: { 'X-API-Key': KEY, 'Content-Type': 'application/json' } });

  const events = generate();
  const erasedUsers = new Set(['u0000', 'u0003', 'u0011', 'edge-day', 'fw-exact', 'eq-values']);
  // Each funnel: the main one, metadata equalities (numbers, strings, booleans, two in one step), repeated types,
  // window edges at P7D, PT30M, P2W and P1DT12H, a user's own, and ten steps.
  const funnels: FunnelQuery[] = [
    { steps: 'SIGNUP,SEARCH,PURCHASE', within: 'P7D', from: FF, to: FF + 7 * DAY },
    { steps: 'SIGNUP,SEARCH[metadata.query=shoes],PURCHASE', within: 'P7D', from: START, to: T0 },
    { steps: 'SEARCH,SEARCH,PURCHASE', within: 'P1DT12H', from: START, to: T0 },
    { steps: 'SIGNUP,SEARCH', within: 'PT30M', from: FF, to: FF + 7 * DAY },
    {
      steps:
        'PAGE_VIEW[metadata.path=/pricing;metadata.ref=ad],SIGNUP,PURCHASE[metadata.gift=true;metadata.amount=100]',
      within: 'P2W',
      from: START,
      to: T0,
    },
    { steps: 'SIGNUP,SEARCH,PURCHASE', within: 'P7D', from: START, to: T0, userId: 'u0001' },
    {
      steps: 'PAGE_VIEW,SEARCH,PAGE_VIEW,CLICK,SEARCH,PAGE_VIEW,SEARCH,PAGE_VIEW,PURCHASE,PAGE_VIEW',
      within: 'P7D',
      from: START,
      to: T0,
    },
  ];

  beforeAll(async () => {
    await bed.setUp();
    api = await ServiceProcess.start('api', 'insights-api', {
      KAFKA_BROKERS: requiredEnv('KAFKA_BROKERS'),
      MONGO_DB: bed.dbName,
      ACTIVITIES_TOPIC: bed.topic,
      ACTIVITIES_TOPIC_PARTITIONS: String(bed.partitions),
      WORKER_CONSUMER_GROUP: bed.group,
      API_KEYS: `${hashApiKey(KEY)}:ingest+read+admin`,
      NODE_ENV: 'production',
      RECEIPT_SECRET: 'a-secret-for-the-insights-integration-test',
      ERASURE_HASH_KEY,
      MAX_BATCH_EVENTS: String(BATCH),
      BATCH_BODY_LIMIT_BYTES: String(8 * 1024 * 1024),
      ...storeEnv(),
    });
    worker = await WorkerProcess.start('insights-worker', bed.workerEnv({ ERASURE_HASH_KEY }));
    await Promise.all([api.waitUntilReady(30_000), worker.waitUntilReady()]);
  });
  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    await bed.tearDown();
  });

  const logs = () => `${api.tail(10)}\n${worker.tail(20)}`;

  async function send(batches: readonly Ev[][]): Promise<void> {
    let next = 0;
    const sender = async () => {
      for (let i = next++; i < batches.length; i = next++) {
        const body = batches[i]!.map(({ occurredAt, ...e }) => ({ ...e, occurredAt: iso(occurredAt) }));
        const res = await call('/api/v1/activities/batch', { method: 'POST', body: JSON.stringify({ events: body }) });
        expect([res.status, res.status === 202 ? '' : await res.text()]).toEqual([202, '']);
        expect(((await res.json()) as { accepted: number }).accepted).toBe(body.length);
      }
    };
    await Promise.all([sender(), sender(), sender()]);
  }

  /** Until the store holds `stored` events and the group has committed every message: the rollups are written. */
  async function waitUntilCaughtUp(stored: number): Promise<void> {
    let state = '';
    await waitUntil(
      'the worker to store every event and commit every message',
      async () => {
        const count = await bed.activities.countDocuments({});
        const ends = await bed.admin.fetchTopicOffsets(bed.topic);
        const [group] = await bed.admin.fetchOffsets({ groupId: bed.group, topics: [bed.topic] });
        const committed = new Map(group!.partitions.map((p) => [p.partition, p.offset]));
        const behind = ends.filter((e) => committed.get(e.partition) !== e.high).length;
        state = `${count} of ${stored} stored; ${behind} partition(s) not committed to their end`;
        return count === stored && behind === 0 ? true : undefined;
      },
      { timeoutMs: 150_000, intervalMs: 500, describe: () => `${state}\n${logs()}` },
    );
  }

  async function get<T>(path: string, params: Record<string, string | undefined>): Promise<T> {
    const query = new URLSearchParams(
      Object.entries(params).filter((kv): kv is [string, string] => kv[1] !== undefined),
    );
    const res = await call(`${path}?${query}`);
    expect([`${path}?${query}`, res.status, res.status === 200 ? '' : await res.text()]).toEqual([
      `${path}?${query}`,
      200,
      '',
    ]);
    return (await res.json()) as T;
  }

  async function expectActiveUsers(live: readonly Ev[], query: ActiveUsersQuery): Promise<void> {
    const body = await get<ActiveUsersBody>('/api/v1/insights/active-users', {
      from: iso(query.from),
      to: iso(query.to),
      bucket: query.bucket,
      type: query.types?.join(','),
    });
    const expected = expectedActiveUsers(live, query);
    expect({ query, answer: body }).toEqual({
      query,
      answer: expect.objectContaining({
        ...expected,
        bucket: query.bucket,
        stickiness: about(expected.stickiness),
        exact: true,
      }),
    });
  }

  async function expectTop(live: readonly Ev[], query: TopQuery): Promise<void> {
    const body = await get<TopBody>('/api/v1/insights/top', {
      field: query.field,
      from: iso(query.from),
      to: iso(query.to),
      type: query.types?.join(','),
      userId: query.userId,
      limit: String(query.limit),
    });
    expect({ query, answer: body }).toEqual({
      query,
      answer: expect.objectContaining({ ...expectedTop(live, query), field: query.field, exact: true }),
    });
  }

  async function expectFunnel(live: readonly Ev[], query: FunnelQuery): Promise<void> {
    const body = await get<FunnelBody>('/api/v1/insights/funnel', {
      steps: query.steps,
      within: query.within,
      from: iso(query.from),
      to: iso(query.to),
      userId: query.userId,
    });
    expect({ query, answer: body }).toEqual({
      query,
      answer: expect.objectContaining({
        ...expectedFunnel(live, query),
        from: iso(query.from),
        to: iso(query.to),
        exact: true,
      }),
    });
  }

  /** Every insight shape against the brute force over `live`, the events the store must hold. */
  async function expectEveryInsight(live: readonly Ev[]): Promise<void> {
    const activeUsers: ActiveUsersQuery[] = [
      { from: START, to: T0, bucket: 'day' },
      { from: START, to: T0, bucket: 'week' },
      { from: START, to: T0, bucket: 'month' },
      // Not on day edges (widened), starting mid-week and mid-month (clipped buckets), with types.
      { from: START + 5 * DAY + 7 * HOUR, to: T0 - 3 * DAY - 1, bucket: 'week', types: ['SEARCH', 'PURCHASE'] },
      { from: MONTH_START - 9 * DAY + 1, to: T0 - 11 * DAY + HOUR, bucket: 'month', types: ['LOGIN'] },
      { from: EDGE_DAY - 3 * DAY, to: EDGE_DAY + 4 * DAY, bucket: 'day', types: ['LOGIN', 'CLICK', 'SIGNUP'] },
    ];
    for (const query of activeUsers) await expectActiveUsers(live, query);

    // The default range: the 30 days up to the next UTC midnight (the previous one if the day turned meanwhile).
    const defaults = await get<ActiveUsersBody>('/api/v1/insights/active-users', { bucket: 'day' });
    const to = Date.parse(defaults.to);
    const nextMidnight = floorDay(Date.now()) + DAY;
    expect([nextMidnight, nextMidnight - DAY]).toContain(to);
    const expected = expectedActiveUsers(live, { from: to - 30 * DAY, to, bucket: 'day' });
    expect(defaults).toEqual(expect.objectContaining({ ...expected, stickiness: about(expected.stickiness) }));

    const day = T0 - 12 * DAY + 7 * HOUR + 13 * MINUTE;
    const tops: TopQuery[] = [
      { field: 'metadata.query', types: ['SEARCH'], from: START, to: T0, limit: 25 },
      { field: 'metadata.query', types: ['SEARCH'], from: START, to: T0, limit: 100 },
      { field: 'metadata.path', types: ['PAGE_VIEW'], from: START, to: T0, limit: 100 },
      { field: 'metadata.path', types: ['PAGE_VIEW'], from: day, to: day + DAY, limit: 25 },
      { field: 'metadata.query', types: ['SEARCH'], from: day, to: day + DAY, limit: 25 },
      { field: 'userId', from: START, to: T0, limit: 25 },
      { field: 'userId', types: ['PURCHASE', 'SIGNUP'], from: day - 3 * DAY, to: day + DAY, limit: 25 },
      { field: 'type', from: START, to: T0, limit: 25 },
      { field: 'metadata.query', types: ['SEARCH'], userId: 'u0001', from: START, to: T0, limit: 10 },
    ];
    // Limits that cut through a tie, where the data has one (the crafted queries and paths always make one).
    const cutting = tops.slice(0, 7).flatMap((base) => {
      const limit = tieCuttingLimit(live, base);
      return limit === undefined ? [] : [{ ...base, limit }];
    });
    expect(cutting.map((q) => q.field)).toEqual(expect.arrayContaining(['metadata.query', 'metadata.path', 'userId']));
    tops.push(...cutting);
    for (const query of tops) await expectTop(live, query);

    for (const query of funnels) await expectFunnel(live, query);
  }

  it('when the brute force meets the hand-made histories, then it gives their known answers', () => {
    const crafted = craftedEvents();
    const daysOf = (user: string, bucket: Bucket, at: number) =>
      expectedActiveUsers(
        crafted.filter((e) => e.userId === user),
        { from: at - 40 * DAY, to: at + 40 * DAY, bucket },
      ).buckets.filter((b) => b.users > 0);
    expect(daysOf('edge-day', 'day', EDGE_DAY).map((b) => b.start)).toEqual([iso(EDGE_DAY - DAY), iso(EDGE_DAY)]);
    expect(daysOf('edge-week', 'week', MONDAY).map((b) => b.start)).toEqual([iso(MONDAY - 7 * DAY), iso(MONDAY)]);
    expect(daysOf('edge-month', 'month', MONTH_START).map((b) => b.end)).toEqual([
      iso(MONTH_START),
      iso(bucketEndOf(MONTH_START, 'month')),
    ]);
    const depths = (query: FunnelQuery) =>
      Object.fromEntries([...funnelPaths(crafted, query)].map(([user, path]) => [user, path.length]));
    expect(depths(funnels[0]!)).toEqual(
      expect.objectContaining({
        'fw-exact': 3,
        'fw-past': 2,
        'tie-before': 1,
        'tie-after': 2,
        'multi-entry': 3,
        'earliest-timing': 3,
        'entry-at-from': 2,
      }),
    );
    expect(Object.keys(depths(funnels[0]!))).not.toContain('entry-at-to');
    expect(Object.keys(depths(funnels[0]!))).not.toContain('entry-before-from');
    expect(funnelPaths(crafted, funnels[0]!).get('earliest-timing')).toEqual([W, W + 2 * HOUR, W + 3 * HOUR]);
    expect(funnelPaths(crafted, funnels[0]!).get('multi-entry')).toEqual([
      W + 2 * DAY,
      W + 8 * DAY,
      W + 8 * DAY + HOUR,
    ]);
    expect(depths(funnels[3]!)).toEqual(expect.objectContaining({ 'fw30-exact': 2, 'fw30-past': 1 }));
    expect(depths(funnels[2]!)).toEqual(expect.objectContaining({ 'repeat-one': 1, 'repeat-two': 3 }));
    expect(depths(funnels[4]!)).toEqual({ 'eq-values': 3, 'eq-string': 3, 'eq-miss-2': 2 });
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([5, 1, 4, 2, 3, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile(range(70), 90)).toBe(62);
  });

  it('when 100,000 events arrive out of order, some twice, then every insight equals a brute force over them', async () => {
    expect(new Set(events.map((e) => e.eventId)).size).toBe(EVENTS);
    // Sent roughly as they happened, as clients send them: each up to 6 h out of place, and 3 % of them up to 30
    // days late or early. (Fully shuffled, each worker chunk would touch every day of the range.)
    const sendAt = new Map(
      events.map((e) => [e, e.occurredAt + (rng() < 0.03 ? (rng() - 0.5) * 60 * DAY : (rng() - 0.5) * 12 * HOUR)]),
    );
    const order = [...events].sort((a, b) => sendAt.get(a)! - sendAt.get(b)!);
    const batches = range(Math.ceil(EVENTS / BATCH)).map((i) => order.slice(i * BATCH, (i + 1) * BATCH));
    // Clients resending: three whole batches again, and 1,500 single events again in batches of their own.
    const resent = [
      batches[3]!,
      batches[17]!,
      batches[31]!,
      ...range(3).map((i) => shuffled(events).slice(0, 500 + i)),
    ];
    await send(shuffled([...batches, ...resent]));
    await waitUntilCaughtUp(EVENTS);
    await expectEveryInsight(events);
  }, 180_000);

  it('when users are erased, then they are gone from every insight, and what one does afterwards counts again', async () => {
    expect(await bed.activities.countDocuments({})).toBe(EVENTS);
    const erasures = await Promise.all(
      [...erasedUsers].map(async (user) => {
        const res = await call(`/api/v1/users/${user}/activities`, { method: 'DELETE' });
        expect(res.status).toBe(202);
        return res.headers.get('location')!;
      }),
    );
    for (const location of erasures) {
      await waitUntil(
        'the erasure to finish',
        async () => ((await (await call(location)).json()) as { state: string }).state === 'done' || undefined,
        { timeoutMs: 60_000, describe: logs },
      );
    }
    const gone = (e: Ev) =>
      (e.userId !== undefined && erasedUsers.has(e.userId)) ||
      (e.userId === undefined && e.anonymousId === 'anon-linked');
    const live = events.filter((e) => !gone(e));
    expect(events.length - live.length).toBeGreaterThan(500);
    // An erased user who comes back: new events, received after the erasure, count again.
    const after = [
      ev('u0011', 'SIGNUP', T0 - 2 * DAY),
      ev('u0011', 'SEARCH', T0 - 2 * DAY + HOUR, { query: 'back again' }),
      ev('edge-day', 'LOGIN', EDGE_DAY),
    ];
    await send([after]);
    await waitUntilCaughtUp(live.length + after.length);
    await expectEveryInsight([...live, ...after]);
  }, 120_000);
});
