import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { UserIdSchema } from '@uap/shared/contract';
import { z } from 'zod';
import type { EraseUserUseCase } from '../../../application/erase-user.use-case';
import type { HttpFeature } from '../http-feature';
import { ADMIN_FORBIDDEN, BAD_QUERY, json, problem, toOpenApiPath, UNAVAILABLE } from '../openapi/openapi-kit';
import { PROBLEMS } from '../problem';
import { ERASURE_PARAMS, ERASURE_ROUTES, ErasureSchema, erasuresRouter } from './erasures.router';

/** Erasing a user's activities, and reading an erasure's state (admin scope). */
export function erasuresFeature(erase: EraseUserUseCase): HttpFeature {
  return {
    routes: ERASURE_ROUTES,
    mount: (app) => app.use(erasuresRouter(erase)),
    document: ({ registry, security, secured, apiKeys }) => {
      const erasureErrors: RouteConfig['responses'] = {
        400: BAD_QUERY,
        503: UNAVAILABLE,
        ...secured,
        ...(apiKeys ? { 403: ADMIN_FORBIDDEN } : {}),
      };
      registry.registerPath({
        method: 'delete',
        path: toOpenApiPath('/api/v1/users/:userId/activities'),
        tags: ['data lifecycle'],
        summary: 'Erase a user’s activities (stored events, dead-letter index entries, and events still in the topic)',
        description:
          'The erasure record keeps a keyed hash of the userId and the time, never the userId. Events of the user ' +
          'accepted after the erasure are stored as usual. Also erased: what each anonymous id the user linked first ' +
          '(an identify or alias with both ids) did without a userId, kept as keyed hashes too; the profile and the ' +
          'links are derived from these events and go with them. Poll Location for the state and counts.',
        ...security,
        request: { params: z.object({ userId: UserIdSchema }), query: ERASURE_PARAMS.none },
        responses: {
          202: {
            description: 'Erasing; Location points at the erasure',
            headers: { Location: { schema: { type: 'string' }, description: '/api/v1/erasures/{erasureId}' } },
            content: json(ErasureSchema),
            links: {
              GetErasure: { operationId: 'getErasure', parameters: { erasureId: '$response.body#/erasureId' } },
            },
          },
          ...erasureErrors,
        },
      });
      registry.registerPath({
        method: 'get',
        path: toOpenApiPath('/api/v1/erasures/:erasureId'),
        operationId: 'getErasure',
        tags: ['data lifecycle'],
        summary: 'An erasure: state and counts',
        ...security,
        request: { params: z.object({ erasureId: ERASURE_PARAMS.erasureId }), query: ERASURE_PARAMS.none },
        responses: {
          200: { description: 'The erasure', content: json(ErasureSchema) },
          404: problem(PROBLEMS.notFound, 'No such erasure'),
          ...erasureErrors,
        },
      });
    },
  };
}
