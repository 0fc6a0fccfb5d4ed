import { ActivityTypeSchema, IsoDateTimeSchema, type ActivityType } from '@uap/shared/contract';
import { Router } from 'express';
import { z } from 'zod';
import type { ActivityStatsUseCase } from '../../../application/activity-stats.use-case';
import {
  bucketCountOf,
  STATS_BUCKETS,
  STATS_LIMITS,
  type ActivityStats,
  type StatsQuery,
} from '../../../domain/activity-stats';
import type { FieldError } from '../../../domain/domain-error';
import { listShape } from '../queries/activity-queries.router';
import type { RouteSpec } from '../method-guard.middleware';
import { invalid, jsonSchemaOf, parseQuery, rangeErrors, stringParam } from '../query-params';

export const STATS_PATH = '/api/v1/activities/stats';
export const STATS_ROUTES: RouteSpec[] = [{ path: STATS_PATH, methods: ['GET'] }];

const STATS_PARAMS = z.strictObject({
  from: listShape.from
    .optional()
    .meta({ description: 'Inclusive lower bound on occurredAt (ISO-8601 with offset); default: to minus 24 h.' }),
  to: listShape.to
    .optional()
    .meta({ description: 'Exclusive upper bound on occurredAt (ISO-8601 with offset); default: now.' }),
  bucket: stringParam('bucket', z.enum(STATS_BUCKETS))
    .optional()
    .meta({
      description:
        `UTC minute, hour or day (default hour). Buckets start on UTC boundaries; the first and last may be partial. ` +
        `At most ${STATS_LIMITS.maxBuckets} buckets.`,
    }),
  type: listShape.type.optional(),
  userId: listShape.userId.optional(),
  sourceId: listShape.sourceId.optional().meta({
    description:
      'Only the events sent with a key bound to this source. Counted from the events themselves (the rollups hold ' +
      `no sources), at most ${STATS_LIMITS.maxEventsCounted} in the range.`,
  }),
});
const STATS_PARAM_NAMES = Object.keys(STATS_PARAMS.shape);

/** The stats query-string schema, for the OpenAPI document. */
export const STATS_QUERY_PARAMS = STATS_PARAMS;

// Keyed by any type name: a type registered at runtime gets its series like a built-in one. The generator
// drops a record's key schema, so the document is told it (JSON Schema 2020-12 `propertyNames`).
const byType = <T extends z.ZodType>(value: T) =>
  z.record(ActivityTypeSchema, value).meta({ propertyNames: jsonSchemaOf(ActivityTypeSchema) });
const CountsSchema = byType(z.int().min(0));

export const ActivityStatsDtoSchema = z
  .strictObject({
    from: IsoDateTimeSchema.describe('The range counted (inclusive); later than asked when retention clamped it.'),
    to: IsoDateTimeSchema.describe('The range counted (exclusive).'),
    bucket: z.enum(STATS_BUCKETS),
    start: IsoDateTimeSchema.describe('The first bucket’s UTC start: the bucket boundary at or before `from`.'),
    bucketCount: z
      .int()
      .min(0)
      .max(STATS_LIMITS.maxBuckets)
      .describe('Every bucket [from, to) touches, empty ones included; the first and last may be partial.'),
    types: z
      .array(ActivityTypeSchema)
      .describe(
        'Types with a count in the range, plus those asked for with `type` (then all zeros): built-in or registered ' +
          'at runtime. Built-in types first in their fixed order, then the others by name, so a chart keeps its series ' +
          'in place.',
      ),
    series: byType(z.array(z.int().min(0))).describe(
      'Per entry of `types`, `bucketCount` counts in time order: `series[type][i]` counts the bucket starting at ' +
        '`start` + i × bucket (a chart’s columns as they are).',
    ),
    totals: CountsSchema.describe('Per type over the whole range: one key per entry of `types`.'),
    total: z.int().min(0),
    source: z
      .enum(['rollups', 'events'])
      .describe(
        'rollups: the worker’s per-minute counts (partial minutes at unaligned ends counted from events); ' +
          'events: counted from the stored events (userId, sourceId, or a range inside one minute).',
      ),
    exact: z
      .boolean()
      .describe(
        'true: equal to counting the stored events of [from, to). false only when the rollups started after events ' +
          'were already stored, until `npm run stats:rebuild` has run (see inexactReason).',
      ),
    inexactReason: z.string().optional(),
  })
  .meta({ id: 'ActivityStats' });

type StatsParams = z.infer<typeof STATS_PARAMS>;

/** Defaults (the last 24 h, hourly) and the checks that need more than one parameter. */
export function toStatsQuery(params: StatsParams, now: Date): StatsQuery {
  const to = params.to ?? (params.from ? new Date(Math.max(now.getTime(), params.from.getTime() + 1)) : now);
  const from = params.from ?? new Date(to.getTime() - STATS_LIMITS.defaultRangeMs);
  const bucket = params.bucket ?? 'hour';
  const errors: FieldError[] = rangeErrors({ from, to });
  if (errors.length === 0) {
    const buckets = bucketCountOf(from, to, bucket);
    if (buckets > STATS_LIMITS.maxBuckets) {
      errors.push({
        path: 'bucket',
        message:
          `the range spans ${buckets} ${bucket} buckets; at most ${STATS_LIMITS.maxBuckets} ` +
          '(7 days of minutes): use a coarser bucket or a shorter range',
        rule: 'stats-bucket-cap',
      });
    }
  }
  if (errors.length > 0) throw invalid(errors);
  return {
    from,
    to,
    bucket,
    ...(params.type === undefined ? {} : { types: params.type }),
    ...(params.userId === undefined ? {} : { userId: params.userId }),
    ...(params.sourceId === undefined ? {} : { sourceId: params.sourceId }),
  };
}

export function toStatsDto(stats: ActivityStats): z.input<typeof ActivityStatsDtoSchema> {
  return {
    from: stats.from.toISOString(),
    to: stats.to.toISOString(),
    bucket: stats.bucket,
    start: stats.start.toISOString(),
    bucketCount: stats.bucketCount,
    types: [...stats.types],
    series: stats.series as Record<ActivityType, number[]>,
    totals: stats.totals as Record<ActivityType, number>,
    total: stats.total,
    source: stats.source,
    exact: stats.exact,
    ...(stats.inexactReason === undefined ? {} : { inexactReason: stats.inexactReason }),
  };
}

/** GET /api/v1/activities/stats: counts per bucket and type (read scope, the list's freshness headers). */
export function activityStatsRouter(stats: ActivityStatsUseCase, now: () => Date = () => new Date()): Router {
  const router = Router();
  router.get(STATS_PATH, async (req, res) => {
    const params = parseQuery(STATS_PARAMS, STATS_PARAM_NAMES, req.query);
    const body = JSON.stringify(toStatsDto(await stats.stats(toStatsQuery(params, now()))));
    // Not res.json: it hashes every body for an ETag (a week of minutes is 80,640 counts), and no client
    // revalidates live counts.
    res.type('application/json').end(body);
  });
  return router;
}
