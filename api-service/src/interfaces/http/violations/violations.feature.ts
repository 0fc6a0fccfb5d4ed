import type { ListViolationsUseCase } from '../../../application/list-violations.use-case';
import type { HttpFeature } from '../http-feature';
import { BAD_QUERY, json, rules, UNAVAILABLE } from '../openapi/openapi-kit';
import {
  VIOLATION_PARAMS,
  VIOLATION_ROUTES,
  VIOLATIONS_PATH,
  ViolationListDtoSchema,
  violationsRouter,
} from './violations.router';

/** The stored events the tracking plan let in unplanned or flagged (read scope): what the admin panel lists. */
export function violationsFeature(violations: ListViolationsUseCase): HttpFeature {
  return {
    routes: VIOLATION_ROUTES,
    mount: (app) => app.use(violationsRouter(violations)),
    document: ({ registry, security, secured }) => {
      registry.registerPath({
        method: 'get',
        path: VIOLATIONS_PATH,
        operationId: 'listActivityViolations',
        tags: ['activity types'],
        summary: 'Stored events that broke the tracking plan: unplanned types and flagged metadata, newest first',
        description:
          'The events the unplanned policy let in (`planned: false`) and those whose metadata broke their type’s ' +
          'schema under `accept-and-flag` (`violations`, with the JSON pointer of each), as the worker stored them, in ' +
          '(occurredAt, eventId) order, newest first. Events refused at the edge are not here (they got a 400), nor ' +
          'those the worker dead-lettered (GET /api/v1/dead-letters).',
        ...rules('cursor-not-issued'),
        ...security,
        request: { query: VIOLATION_PARAMS },
        responses: {
          200: {
            description: 'One page, newest first',
            content: json(ViolationListDtoSchema),
            links: {
              NextPage: {
                operationId: 'listActivityViolations',
                parameters: {
                  type: '$request.query.type',
                  kind: '$request.query.kind',
                  limit: '$request.query.limit',
                  cursor: '$response.body#/page/nextCursor',
                },
                description: 'The following page, while page.nextCursor is not null',
              },
            },
          },
          400: BAD_QUERY,
          503: UNAVAILABLE,
          ...secured,
        },
      });
    },
  };
}
