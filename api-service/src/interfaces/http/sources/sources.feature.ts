import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { ManageAccessUseCase } from '../../../application/manage-access.use-case';
import type { HttpFeature } from '../http-feature';
import {
  ADMIN_FORBIDDEN,
  BAD_QUERY,
  json,
  problem,
  toOpenApiPath,
  UNAVAILABLE,
  IN_FORCE,
} from '../openapi/openapi-kit';
import { PROBLEMS } from '../problem';
import {
  SOURCE_PARAMS,
  SOURCE_ROUTES,
  SourceCreateSchema,
  SourceListSchema,
  SourcePatchSchema,
  SOURCES_PATH,
  sourcesRouter,
  SourceViewSchema,
  SourceWrittenSchema,
} from './sources.router';

const COUNTS =
  '`counts`: `accepted` and `refused` are the events of its keys this api replica answered since `counts.since` ' +
  '(its start), the numbers behind its uap_source_events_total: replicas behind a load balancer each answer with ' +
  'their own, so the fleet-wide figure is the Prometheus sum over replicas. `deadLettered` counts its letters in the ' +
  'dead-letter index (one grouped count per request), durable and over every replica.';

/** Sources (admin scope): the sending apps, each with its keys, status, rate limit and allowed types. */
export function sourcesFeature(access: ManageAccessUseCase): HttpFeature {
  return {
    routes: SOURCE_ROUTES,
    mount: (app) => app.use(sourcesRouter(access)),
    document: ({ registry, security, secured, apiKeys }) => {
      const errors: RouteConfig['responses'] = {
        400: problem(PROBLEMS.validation, 'Invalid id, query or body; `errors` says where'),
        503: UNAVAILABLE,
        ...secured,
        ...(apiKeys ? { 403: ADMIN_FORBIDDEN } : {}),
      };
      const bodyErrors: RouteConfig['responses'] = {
        413: problem(PROBLEMS.payloadTooLarge, 'Body over 16 KB'),
        415: problem(PROBLEMS.unsupportedMediaType, 'Body not sent as application/json'),
      };
      const notFound = problem(PROBLEMS.sourceNotFound, 'No such source');
      const byId = { params: SOURCE_PARAMS.path, query: SOURCE_PARAMS.none };
      registry.registerPath({
        method: 'get',
        path: SOURCES_PATH,
        operationId: 'listSources',
        tags: ['access'],
        summary: 'The sources, by id, each with the number of its valid keys and what they sent',
        description: COUNTS,
        ...security,
        request: { query: SOURCE_PARAMS.none },
        responses: { 200: { description: 'The sources', content: json(SourceListSchema) }, ...errors, 400: BAD_QUERY },
      });
      registry.registerPath({
        method: 'post',
        path: SOURCES_PATH,
        operationId: 'createSource',
        tags: ['access'],
        summary: 'Create a source; bind keys to it with POST /api/v1/keys {sourceId}',
        description: IN_FORCE,
        ...security,
        request: { query: SOURCE_PARAMS.none, body: { required: true, content: json(SourceCreateSchema) } },
        responses: {
          201: {
            description: 'Created',
            headers: { Location: { schema: { type: 'string' }, description: 'The new source: /api/v1/sources/{id}' } },
            content: json(SourceWrittenSchema),
            links: {
              GetSource: { operationId: 'getSource', parameters: { id: '$response.body#/source/id' } },
              UpdateSource: { operationId: 'updateSource', parameters: { id: '$response.body#/source/id' } },
            },
          },
          409: problem(PROBLEMS.sourceExists, 'A source with this id exists: PATCH it'),
          ...bodyErrors,
          ...errors,
        },
      });
      registry.registerPath({
        method: 'get',
        path: toOpenApiPath(`${SOURCES_PATH}/:id`),
        operationId: 'getSource',
        tags: ['access'],
        summary: 'A source',
        description: COUNTS,
        ...security,
        request: byId,
        responses: { 200: { description: 'The source', content: json(SourceViewSchema) }, 404: notFound, ...errors },
      });
      registry.registerPath({
        method: 'patch',
        path: toOpenApiPath(`${SOURCES_PATH}/:id`),
        operationId: 'updateSource',
        tags: ['access'],
        summary: 'Change a source: pause or resume it, set or clear its limit and allowed types',
        description:
          'Only the fields sent change; `null` clears rateLimitPerMinute or allowedTypes. Pausing refuses its ' +
          `keys' events (403) on every replica by inForceBy. ${IN_FORCE}`,
        ...security,
        request: { ...byId, body: { required: true, content: json(SourcePatchSchema) } },
        responses: {
          200: { description: 'The source as changed', content: json(SourceWrittenSchema) },
          404: notFound,
          ...bodyErrors,
          ...errors,
        },
      });
    },
  };
}
