import type { InsightsUseCase } from '../../../application/insights.use-case';
import { INSIGHTS_LIMITS } from '../../../domain/insights/insights-limits';
import type { HttpFeature } from '../http-feature';
import { json, problem, rules } from '../openapi/openapi-kit';
import { PROBLEMS } from '../problem';
import {
  ActiveUsersDtoSchema,
  FunnelDtoSchema,
  INSIGHTS_PATHS,
  INSIGHTS_QUERY_PARAMS,
  INSIGHTS_ROUTES,
  insightsRouter,
  TopValuesDtoSchema,
} from './insights.router';

// A 503 here is either the store being down (retriable) or a deployment without an insights path (not).
const INSIGHTS_UNAVAILABLE = problem(
  PROBLEMS.unavailable,
  'The store is down or slow (retry after Retry-After), or this deployment cannot answer insights: FerretDB ' +
    'without FERRETDB_POSTGRES_URL (no Retry-After; retrying does not help)',
);

const USERS_ONLY =
  'A user is a userId: events with only an anonymousId are not counted (an anonymous id is a device, and counting ' +
  'it would count a visitor twice the day they sign in).';

/** GET /api/v1/insights/*: active users, top values and funnels, exact. */
export function insightsFeature(insights: InsightsUseCase): HttpFeature {
  return {
    routes: INSIGHTS_ROUTES,
    mount: (app) => app.use(insightsRouter(insights)),
    document: ({ registry, security, secured, consistency }) => {
      registry.registerPath({
        method: 'get',
        path: INSIGHTS_PATHS.activeUsers,
        operationId: 'getActiveUsers',
        tags: ['insights'],
        summary: 'Distinct active users per day, week or month, and stickiness, exact',
        ...rules('range-order', 'insights-range', 'type-count-cap', ...(consistency?.rules ?? [])),
        description:
          'Distinct users with at least one stored event in each UTC calendar bucket (days; weeks from Monday; ' +
          'months from the 1st) of [from, to), widened to whole UTC days, and over the whole range. ' +
          `${USERS_ONLY} With retention on, from is raised to the first whole day after the retention horizon.`,
        ...security,
        request: { query: INSIGHTS_QUERY_PARAMS.activeUsers, ...consistency?.request },
        responses: {
          200: {
            description: 'Users per bucket, every bucket listed',
            ...(consistency ? { headers: consistency.responseHeaders } : {}),
            content: json(ActiveUsersDtoSchema),
          },
          400: problem(
            PROBLEMS.validation,
            `Invalid or unknown parameter, from not before to, or more than ${INSIGHTS_LIMITS.maxRangeDays} days`,
          ),
          503: INSIGHTS_UNAVAILABLE,
          ...secured,
        },
      });
      registry.registerPath({
        method: 'get',
        path: INSIGHTS_PATHS.top,
        operationId: 'getTopValues',
        tags: ['insights'],
        summary: 'The most frequent values of a field, with counts and shares, exact',
        ...rules('range-order', 'insights-field', 'type-count-cap', ...(consistency?.rules ?? [])),
        description:
          'Counts the stored events of [from, to) per value of a field (a string, number or boolean there) and ' +
          'returns the top `limit`. Which metadata fields can be ranked is declared per type in the registry ' +
          '(rankableFields), so no request makes the store group by an arbitrary JSON path. Events with only an ' +
          'anonymousId count for type and metadata fields; userId ranks only events with a userId.',
        ...security,
        request: { query: INSIGHTS_QUERY_PARAMS.top, ...consistency?.request },
        responses: {
          200: {
            description: 'The top values of the field',
            ...(consistency ? { headers: consistency.responseHeaders } : {}),
            content: json(TopValuesDtoSchema),
          },
          400: problem(
            PROBLEMS.validation,
            'Invalid or unknown parameter, from not before to, or a field the types do not declare rankable',
          ),
          503: INSIGHTS_UNAVAILABLE,
          ...secured,
        },
      });
      registry.registerPath({
        method: 'get',
        path: INSIGHTS_PATHS.funnel,
        operationId: 'getFunnel',
        tags: ['insights'],
        summary: 'Users reaching each step in order within a window, conversions and times, exact',
        ...rules('range-order', 'funnel-steps', 'funnel-window', 'funnel-event-cap', ...(consistency?.rules ?? [])),
        description:
          'A user enters at a step-1 event with occurredAt in [from, to); each next step is their earliest later ' +
          'event (by occurredAt, then eventId) matching it, at most `within` after the entry, and no event is two ' +
          'steps. A user’s depth is the most steps any of their entries reaches; the times between steps come from ' +
          `the earliest entry reaching it. ${USERS_ONLY} Events are read from [from, to + within): at most ` +
          `${INSIGHTS_LIMITS.funnelMaxEvents.toLocaleString('en')} of the steps' types, else 400.`,
        ...security,
        request: { query: INSIGHTS_QUERY_PARAMS.funnel, ...consistency?.request },
        responses: {
          200: {
            description: 'Per step: users, conversions, drop-off and times',
            ...(consistency ? { headers: consistency.responseHeaders } : {}),
            content: json(FunnelDtoSchema),
          },
          400: problem(
            PROBLEMS.validation,
            'Invalid or unknown parameter, from not before to, a malformed step or window, or too many events',
          ),
          503: INSIGHTS_UNAVAILABLE,
          ...secured,
        },
      });
    },
  };
}
