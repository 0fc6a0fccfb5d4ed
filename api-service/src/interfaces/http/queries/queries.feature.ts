import type { ResponseConfig, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { EventIdSchema, UserIdSchema } from '@uap/shared/contract';
import { z } from 'zod';
import type { ActivityRecord } from '../../../application/ports/activity-reader.port';
import type { QueryActivitiesUseCase } from '../../../application/query-activities.use-case';
import type { UserProfileUseCase } from '../../../application/user-profile.use-case';
import type { HttpFeature } from '../http-feature';
import { BAD_QUERY, json, problem, rules, toOpenApiPath, UNAVAILABLE } from '../openapi/openapi-kit';
import { PROBLEMS } from '../problem';
import {
  ACTIVITY_QUERY_PARAMS,
  ACTIVITY_QUERY_ROUTES,
  ActivityDetailDtoSchema,
  ActivityListDtoSchema,
  activityQueriesRouter,
} from './activity-queries.router';
import {
  USER_PROFILE_PARAMS,
  USER_PROFILE_ROUTES,
  UserProfileDtoSchema,
  userProfileRouter,
} from './user-profile.router';

/** The reads: the list, one event by id, one user's history, and (with `profiles`) the user's profile. */
export function queriesFeature(
  queries: QueryActivitiesUseCase,
  options: { receiptOf?: (record: ActivityRecord) => string | undefined; profiles?: UserProfileUseCase } = {},
): HttpFeature {
  const { profiles } = options;
  return {
    routes: [...ACTIVITY_QUERY_ROUTES, ...(profiles ? USER_PROFILE_ROUTES : [])],
    mount: (app) => {
      app.use(activityQueriesRouter(queries, options));
      if (profiles) app.use(userProfileRouter(profiles));
    },
    document: ({ registry, security, secured, consistency }) => {
      // The next page is the same query with the page's cursor: the cursor is bound to the filters and sort.
      const sameQuery = (names: string[]) => Object.fromEntries(names.map((name) => [name, `$request.query.${name}`]));
      const consistencyRules = consistency?.rules ?? [];
      const listResponses = (links: NonNullable<ResponseConfig['links']>): RouteConfig['responses'] => ({
        200: {
          description: 'One page, in (occurredAt, eventId) order',
          ...(consistency ? { headers: consistency.responseHeaders } : {}),
          content: json(ActivityListDtoSchema),
          links,
        },
        400: BAD_QUERY,
        503: UNAVAILABLE,
        ...secured,
      });
      const nextPage = (operationId: string, parameters: Record<string, string>) => ({
        NextPage: {
          operationId,
          parameters: { ...parameters, cursor: '$response.body#/page/nextCursor' },
          description: 'The following page, while page.nextCursor is not null',
        },
      });
      registry.registerPath({
        method: 'get',
        path: '/api/v1/activities',
        operationId: 'listActivities',
        tags: ['query'],
        summary: 'List activities with filters and cursor (or offset) paging',
        ...rules(
          'range-order',
          'cursor-not-issued',
          'cursor-with-page',
          'offset-cap',
          'type-count-cap',
          ...consistencyRules,
        ),
        ...security,
        request: { query: ACTIVITY_QUERY_PARAMS.list, ...consistency?.request },
        responses: listResponses(
          nextPage(
            'listActivities',
            sameQuery(['userId', 'anonymousId', 'sourceId', 'type', 'from', 'to', 'sort', 'limit']),
          ),
        ),
      });
      registry.registerPath({
        method: 'get',
        path: toOpenApiPath('/api/v1/activities/:eventId'),
        operationId: 'getActivity',
        tags: ['query'],
        summary: 'One activity by eventId',
        ...rules(...consistencyRules),
        ...security,
        request: {
          params: z.object({ eventId: EventIdSchema }),
          query: ACTIVITY_QUERY_PARAMS.byId,
          ...consistency?.request,
        },
        responses: {
          200: {
            description: 'The activity, with the receipt of its stored copy',
            ...(consistency ? { headers: consistency.responseHeaders } : {}),
            content: json(ActivityDetailDtoSchema),
          },
          400: BAD_QUERY,
          404: problem(
            PROBLEMS.notFound,
            'No activity with this eventId (yet: the worker stores it shortly after 202)',
          ),
          503: UNAVAILABLE,
          ...secured,
        },
      });
      registry.registerPath({
        method: 'get',
        path: toOpenApiPath('/api/v1/users/:userId/activities'),
        operationId: 'listUserActivities',
        tags: ['query'],
        summary: 'List one user’s activities, with what its linked anonymous ids did before login',
        description:
          'The events whose userId is this user, and the events of every anonymous id this user linked first (an ' +
          'IDENTIFY or ALIAS event carrying both ids; the earliest link of an anonymous id names its user) that carry ' +
          'no userId, merged in one (occurredAt, eventId) order. The links are read again for every page: a link ' +
          'stored while paging adds its events to the pages that follow.',
        ...rules(
          'range-order',
          'cursor-not-issued',
          'cursor-with-page',
          'offset-cap',
          'type-count-cap',
          ...consistencyRules,
        ),
        ...security,
        request: {
          params: z.object({ userId: UserIdSchema }),
          query: ACTIVITY_QUERY_PARAMS.byUser,
          ...consistency?.request,
        },
        responses: listResponses(
          nextPage('listUserActivities', {
            ...sameQuery(['sourceId', 'type', 'from', 'to', 'sort', 'limit']),
            userId: '$request.path.userId',
          }),
        ),
      });
      if (!profiles) return;
      registry.registerPath({
        method: 'get',
        path: toOpenApiPath('/api/v1/users/:userId'),
        operationId: 'getUserProfile',
        tags: ['query'],
        summary: 'Who a user is: merged traits, first and last seen, linked anonymous ids',
        description:
          'Derived from the stored events on every read, so it is the same whatever order they arrived in, and an ' +
          'erasure of the user erases it.',
        ...rules(...consistencyRules),
        ...security,
        request: {
          params: z.object({ userId: UserIdSchema }),
          query: USER_PROFILE_PARAMS,
          ...consistency?.request,
        },
        responses: {
          200: {
            description: 'The profile',
            ...(consistency ? { headers: consistency.responseHeaders } : {}),
            content: json(UserProfileDtoSchema),
          },
          400: BAD_QUERY,
          404: problem(PROBLEMS.notFound, 'No activity of this user is stored (yet, or any more after an erasure)'),
          503: UNAVAILABLE,
          ...secured,
        },
      });
    },
  };
}
