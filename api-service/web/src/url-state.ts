import { TYPE_NAME } from './activity-types';
import type { Bucket, KeyStatusFilter } from './api.types';
import { DEFAULT_WINDOW, formatSteps, isWindow, parseSteps, type FunnelStep } from './funnel-steps';
import { DEFAULT_INSIGHTS_RANGE, INSIGHTS_RANGES, type InsightsRange } from './insights';
import { DEFAULT_KEY_STATUS, isKeyStatusFilter } from './keys';

export type RangePreset = '1h' | '24h' | '7d';
export const RANGE_PRESETS: readonly RangePreset[] = ['1h', '24h', '7d'];
export const RANGE_MS: Record<RangePreset, number> = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 };
/** The bucket a preset opens with: about 24 to 60 points, whatever the range. */
export const DEFAULT_BUCKET: Record<RangePreset, Bucket> = { '1h': 'minute', '24h': 'hour', '7d': 'day' };
const BUCKETS: readonly Bucket[] = ['minute', 'hour', 'day'];

/** What the page shows, as the URL keeps it: a link or a reload opens the same view (the key is never here). */
export interface DashboardState {
  userId: string;
  types: string[];
  /** ISO-8601 instants, or null for no bound. */
  from: string | null;
  to: string | null;
  /** The table's page: a cursor the list endpoint issued for these filters. */
  cursor: string | null;
  range: RangePreset;
  bucket: Bucket;
  /** The Insights section's range, its funnel's steps (none: no funnel drawn) and the funnel's window. */
  insights: InsightsRange;
  funnel: FunnelStep[];
  within: string;
  /** Which keys the Keys section lists (admin keys only); never a key itself. */
  keys: KeyStatusFilter;
}

const USER_ID = /^[^\s]{1,128}$/;
const CURSOR = /^[A-Za-z0-9_-]{1,512}$/;

function isoOrNull(value: string | null): string | null {
  if (value === null || value === '') return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

/**
 * Reads the state from a query string; what does not parse is dropped, so a hand-edited URL still opens.
 * Any well-formed type name is kept, built-in or not: a link to a type registered at runtime opens filtered by it.
 */
export function parseState(search: string): DashboardState {
  const params = new URLSearchParams(search);
  const range = params.get('range');
  const preset: RangePreset = (RANGE_PRESETS as readonly string[]).includes(range ?? '')
    ? (range as RangePreset)
    : '24h';
  const bucket = params.get('bucket');
  const userId = params.get('userId') ?? '';
  const cursor = params.get('cursor');
  const insights = params.get('insights');
  const within = params.get('within');
  const keys = params.get('keys');
  const types = params
    .getAll('type')
    .flatMap((value) => value.split(','))
    .filter((type) => TYPE_NAME.test(type));
  return {
    userId: USER_ID.test(userId) ? userId : '',
    types: [...new Set(types)],
    from: isoOrNull(params.get('from')),
    to: isoOrNull(params.get('to')),
    cursor: cursor !== null && CURSOR.test(cursor) ? cursor : null,
    range: preset,
    bucket: (BUCKETS as readonly string[]).includes(bucket ?? '') ? (bucket as Bucket) : DEFAULT_BUCKET[preset],
    insights: (INSIGHTS_RANGES as readonly string[]).includes(insights ?? '')
      ? (insights as InsightsRange)
      : DEFAULT_INSIGHTS_RANGE,
    funnel: parseSteps(params.get('funnel')),
    within: isWindow(within) ? within : DEFAULT_WINDOW,
    keys: isKeyStatusFilter(keys) ? keys : DEFAULT_KEY_STATUS,
  };
}

/** The query string for a state (with its leading `?`, or empty), defaults left out. */
export function formatState(state: DashboardState): string {
  const params = new URLSearchParams();
  if (state.userId) params.set('userId', state.userId);
  for (const type of state.types) params.append('type', type);
  if (state.from) params.set('from', state.from);
  if (state.to) params.set('to', state.to);
  if (state.cursor) params.set('cursor', state.cursor);
  if (state.range !== '24h') params.set('range', state.range);
  if (state.bucket !== DEFAULT_BUCKET[state.range]) params.set('bucket', state.bucket);
  if (state.insights !== DEFAULT_INSIGHTS_RANGE) params.set('insights', state.insights);
  if (state.funnel.length > 0) params.set('funnel', formatSteps(state.funnel));
  if (state.within !== DEFAULT_WINDOW) params.set('within', state.within);
  if (state.keys !== DEFAULT_KEY_STATUS) params.set('keys', state.keys);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The list endpoint's query for the table (what is undefined is left out). */
export function listQuery(state: DashboardState, limit: number): Record<string, string | number | undefined> {
  return {
    limit,
    userId: state.userId || undefined,
    type: state.types.join(',') || undefined,
    from: state.from ?? undefined,
    to: state.to ?? undefined,
    cursor: state.cursor ?? undefined,
  };
}

/** The stats endpoint's query for the chart: the preset's range ending now. */
export function statsQuery(state: DashboardState, now: number): Record<string, string> {
  return {
    from: new Date(now - RANGE_MS[state.range]).toISOString(),
    to: new Date(now).toISOString(),
    bucket: state.bucket,
  };
}
