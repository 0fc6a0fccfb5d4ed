import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { ManageAccessUseCase } from '../../../application/manage-access.use-case';
import type { HttpFeature } from '../http-feature';
import {
  ADMIN_FORBIDDEN,
  BAD_QUERY,
  json,
  problem,
  rules,
  toOpenApiPath,
  UNAVAILABLE,
  IN_FORCE,
} from '../openapi/openapi-kit';
import { PROBLEMS } from '../problem';
import {
  KEY_PARAMS,
  KEY_ROUTES,
  KeyCreatedSchema,
  KeyCreateSchema,
  KeyListSchema,
  KeyRevokedSchema,
  KeyRotatedSchema,
  KeyRotateSchema,
  KEYS_PATH,
  keysRouter,
  KeyViewSchema,
} from './keys.router';

const SECRET_HEADERS = {
  'Cache-Control': { schema: { type: 'string' as const }, description: '`no-store`: the answer carries a secret' },
  Location: { schema: { type: 'string' as const }, description: 'The new key: /api/v1/keys/{id}' },
};
/** API keys managed at runtime (admin scope); bootstrap keys (API_KEYS) are listed but fixed. */
export function keysFeature(access: ManageAccessUseCase): HttpFeature {
  return {
    routes: KEY_ROUTES,
    mount: (app) => app.use(keysRouter(access)),
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
      const notFound = problem(PROBLEMS.keyNotFound, 'No such key');
      const bootstrap = problem(PROBLEMS.bootstrapKey, 'A bootstrap key (API_KEYS): change it in the configuration');
      const byId = { params: KEY_PARAMS.path, query: KEY_PARAMS.none };
      registry.registerPath({
        method: 'get',
        path: KEYS_PATH,
        operationId: 'listKeys',
        tags: ['access'],
        summary: 'The API keys, bootstrap ones first, without their secrets',
        ...security,
        request: { query: KEY_PARAMS.list },
        responses: { 200: { description: 'The keys', content: json(KeyListSchema) }, ...errors, 400: BAD_QUERY },
      });
      registry.registerPath({
        method: 'post',
        path: KEYS_PATH,
        operationId: 'createKey',
        tags: ['access'],
        summary: 'Create a key; its secret is in this answer only',
        description: `Only the key's SHA-256 is kept, so a lost secret cannot be shown again: rotate the key. ${IN_FORCE}`,
        ...rules('key-expiry', 'known-source'),
        ...security,
        request: { query: KEY_PARAMS.none, body: { required: true, content: json(KeyCreateSchema) } },
        responses: {
          201: {
            description: 'Created',
            headers: SECRET_HEADERS,
            content: json(KeyCreatedSchema),
            links: {
              GetKey: { operationId: 'getKey', parameters: { id: '$response.body#/key/id' } },
              RotateKey: { operationId: 'rotateKey', parameters: { id: '$response.body#/key/id' } },
              RevokeKey: { operationId: 'revokeKey', parameters: { id: '$response.body#/key/id' } },
            },
          },
          422: problem(PROBLEMS.unknownSource, 'sourceId names no source'),
          ...bodyErrors,
          ...errors,
        },
      });
      registry.registerPath({
        method: 'get',
        path: toOpenApiPath(`${KEYS_PATH}/:id`),
        operationId: 'getKey',
        tags: ['access'],
        summary: 'A key, without its secret',
        ...security,
        request: byId,
        responses: {
          200: { description: 'The key', content: json(KeyViewSchema) },
          404: notFound,
          ...errors,
        },
      });
      registry.registerPath({
        method: 'post',
        path: toOpenApiPath(`${KEYS_PATH}/:id/rotate`),
        operationId: 'rotateKey',
        tags: ['access'],
        summary: 'Issue a successor; the old key keeps working for a grace period, then stops',
        description:
          'The successor has the old key’s label, scopes and source, and its expiry unless `expiresAt` is given. ' +
          `Only an active key can be rotated (409 otherwise). Send \`{}\` for the defaults. ${IN_FORCE}`,
        ...rules('key-expiry'),
        ...security,
        request: { ...byId, body: { required: true, content: json(KeyRotateSchema) } },
        responses: {
          201: {
            description: 'The successor (its secret in this answer only) and the rotated key',
            headers: { ...SECRET_HEADERS, Location: { ...SECRET_HEADERS.Location, description: 'The successor' } },
            content: json(KeyRotatedSchema),
            links: {
              GetSuccessor: { operationId: 'getKey', parameters: { id: '$response.body#/key/id' } },
            },
          },
          404: notFound,
          409: {
            ...bootstrap,
            description:
              'A bootstrap key (problem type urn:uap:problem:bootstrap-key), or a key that is revoked, expired or ' +
              'already rotated (urn:uap:problem:key-not-rotatable)',
          },
          ...bodyErrors,
          ...errors,
        },
      });
      registry.registerPath({
        method: 'delete',
        path: toOpenApiPath(`${KEYS_PATH}/:id`),
        operationId: 'revokeKey',
        tags: ['access'],
        summary: 'Revoke a key: refused everywhere within seconds',
        description:
          `Idempotent: revoking a revoked key answers its first revokedAt. The key stays listed (status revoked). ` +
          IN_FORCE,
        // Revoked, not gone: GET keeps answering 200 with status revoked.
        'x-soft-delete': true,
        ...security,
        request: byId,
        responses: {
          200: { description: 'Revoked', content: json(KeyRevokedSchema) },
          404: notFound,
          409: bootstrap,
          ...errors,
        },
      });
    },
  };
}
