import type { ActivityStatsUseCase } from '../../../application/activity-stats.use-case';
import { STATS_LIMITS } from '../../../domain/activity-stats';
import type { HttpFeature } from '../http-feature';
import { json, problem, rules, UNAVAILABLE } from '../openapi/openapi-kit';
import { PROBLEMS } from '../problem';
import {
  ActivityStatsDtoSchema,
  activityStatsRouter,
  STATS_PATH,
  STATS_QUERY_PARAMS,
  STATS_ROUTES,
} from './activity-stats.router';

/** GET /api/v1/activities/stats: exact counts per time bucket and type. */
export function statsFeature(stats: ActivityStatsUseCase): HttpFeature {
  return {
    routes: STATS_ROUTES,
    mount: (app) => app.use(activityStatsRouter(stats)),
    document: ({ registry, security, secured, consistency }) => {
      registry.registerPath({
        method: 'get',
        path: STATS_PATH,
        operationId: 'getActivityStats',
        tags: ['query'],
        summary: 'Counts per time bucket and type, exact',
        ...rules('range-order', 'stats-bucket-cap', 'stats-count-cap', 'type-count-cap', ...(consistency?.rules ?? [])),
        description:
          'Counts of the stored activities whose occurredAt lies in [from, to), per UTC bucket and type: equal to ' +
          'counting the events themselves. Whole minutes come from per-minute rollups the worker maintains exactly ' +
          'once; partial minutes at unaligned ends, and a userId filter, are counted from the events (at most ' +
          `${STATS_LIMITS.maxEventsCounted} of them, else 400). With retention on, from is clamped to the retention ` +
          'horizon (the response says which range it counted). Same freshness headers and X-Consistency-Token as ' +
          'the list.',
        ...security,
        request: { query: STATS_QUERY_PARAMS, ...consistency?.request },
        responses: {
          200: {
            description: 'Counts of [from, to): per type, one count per bucket of the range, empty ones included',
            ...(consistency ? { headers: consistency.responseHeaders } : {}),
            content: json(ActivityStatsDtoSchema),
          },
          400: problem(
            PROBLEMS.validation,
            'Invalid or unknown parameter, from not before to, more than ' +
              `${STATS_LIMITS.maxBuckets} buckets, or too many events to count one by one`,
          ),
          503: UNAVAILABLE,
          ...secured,
        },
      });
    },
  };
}
