import {
  ActivityEventSchema,
  ActivityTypeSchema,
  AnonymousIdSchema,
  EventIdSchema,
  IsoDateTimeSchema,
  SourceIdSchema,
  UserIdSchema,
  type ActivityEvent,
} from '@uap/shared/contract';
import { Router } from 'express';
import { z } from 'zod';
import type { ActivityRecord } from '../../../application/ports/activity-reader.port';
import type { ActivityList, QueryActivitiesUseCase } from '../../../application/query-activities.use-case';
import { QUERY_LIMITS, type ActivityFilters, type ActivityListQuery } from '../../../domain/activity-query';
import { toFieldErrors, type FieldError } from '../../../domain/domain-error';
import type { RouteSpec } from '../method-guard.middleware';
import {
  assertRange,
  dateParam,
  integerParam,
  invalid,
  nameListParam,
  once,
  parseQuery,
  rangeErrors,
  stringParam,
} from '../query-params';

export const ACTIVITY_QUERY_ROUTES: RouteSpec[] = [
  { path: '/api/v1/activities', methods: ['GET'] },
  { path: '/api/v1/activities/:eventId', methods: ['GET'] },
  { path: '/api/v1/users/:userId/activities', methods: ['GET'] },
];

// Any well-formed name, not the registry's current list: events of a retired or never-planned type stay
// readable, and a name nothing was stored under simply matches nothing.
export const typeParam = nameListParam('type', ActivityTypeSchema, {
  maxItems: QUERY_LIMITS.maxTypes,
  rule: 'type-count-cap',
});

/** How every `type` filter is described: what a name is, and that the vocabulary is open. */
export const TYPE_FILTER_DESCRIPTION =
  'Any activity type name, built-in or registered at runtime (upper snake case, e.g. LOGIN or VIDEO_PLAY); ' +
  'a name nothing was stored under matches nothing.';

export const listShape = {
  userId: stringParam('userId', UserIdSchema).meta({ description: 'Only this user’s activities.' }),
  anonymousId: stringParam('anonymousId', AnonymousIdSchema).meta({
    description:
      'Only this anonymous visitor’s activities (the events carrying this anonymousId, before and after login).',
  }),
  sourceId: stringParam('sourceId', SourceIdSchema).meta({
    description:
      'Only the events sent with a key bound to this source (web, ios, …); events sent with a key bound to none never ' +
      'match. A source nothing was stored under matches nothing.',
  }),
  type: typeParam.meta({
    description: `Activity types, repeated (type=LOGIN&type=SEARCH) or comma-separated, at most ${QUERY_LIMITS.maxTypes}. ${TYPE_FILTER_DESCRIPTION}`,
  }),
  from: dateParam('from').meta({ description: 'Inclusive lower bound on occurredAt (ISO-8601 with offset).' }),
  to: dateParam('to').meta({ description: 'Exclusive upper bound on occurredAt (ISO-8601 with offset).' }),
  sort: stringParam('sort', z.enum(['desc', 'asc'])).meta({
    description: 'By occurredAt then eventId: desc (default, newest first) or asc.',
  }),
  limit: integerParam('limit', 1, QUERY_LIMITS.maxLimit).meta({
    description: `Page size, 1-${QUERY_LIMITS.maxLimit} (default ${QUERY_LIMITS.defaultLimit}).`,
  }),
  cursor: once('cursor')
    .min(1, 'cursor must not be empty')
    .max(512, 'cursor is too long')
    .regex(/^[A-Za-z0-9_-]+$/, 'cursor is not a cursor issued by this API')
    .meta({ description: 'page.nextCursor of the previous page; send the same filters and sort with it.' }),
  page: integerParam('page', 1, QUERY_LIMITS.maxOffsetRows).meta({
    description: `Offset paging instead of cursors: 1-based page number; page x limit at most ${QUERY_LIMITS.maxOffsetRows}. Cannot be combined with cursor.`,
  }),
};

function listParamsSchema<K extends keyof typeof listShape>(keys: K[]) {
  const shape = Object.fromEntries(keys.map((key) => [key, listShape[key].optional()])) as {
    [P in K]: z.ZodOptional<(typeof listShape)[P]>;
  };
  return z.strictObject(shape);
}

const ALL_LIST_PARAMS = Object.keys(listShape) as Array<keyof typeof listShape>;
const LIST_PARAMS = listParamsSchema(ALL_LIST_PARAMS);
type ListParams = z.infer<typeof LIST_PARAMS>;
// The user is in the path there; a second userId in the query would only be ambiguous. The history follows the
// user's linked anonymous ids itself, so it takes no anonymousId either.
const USER_LIST_PARAM_NAMES = ALL_LIST_PARAMS.filter((key) => key !== 'userId' && key !== 'anonymousId');
const USER_LIST_PARAMS = listParamsSchema(USER_LIST_PARAM_NAMES);
const NO_PARAMS = z.strictObject({});

/** The query-string schemas of the read endpoints, for the OpenAPI document. */
export const ACTIVITY_QUERY_PARAMS = { list: LIST_PARAMS, byUser: USER_LIST_PARAMS, byId: NO_PARAMS } as const;

/** The filters of parsed list parameters, checked as the list checks them (the export reuses this). */
export function toActivityFilters(
  params: Pick<Partial<ListParams>, 'userId' | 'anonymousId' | 'sourceId' | 'type' | 'from' | 'to'>,
): ActivityFilters {
  assertRange(params);
  return {
    ...(params.userId === undefined ? {} : { userId: params.userId }),
    ...(params.anonymousId === undefined ? {} : { anonymousId: params.anonymousId }),
    ...(params.sourceId === undefined ? {} : { sourceId: params.sourceId }),
    ...(params.type === undefined ? {} : { types: params.type }),
    ...(params.from === undefined ? {} : { from: params.from }),
    ...(params.to === undefined ? {} : { to: params.to }),
  };
}

function toListQuery(params: Partial<ListParams>): ActivityListQuery {
  const errors: FieldError[] = [];
  if (params.cursor !== undefined && params.page !== undefined) {
    errors.push({
      path: 'page',
      message: 'cursor and page cannot be combined: page through with one or the other',
      rule: 'cursor-with-page',
    });
  }
  errors.push(...rangeErrors(params));
  if (errors.length > 0) throw invalid(errors);
  return {
    filters: toActivityFilters(params),
    sort: params.sort ?? 'desc',
    limit: params.limit ?? QUERY_LIMITS.defaultLimit,
    pagination:
      params.page === undefined
        ? { mode: 'cursor', ...(params.cursor === undefined ? {} : { cursor: params.cursor }) }
        : { mode: 'offset', page: params.page },
  };
}

/** The public shape of a stored activity: the event as it was accepted, plus when the worker stored it. */
export const ActivityDtoSchema = z
  .strictObject({
    ...ActivityEventSchema.shape,
    schemaVersion: z.int().min(1),
    persistedAt: IsoDateTimeSchema.optional().describe('When the worker stored it.'),
  })
  .meta({ id: 'Activity' });

/** One activity read by eventId: the list's shape plus the receipt of the stored copy, to open its fate from the event. */
export const ActivityDetailDtoSchema = ActivityDtoSchema.extend({
  receipt: z
    .string()
    .optional()
    .describe(
      'GET /api/v1/receipts/{receipt} for the stored copy (its topic partition and offset); absent on events stored ' +
        'before the worker recorded positions, or when receipts are not served.',
    ),
}).meta({ id: 'ActivityDetail' });

export const CursorPageSchema = z.strictObject({
  limit: z.int(),
  nextCursor: z.string().nullable(),
  hasMore: z.boolean(),
});
const OffsetPageSchema = z.strictObject({
  limit: z.int(),
  page: z.int(),
  total: z.int().describe('Rows matching the filters; a lower bound when totalIsExact is false.'),
  totalPages: z.int().describe('ceil(total / limit); a lower bound when totalIsExact is false.'),
  totalIsExact: z
    .boolean()
    .describe(
      `false when the store stopped counting past ${QUERY_LIMITS.maxOffsetRows + 1} rows (the embedded store's SQL reader ` +
        'does, so a page costs the same at any data size): there are at least `total` rows, more than offset paging reaches.',
    ),
  hasMore: z.boolean(),
});
export const ActivityListDtoSchema = z
  .strictObject({
    data: z.array(ActivityDtoSchema),
    page: z.union([CursorPageSchema, OffsetPageSchema]),
  })
  .meta({ id: 'ActivityList' });

/** The public shape: ISO dates, a fixed set of fields, nothing store-internal. */
export function toActivityDto(record: ActivityRecord): z.input<typeof ActivityDtoSchema> {
  return {
    eventId: record.eventId,
    ...(record.userId === undefined ? {} : { userId: record.userId }),
    ...(record.anonymousId === undefined ? {} : { anonymousId: record.anonymousId }),
    type: record.type,
    occurredAt: record.occurredAt.toISOString(),
    receivedAt: record.receivedAt.toISOString(),
    ...(record.persistedAt === undefined ? {} : { persistedAt: record.persistedAt.toISOString() }),
    ...(record.sessionId === undefined ? {} : { sessionId: record.sessionId }),
    metadata: record.metadata,
    context: record.context,
    schemaVersion: record.schemaVersion,
    ...registryFieldsOf(record),
    ...(record.segment === undefined ? {} : { segment: record.segment }),
    ...(record.sourceId === undefined ? {} : { sourceId: record.sourceId }),
  };
}

/** typeVersion, planned and violations, each only when the event carries it (the stream shows them the same way). */
export function registryFieldsOf(
  event: Pick<ActivityEvent, 'typeVersion' | 'planned' | 'violations'>,
): Pick<ActivityEvent, 'typeVersion' | 'planned' | 'violations'> {
  return {
    ...(event.typeVersion === undefined ? {} : { typeVersion: event.typeVersion }),
    ...(event.planned === undefined ? {} : { planned: event.planned }),
    ...(event.violations === undefined ? {} : { violations: event.violations }),
  };
}

function toListDto(list: ActivityList): z.input<typeof ActivityListDtoSchema> {
  return { data: list.data.map(toActivityDto), page: list.page };
}

/** Read endpoints; mounted at the root since they span /activities and /users. */
export function activityQueriesRouter(
  queries: QueryActivitiesUseCase,
  options: { receiptOf?: (record: ActivityRecord) => string | undefined } = {},
): Router {
  const router = Router();
  router.get('/api/v1/activities', async (req, res) => {
    const params = parseQuery(LIST_PARAMS, ALL_LIST_PARAMS, req.query);
    res.json(toListDto(await queries.list(toListQuery(params))));
  });
  router.get('/api/v1/activities/:eventId', async (req, res) => {
    parseQuery(NO_PARAMS, [], req.query);
    const eventId = EventIdSchema.safeParse(req.params.eventId);
    if (!eventId.success) throw invalid([{ path: 'eventId', message: 'must be a UUID' }]);
    const record = await queries.getById(eventId.data);
    const receipt = options.receiptOf?.(record);
    const body: z.input<typeof ActivityDetailDtoSchema> = {
      ...toActivityDto(record),
      ...(receipt === undefined ? {} : { receipt }),
    };
    res.json(body);
  });
  router.get('/api/v1/users/:userId/activities', async (req, res) => {
    const userId = UserIdSchema.safeParse(req.params.userId);
    if (!userId.success) throw invalid(toFieldErrors(userId.error.issues.map((i) => ({ ...i, path: ['userId'] }))));
    const params = parseQuery(USER_LIST_PARAMS, USER_LIST_PARAM_NAMES, req.query);
    res.json(toListDto(await queries.listUserHistory(userId.data, toListQuery(params))));
  });
  return router;
}
