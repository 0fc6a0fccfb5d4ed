import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { ActivityTypeSchema } from '@uap/shared/contract';
import { z } from 'zod';
import type { ManageActivityTypesUseCase } from '../../../application/manage-activity-types.use-case';
import type { HttpFeature } from '../http-feature';
import { ADMIN_FORBIDDEN, BAD_QUERY, json, problem, rules, toOpenApiPath, UNAVAILABLE } from '../openapi/openapi-kit';
import { PROBLEMS } from '../problem';
import {
  ACTIVITY_TYPE_PARAMS,
  ACTIVITY_TYPE_ROUTES,
  ACTIVITY_TYPES_PATH,
  ActivityTypeDetailSchema,
  ActivityTypeListSchema,
  activityTypesRouter,
  TypeChangeSchema,
  UnplannedPolicySchema,
} from './activity-types.router';

const PolicyAnswerSchema = UnplannedPolicySchema.extend({ registryPosition: z.int().min(0) }).meta({
  id: 'UnplannedPolicyAnswer',
});
const ETAG = {
  ETag: { schema: { type: 'string' as const }, description: 'The version, quoted: send it back as If-Match' },
};
const IF_MATCH = z
  .string()
  .regex(/^(W\/)?"?[1-9][0-9]{0,8}"?$/)
  .optional()
  .meta({ description: 'The ETag (version) you read; required to change a type that exists' });

/** The activity type registry (tracking plan): list and read (read scope), change and retire (admin scope). */
export function activityTypesFeature(types: ManageActivityTypesUseCase): HttpFeature {
  return {
    routes: ACTIVITY_TYPE_ROUTES,
    mount: (app) => app.use(activityTypesRouter(types)),
    document: ({ registry, security, secured, apiKeys }) => {
      const adminErrors: RouteConfig['responses'] = {
        400: problem(PROBLEMS.validation, 'Invalid name, body, query or If-Match; `errors` says where'),
        503: UNAVAILABLE,
        ...secured,
        ...(apiKeys ? { 403: ADMIN_FORBIDDEN } : {}),
      };
      const named = z.object({ name: ActivityTypeSchema });
      registry.registerPath({
        method: 'get',
        path: ACTIVITY_TYPES_PATH,
        tags: ['activity types'],
        summary: 'The activity types (current version of each) and the policy for what is not planned',
        ...security,
        request: { query: ACTIVITY_TYPE_PARAMS.none },
        responses: {
          200: { description: 'The registry', content: json(ActivityTypeListSchema) },
          400: BAD_QUERY,
          ...secured,
        },
      });
      registry.registerPath({
        method: 'get',
        path: toOpenApiPath(`${ACTIVITY_TYPES_PATH}/:name`),
        operationId: 'getActivityType',
        tags: ['activity types'],
        summary: 'An activity type with every version',
        ...security,
        request: { params: named, query: ACTIVITY_TYPE_PARAMS.none },
        responses: {
          200: { description: 'The type', headers: ETAG, content: json(ActivityTypeDetailSchema) },
          400: BAD_QUERY,
          404: problem(PROBLEMS.notFound, 'No such type'),
          ...secured,
        },
      });
      registry.registerPath({
        method: 'put',
        path: toOpenApiPath(`${ACTIVITY_TYPES_PATH}/:name`),
        operationId: 'putActivityType',
        tags: ['activity types'],
        summary: 'Create a type, or make a new version of it',
        ...rules('usable-json-schema'),
        description:
          'A new version must accept every metadata object the previous one accepted (BACKWARD compatibility) ' +
          'unless `breaking=true`; the check is about `metadataSchema` only. `eventNames` maps event names of ' +
          'other dialects (a Segment `track` call’s `event`) to this type; a name another type that is not ' +
          'retired holds is refused (409, naming that type). `rankableFields` declares the metadata paths insights ' +
          'may rank for this type (never breaking). Any change, event names or rankable fields alone included, ' +
          'makes a new version. The answer comes once the change is durable and every current replica validates with ' +
          'it. Sending the current version unchanged is a no-op (200).',
        ...security,
        request: {
          params: named,
          query: ACTIVITY_TYPE_PARAMS.put,
          headers: z.object({ 'If-Match': IF_MATCH }),
          body: { required: true, content: json(TypeChangeSchema) },
        },
        responses: {
          200: {
            description: 'A new version (or none: unchanged)',
            headers: ETAG,
            content: json(ActivityTypeDetailSchema),
          },
          201: { description: 'Created at version 1', headers: ETAG, content: json(ActivityTypeDetailSchema) },
          409: problem(
            PROBLEMS.conflict,
            'The change would refuse events the previous version accepts, or claims an event name another type ' +
              'holds; `errors` names each (path `metadataSchema` or `eventNames.<index>`)',
          ),
          412: problem(PROBLEMS.preconditionFailed, 'If-Match is not the current version (a lost update)'),
          413: problem(PROBLEMS.payloadTooLarge, 'Body over 256 KB'),
          415: problem(PROBLEMS.unsupportedMediaType, 'Body not sent as application/json'),
          428: problem(PROBLEMS.preconditionRequired, 'The type exists and If-Match is missing'),
          ...adminErrors,
        },
      });
      registry.registerPath({
        method: 'delete',
        path: toOpenApiPath(`${ACTIVITY_TYPES_PATH}/:name`),
        operationId: 'retireActivityType',
        tags: ['activity types'],
        summary: 'Retire a type: new events of it are refused, its stored events stay readable',
        // A soft delete: the type stays readable (status retired, its history whole), so GET keeps answering 200.
        'x-soft-delete': true,
        ...security,
        request: { params: named, query: ACTIVITY_TYPE_PARAMS.none, headers: z.object({ 'If-Match': IF_MATCH }) },
        responses: {
          200: { description: 'Retired (a new version)', headers: ETAG, content: json(ActivityTypeDetailSchema) },
          404: problem(PROBLEMS.notFound, 'No such type'),
          412: problem(PROBLEMS.preconditionFailed, 'If-Match is not the current version'),
          ...adminErrors,
        },
      });
      registry.registerPath({
        method: 'get',
        path: `${ACTIVITY_TYPES_PATH}/policy`,
        tags: ['activity types'],
        summary: 'The policy for unknown types and for metadata that breaks its schema',
        ...security,
        request: { query: ACTIVITY_TYPE_PARAMS.none },
        responses: {
          200: { description: 'The policy', content: json(PolicyAnswerSchema) },
          400: BAD_QUERY,
          ...secured,
        },
      });
      registry.registerPath({
        method: 'put',
        path: `${ACTIVITY_TYPES_PATH}/policy`,
        operationId: 'putUnplannedPolicy',
        tags: ['activity types'],
        summary: 'Set the policy for what is not planned, for every replica',
        ...security,
        request: { query: ACTIVITY_TYPE_PARAMS.none, body: { required: true, content: json(UnplannedPolicySchema) } },
        responses: {
          200: { description: 'The policy in force', content: json(PolicyAnswerSchema) },
          413: problem(PROBLEMS.payloadTooLarge, 'Body over 16 KB'),
          415: problem(PROBLEMS.unsupportedMediaType, 'Body not sent as application/json'),
          ...adminErrors,
        },
      });
    },
  };
}
