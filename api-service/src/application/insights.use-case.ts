import { compareActivityTypes } from '../domain/activity-stats';
import { DomainError } from '../domain/domain-error';
import { calendarBuckets } from '../domain/insights/calendar-buckets';
import { computeFunnel, nearestRank } from '../domain/insights/funnel';
import { parseSteps, whereOf } from '../domain/insights/funnel-steps';
import {
  activeUsersRange,
  clampDaysToRetention,
  clampToRetention,
  defaultRange,
  invalidQuery,
  retentionHorizon,
} from '../domain/insights/insights-range';
import {
  INSIGHTS_LIMITS,
  isMetadataPath,
  MS_PER_DAY,
  RANKABLE_FIELD_SYNTAX,
  ratio,
  round4,
  type MetadataPath,
  type RankableField,
} from '../domain/insights/insights-limits';
import type {
  ActiveUsers,
  ActiveUsersParams,
  Funnel,
  FunnelParams,
  TopValues,
  TopValuesParams,
} from '../domain/insights/insights';
import { parseWithin } from '../domain/insights/iso-duration';
import { commonRankableFields, rankValues } from '../domain/insights/top-values';
import type { ActivityType } from '@uap/shared/contract';
import type { InsightsReader } from './ports/insights-reader.port';

export interface InsightsConfig {
  /** The worker's RETENTION_DAYS (0: none): ranges are clamped to what retention keeps. */
  retentionDays: number;
  /** Default FUNNEL_MAX_EVENTS; lower in tests. */
  funnelMaxEvents?: number;
}

/** What the insights need of the registry: the current version's rankable fields (ActivityTypeCatalog has it). */
export interface RankableFieldsCatalog {
  current(name: string): { readonly rankableFields?: readonly string[] | undefined } | undefined;
}

export interface InsightsDeps {
  /** Absent: the store has no insights path (FerretDB without FERRETDB_POSTGRES_URL); every insight is a 503. */
  reader?: InsightsReader;
  types: RankableFieldsCatalog;
  now?: () => Date;
}

/**
 * Active users, top values and funnels, exact. The reader counts what only the store can (distinct users per
 * bucket, values per field, the events of the steps); this use case fills the defaults and the empty buckets,
 * checks what may be ranked against the registry, and computes shares, stickiness and the funnel itself, so
 * every store answers the same numbers the same way.
 */
export class InsightsUseCase {
  private readonly now: () => Date;

  constructor(
    private readonly config: InsightsConfig,
    private readonly deps: InsightsDeps,
  ) {
    this.now = deps.now ?? (() => new Date());
  }

  async activeUsers(params: ActiveUsersParams): Promise<ActiveUsers> {
    const now = this.now();
    const bucket = params.bucket ?? 'day';
    const types = typesOf(params.types);
    const { from, to } = clampDaysToRetention(
      activeUsersRange(params, now),
      retentionHorizon(now, this.config.retentionDays),
    );
    const reader = this.reader();
    const counts =
      from < to
        ? await reader.activeUsers({
            from: new Date(from),
            to: new Date(to),
            bucket,
            ...(types ? { types } : {}),
          })
        : { buckets: [], days: [], total: 0, exact: true };
    const byStart = new Map(counts.buckets.map(({ start, users }) => [start.getTime(), users]));
    const days = (to - from) / MS_PER_DAY;
    const dailyUsers = counts.days.reduce((sum, day) => sum + day.users, 0);
    return {
      from: new Date(from),
      to: new Date(to),
      bucket,
      ...(types ? { types } : {}),
      buckets: calendarBuckets(from, to, bucket).map((b) => ({
        start: new Date(b.start),
        end: new Date(b.end),
        users: byStart.get(b.calendarStart) ?? 0,
      })),
      total: counts.total,
      stickiness: counts.total === 0 || days === 0 ? 0 : round4(dailyUsers / days / counts.total),
      exact: counts.exact,
      ...(counts.exact ? {} : { inexactReason: counts.inexactReason ?? 'the rollups do not cover every stored event' }),
    };
  }

  async topValues(params: TopValuesParams): Promise<TopValues> {
    const now = this.now();
    const types = typesOf(params.types);
    const field = this.rankable(params.field, types);
    const limit = params.limit ?? INSIGHTS_LIMITS.topDefaultLimit;
    const { from, to } = clampToRetention(
      defaultRange(params, now, INSIGHTS_LIMITS.topDefaultRangeMs),
      retentionHorizon(now, this.config.retentionDays),
    );
    const reader = this.reader();
    const counts =
      from < to
        ? await reader.topValues({
            field,
            from: new Date(from),
            to: new Date(to),
            limit,
            ...(types ? { types } : {}),
            ...(params.userId === undefined ? {} : { userId: params.userId }),
          })
        : { values: [], counted: 0, distinct: 0 };
    return {
      field,
      from: new Date(from),
      to: new Date(to),
      ...(types ? { types } : {}),
      values: rankValues(counts.values, limit).map(({ value, count }) => ({
        value,
        count,
        share: ratio(count, counts.counted),
      })),
      counted: counts.counted,
      distinct: counts.distinct,
      exact: true,
    };
  }

  async funnel(params: FunnelParams): Promise<Funnel> {
    const now = this.now();
    const parsedSteps = parseSteps(params.steps);
    const within = params.within ?? INSIGHTS_LIMITS.funnelDefaultWithin;
    const window = parseWithin(within);
    const errors = [
      ...('errors' in parsedSteps ? parsedSteps.errors : []),
      ...('error' in window ? [window.error] : []),
    ];
    if ('errors' in parsedSteps || 'error' in window) throw invalidQuery(errors);
    const { steps } = parsedSteps;
    const withinMs = window.ms;
    const { from, to } = clampToRetention(
      defaultRange(params, now, INSIGHTS_LIMITS.funnelDefaultRangeMs),
      retentionHorizon(now, this.config.retentionDays),
    );
    const cap = this.config.funnelMaxEvents ?? INSIGHTS_LIMITS.funnelMaxEvents;
    const reader = this.reader();
    const events =
      from < to
        ? await reader.funnelEvents({
            types: [...new Set(steps.map((step) => step.type))],
            from: new Date(from),
            // A user entering just before `to` has `within` more to reach the later steps.
            to: new Date(to + withinMs),
            fields: [...new Set(steps.flatMap((step) => step.where.map((condition) => condition.path)))],
            upTo: cap,
            ...(params.userId === undefined ? {} : { userId: params.userId }),
          })
        : [];
    if (events.length > cap) {
      throw invalidQuery([
        {
          path: 'from',
          message: `more than ${cap} events of the steps' types in [from, to + within); narrow the range or the window`,
          rule: 'funnel-event-cap',
        },
      ]);
    }
    const counts = computeFunnel(steps, events, { from, to, withinMs });
    const first = counts[0]!.users;
    return {
      from: new Date(from),
      to: new Date(to),
      within,
      steps: steps.map((step, i) => {
        const { users, gapsMs } = counts[i]!;
        const previous = i === 0 ? users : counts[i - 1]!.users;
        const where = whereOf(step);
        const median = nearestRank(gapsMs, 50);
        const p90 = nearestRank(gapsMs, 90);
        return {
          index: i + 1,
          type: step.type,
          ...(where ? { where } : {}),
          users,
          conversionFromPrevious: ratio(users, previous),
          conversionFromFirst: ratio(users, first),
          dropOff: previous - users,
          ...(i > 0 && median !== undefined ? { medianMsFromPrevious: median } : {}),
          ...(i > 0 && p90 !== undefined ? { p90MsFromPrevious: p90 } : {}),
        };
      }),
      overallConversion: ratio(counts[counts.length - 1]!.users, first),
      exact: true,
    };
  }

  /** userId, type, or a metadata path every requested type declares rankable (so a metadata field needs types). */
  private rankable(field: string, types: readonly ActivityType[] | undefined): RankableField {
    if (field === 'userId' || field === 'type') return field;
    const declared = commonRankableFields(
      (types ?? []).map((type) => this.deps.types.current(type)?.rankableFields ?? []),
    );
    if (RANKABLE_FIELD_SYNTAX.test(field) && isMetadataPath(field) && declared.includes(field)) {
      return field as MetadataPath;
    }
    const message =
      types === undefined
        ? `${field} cannot be ranked without type: field can be userId, type, or a metadata path that the types ` +
          'named by type declare in their rankableFields (GET /api/v1/activity-types)'
        : declared.length === 0
          ? `${field} cannot be ranked: field can be userId or type; ${types.join(', ')} ` +
            `${types.length === 1 ? 'declares' : 'declare'} no rankable metadata field in common`
          : `${field} cannot be ranked: field can be userId, type, or for ${types.join(', ')}: ${declared.join(', ')}`;
    throw invalidQuery([{ path: 'field', message, rule: 'insights-field' }]);
  }

  private reader(): InsightsReader {
    if (this.deps.reader) return this.deps.reader;
    throw new DomainError(
      'SERVICE_UNAVAILABLE',
      'Insights need a store path that can answer them: on FerretDB, set FERRETDB_POSTGRES_URL (its PostgreSQL), ' +
        'which the api reads insights from',
      { retriable: false },
    );
  }
}

/** Deduplicated, in the stats' order (built-ins first, then by name), so the answer does not depend on the URL's. */
function typesOf(types: readonly ActivityType[] | undefined): readonly ActivityType[] | undefined {
  return types === undefined ? undefined : [...new Set(types)].sort(compareActivityTypes);
}
