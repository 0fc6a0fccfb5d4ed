import type { HttpFeature } from '../http-feature';
import { BAD_QUERY, json, problem } from '../openapi/openapi-kit';
import { PROBLEMS } from '../problem';
import { WHOAMI_PARAMS, WHOAMI_PATH, WHOAMI_ROUTES, WhoAmISchema, whoamiRouter } from './whoami.router';

/** GET /api/v1/whoami: the calling key's scopes, so a client can hide what it cannot use. */
export function whoamiFeature(options: { authentication: 'api-key' | 'disabled' }): HttpFeature {
  return {
    routes: WHOAMI_ROUTES,
    mount: (app) => app.use(whoamiRouter(options)),
    document: ({ registry, apiKeys }) => {
      registry.registerPath({
        method: 'get',
        path: WHOAMI_PATH,
        tags: ['operations'],
        summary: 'The calling key’s scopes (never the key), so a client can hide what it cannot use',
        description:
          'Any valid key may ask, whatever its scopes; without a key the answer has no scopes (a wrong key is 401). ' +
          'Without API keys configured: every scope, keyId null.',
        // No security requirement: the key is optional here (without one the answer has no scopes); a wrong one is 401.
        request: { query: WHOAMI_PARAMS.none },
        responses: {
          200: { description: 'The key’s scopes', content: json(WhoAmISchema) },
          400: BAD_QUERY,
          ...(apiKeys
            ? {
                401: problem(PROBLEMS.unauthorized, 'Missing, malformed or unknown API key'),
                429: problem(PROBLEMS.tooManyRequests, 'Rate limit exceeded; retry after Retry-After'),
              }
            : {}),
        },
      });
    },
  };
}
