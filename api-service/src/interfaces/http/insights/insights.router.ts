import { ActivityTypeSchema, IsoDateTimeSchema } from '@uap/shared/contract';
import { Router } from 'express';
import { z } from 'zod';
import type { InsightsUseCase } from '../../../application/insights.use-case';
import { STEPS_PATTERN } from '../../../domain/insights/funnel-steps';
import type { ActiveUsers, Funnel, TopValues } from '../../../domain/insights/insights';
import {
  INSIGHT_BUCKETS,
  INSIGHTS_LIMITS,
  METADATA_PATH_PATTERN,
  RANKABLE_FIELD_SYNTAX,
} from '../../../domain/insights/insights-limits';
import { WITHIN_PATTERN } from '../../../domain/insights/iso-duration';
import type { RouteSpec } from '../method-guard.middleware';
import { listShape, TYPE_FILTER_DESCRIPTION } from '../queries/activity-queries.router';
import { QUERY_LIMITS } from '../../../domain/activity-query';
import { integerParam, jsonSchemaOf, parseQuery, stringParam } from '../query-params';

export const INSIGHTS_PATHS = {
  activeUsers: '/api/v1/insights/active-users',
  top: '/api/v1/insights/top',
  funnel: '/api/v1/insights/funnel',
} as const;
export const INSIGHTS_ROUTES: RouteSpec[] = Object.values(INSIGHTS_PATHS).map((path) => ({ path, methods: ['GET'] }));

const { maxRangeDays, topMaxLimit, topDefaultLimit, funnelMinSteps, funnelMaxSteps } = INSIGHTS_LIMITS;

const ACTIVE_USERS_PARAMS = z.strictObject({
  from: listShape.from.optional().meta({
    description:
      'Inclusive lower bound on occurredAt (ISO-8601 with offset), floored to its UTC midnight; default: to minus 30 days.',
  }),
  to: listShape.to.optional().meta({
    description:
      'Exclusive upper bound on occurredAt (ISO-8601 with offset), ceiled to a UTC midnight; default: the next ' +
      `UTC midnight (today included). At most ${maxRangeDays} days after from.`,
  }),
  bucket: stringParam('bucket', z.enum(INSIGHT_BUCKETS))
    .optional()
    .meta({
      description:
        'UTC calendar buckets: day (default), week (from Monday) or month (from the 1st). The first and last may be ' +
        'partial (clipped to the range).',
    }),
  type: listShape.type.optional().meta({
    description:
      `Only events of these types make a user active: repeated (type=LOGIN&type=SEARCH) or comma-separated, at most ` +
      `${QUERY_LIMITS.maxTypes}. ${TYPE_FILTER_DESCRIPTION}`,
  }),
});

const TOP_PARAMS = z.strictObject({
  field: stringParam(
    'field',
    z.string().regex(RANKABLE_FIELD_SYNTAX, 'field must be userId, type or metadata.<path> (1-4 identifier segments)'),
  ).meta({
    description:
      'What to rank: userId (the most active users), type, or a metadata path (metadata.query) that every type ' +
      'named by `type` declares in its rankableFields (GET /api/v1/activity-types/{name}).',
  }),
  type: listShape.type.optional(),
  from: listShape.from
    .optional()
    .meta({ description: 'Inclusive lower bound on occurredAt (ISO-8601 with offset); default: to minus 24 h.' }),
  to: listShape.to
    .optional()
    .meta({ description: 'Exclusive upper bound on occurredAt (ISO-8601 with offset); default: now.' }),
  userId: listShape.userId.optional(),
  limit: integerParam('limit', 1, topMaxLimit)
    .optional()
    .meta({
      description: `How many values, 1-${topMaxLimit} (default ${topDefaultLimit}).`,
    }),
});

const FUNNEL_PARAMS = z.strictObject({
  steps: stringParam(
    'steps',
    z
      .string()
      .max(INSIGHTS_LIMITS.funnelStepsMaxLength)
      .regex(STEPS_PATTERN, 'steps must be comma-separated TYPE or TYPE[metadata.<path>=<value>;…]'),
  ).meta({
    description:
      `${funnelMinSteps} to ${funnelMaxSteps} comma-separated steps, in order: an activity type, optionally with ` +
      'metadata equalities in brackets, separated by `;` (SEARCH[metadata.query=shoes;metadata.page=1]). A value ' +
      'runs to the next `;` or `]` (commas inside brackets belong to it) and matches a stored string, number or ' +
      'boolean whose text is equal. A step may repeat a type.',
  }),
  within: stringParam('within', z.string().regex(WITHIN_PATTERN, 'within must be an ISO-8601 duration like P7D'))
    .optional()
    .meta({
      description:
        'How long after entering the funnel (its step-1 event) a user may take to reach each later step: an ' +
        'ISO-8601 duration of W, D, H and M parts (P7D, PT30M, P1DT12H), 1 minute to 90 days; default P7D.',
    }),
  from: listShape.from.optional().meta({
    description:
      'Inclusive lower bound on the step-1 event’s occurredAt (ISO-8601 with offset); default: to minus 7 days.',
  }),
  to: listShape.to.optional().meta({
    description:
      'Exclusive upper bound on the step-1 event’s occurredAt (ISO-8601 with offset); default: now. Later steps ' +
      'may lie up to `within` after it.',
  }),
  userId: listShape.userId.optional(),
});

/** The insights' query-string schemas, for the OpenAPI document. */
export const INSIGHTS_QUERY_PARAMS = { activeUsers: ACTIVE_USERS_PARAMS, top: TOP_PARAMS, funnel: FUNNEL_PARAMS };

const Ratio = z.number().min(0).max(1);
const Count = z.int().min(0);
const TypesSchema = z
  .array(ActivityTypeSchema)
  .describe('The types asked for with `type`, deduplicated, built-ins first then by name; absent: every type.');

export const ActiveUsersDtoSchema = z
  .strictObject({
    from: IsoDateTimeSchema.describe(
      'A UTC midnight: the range counted (inclusive); later than asked when retention clamped it.',
    ),
    to: IsoDateTimeSchema.describe('A UTC midnight: the range counted (exclusive).'),
    bucket: z.enum(INSIGHT_BUCKETS),
    types: TypesSchema.optional(),
    buckets: z
      .array(
        z.strictObject({
          start: IsoDateTimeSchema.describe('The bucket’s start, or from if the bucket began earlier.'),
          end: IsoDateTimeSchema.describe('The bucket’s end (exclusive), or to if it ends later.'),
          users: Count.describe('Distinct userIds with an event in [start, end).'),
        }),
      )
      .describe('Every calendar bucket meeting [from, to), in time order, empty ones included.'),
    total: Count.describe('Distinct userIds over [from, to) (not the sum of the buckets).'),
    stickiness: Ratio.describe(
      'The mean over every day of [from, to) of that day’s distinct users, ÷ total (DAU/MAU over a month), to 4 ' +
        'decimals; 0 without users.',
    ),
    exact: z
      .boolean()
      .describe(
        'true: equal to counting the stored events. false only while the worker’s rollups do not cover events stored ' +
          'before they existed, until `npm run stats:rebuild` has run (see inexactReason).',
      ),
    inexactReason: z.string().optional(),
  })
  .meta({ id: 'ActiveUsers' });

export const TopValuesDtoSchema = z
  .strictObject({
    field: z.string().describe('The field ranked, as asked.'),
    from: IsoDateTimeSchema.describe('The range counted (inclusive); later than asked when retention clamped it.'),
    to: IsoDateTimeSchema.describe('The range counted (exclusive).'),
    types: TypesSchema.optional(),
    values: z
      .array(
        z.strictObject({
          value: z.union([z.string(), z.number(), z.boolean()]),
          count: z.int().min(1).describe('Events holding this value.'),
          share: Ratio.describe('count ÷ counted, to 4 decimals.'),
        }),
      )
      .max(topMaxLimit)
      .describe(
        'At most `limit` values, count descending; equal counts by the value’s JSON text in byte order ' +
          '(so "10" and 10 are two values, in a fixed order).',
      ),
    counted: Count.describe(
      'Events in range whose field holds a string, number or boolean (null, objects, arrays ' +
        'and absent fields are not counted).',
    ),
    distinct: Count.describe('How many different values those events hold.'),
    exact: z.literal(true),
  })
  .meta({ id: 'TopValues' });

export const FunnelDtoSchema = z
  .strictObject({
    from: IsoDateTimeSchema.describe('Entries counted from (inclusive); later than asked when retention clamped it.'),
    to: IsoDateTimeSchema.describe('Entries counted until (exclusive); later steps may lie up to `within` after it.'),
    within: z.string().describe('The window, as asked (or the default P7D).'),
    steps: z
      .array(
        z.strictObject({
          index: z.int().min(1).max(funnelMaxSteps),
          type: ActivityTypeSchema,
          where: z
            .record(z.string(), z.string())
            .meta({ propertyNames: jsonSchemaOf(z.string().regex(METADATA_PATH_PATTERN)) })
            .optional()
            .describe('The step’s metadata equalities, path → value; absent without any.'),
          users: Count.describe('Users reaching at least this step.'),
          conversionFromPrevious: Ratio.describe(
            'users ÷ the previous step’s users, to 4 decimals (step 1: 1, or 0 when nobody entered).',
          ),
          conversionFromFirst: Ratio.describe('users ÷ step 1’s users, to 4 decimals.'),
          dropOff: Count.describe('The previous step’s users minus this step’s (0 for step 1).'),
          medianMsFromPrevious: Count.optional().describe(
            'Median ms from the previous step, over the users reaching this one (nearest rank); absent for step 1 ' +
              'and when nobody reached it.',
          ),
          p90MsFromPrevious: Count.optional().describe('90th percentile of the same (nearest rank).'),
        }),
      )
      .min(funnelMinSteps)
      .max(funnelMaxSteps),
    overallConversion: Ratio.describe('The last step’s users ÷ the first’s, to 4 decimals; 0 when nobody entered.'),
    exact: z.literal(true),
  })
  .meta({ id: 'Funnel' });

type Iso = (at: Date) => string;
const iso: Iso = (at) => at.toISOString();

export function toActiveUsersDto(answer: ActiveUsers): z.input<typeof ActiveUsersDtoSchema> {
  return {
    from: iso(answer.from),
    to: iso(answer.to),
    bucket: answer.bucket,
    ...(answer.types ? { types: [...answer.types] } : {}),
    buckets: answer.buckets.map(({ start, end, users }) => ({ start: iso(start), end: iso(end), users })),
    total: answer.total,
    stickiness: answer.stickiness,
    exact: answer.exact,
    ...(answer.inexactReason === undefined ? {} : { inexactReason: answer.inexactReason }),
  };
}

export function toTopValuesDto(answer: TopValues): z.input<typeof TopValuesDtoSchema> {
  return {
    field: answer.field,
    from: iso(answer.from),
    to: iso(answer.to),
    ...(answer.types ? { types: [...answer.types] } : {}),
    values: answer.values.map(({ value, count, share }) => ({ value, count, share })),
    counted: answer.counted,
    distinct: answer.distinct,
    exact: true,
  };
}

export function toFunnelDto(answer: Funnel): z.input<typeof FunnelDtoSchema> {
  return {
    from: iso(answer.from),
    to: iso(answer.to),
    within: answer.within,
    steps: answer.steps.map((step) => ({ ...step })),
    overallConversion: answer.overallConversion,
    exact: true,
  };
}

const names = (schema: z.ZodObject) => Object.keys(schema.shape);

/** GET /api/v1/insights/{active-users,top,funnel} (read scope). */
export function insightsRouter(insights: InsightsUseCase): Router {
  const router = Router();
  router.get(INSIGHTS_PATHS.activeUsers, async (req, res) => {
    const params = parseQuery(ACTIVE_USERS_PARAMS, names(ACTIVE_USERS_PARAMS), req.query);
    res.json(toActiveUsersDto(await insights.activeUsers({ ...params, types: params.type })));
  });
  router.get(INSIGHTS_PATHS.top, async (req, res) => {
    const params = parseQuery(TOP_PARAMS, names(TOP_PARAMS), req.query);
    res.json(toTopValuesDto(await insights.topValues({ ...params, types: params.type })));
  });
  router.get(INSIGHTS_PATHS.funnel, async (req, res) => {
    const params = parseQuery(FUNNEL_PARAMS, names(FUNNEL_PARAMS), req.query);
    res.json(toFunnelDto(await insights.funnel(params)));
  });
  return router;
}
