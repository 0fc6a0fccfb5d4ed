import { Router } from 'express';
import { z } from 'zod';
import { API_SCOPES } from '../../../domain/api-key';
import { apiKeyOf } from '../auth.middleware';
import type { RouteSpec } from '../method-guard.middleware';
import { parseQuery } from '../query-params';

export const WHOAMI_PATH = '/api/v1/whoami';
export const WHOAMI_ROUTES: RouteSpec[] = [{ path: WHOAMI_PATH, methods: ['GET'] }];

const NO_QUERY = z.strictObject({});
export const WHOAMI_PARAMS = { none: NO_QUERY } as const;

export const WhoAmISchema = z
  .strictObject({
    authentication: z
      .enum(['api-key', 'disabled'])
      .describe('disabled: this API runs without keys (development or AUTH_DISABLED), so every scope is open.'),
    keyId: z
      .string()
      .regex(/^[0-9a-f]{12}$/)
      .nullable()
      .describe(
        'The key’s non-secret label (the first 12 hex digits of its SHA-256), as logs show it; null without a key.',
      ),
    scopes: z
      .array(z.enum(API_SCOPES))
      .describe('What this key may do: ingest, read, admin; empty when the request carried no key.'),
  })
  .meta({ id: 'WhoAmI' });

/**
 * GET /api/v1/whoami: the calling key's scopes, never the key. Any key may ask, and a caller without one
 * (see ANY_KEY_PATHS), so a page can ask for a key, and hide what the key cannot use instead of showing 403s.
 */
export function whoamiRouter(options: { authentication: 'api-key' | 'disabled' }): Router {
  const router = Router();
  router.get(WHOAMI_PATH, (req, res) => {
    parseQuery(NO_QUERY, [], req.query);
    const entry = apiKeyOf(res);
    let body: z.input<typeof WhoAmISchema>;
    if (options.authentication === 'disabled')
      body = { authentication: 'disabled', keyId: null, scopes: [...API_SCOPES] };
    else if (entry === undefined) body = { authentication: 'api-key', keyId: null, scopes: [] };
    else body = { authentication: 'api-key', keyId: entry.id, scopes: API_SCOPES.filter((s) => entry.scopes.has(s)) };
    res.json(body);
  });
  return router;
}
