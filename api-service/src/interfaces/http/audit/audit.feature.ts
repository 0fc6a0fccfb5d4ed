import type { AuditTrailUseCase } from '../../../application/audit-trail.use-case';
import type { HttpFeature } from '../http-feature';
import { ADMIN_FORBIDDEN, BAD_QUERY, json, rules, UNAVAILABLE } from '../openapi/openapi-kit';
import { AUDIT_PARAMS, AUDIT_PATH, AUDIT_ROUTES, AuditPageSchema, auditRouter } from './audit.router';

/** The audit trail of admin actions (admin scope); the records are made by the audit middleware, not here. */
export function auditFeature(audit: AuditTrailUseCase): HttpFeature {
  return {
    routes: AUDIT_ROUTES,
    mount: (app) => app.use(auditRouter(audit)),
    document: ({ registry, security, secured, apiKeys }) => {
      registry.registerPath({
        method: 'get',
        path: AUDIT_PATH,
        operationId: 'listAuditRecords',
        tags: ['access'],
        summary: 'The audit trail: who changed keys, sources, activity types, erasures and replays, newest first',
        description:
          'One record per admin change the API answered (success), refused for want of scope (denied, 403) or ' +
          'failed (any other 4xx/5xx); a request without a valid key (401) is not recorded. Records are kept ' +
          'AUDIT_RETENTION_DAYS. An erasure names its user by the erasure’s keyed hash, never in clear.',
        ...rules('range-order', 'cursor-not-issued'),
        ...security,
        request: { query: AUDIT_PARAMS },
        responses: {
          200: {
            description: 'One page, newest first',
            content: json(AuditPageSchema),
            links: {
              NextPage: {
                operationId: 'listAuditRecords',
                parameters: {
                  action: '$request.query.action',
                  actorKeyId: '$request.query.actorKeyId',
                  outcome: '$request.query.outcome',
                  targetId: '$request.query.targetId',
                  from: '$request.query.from',
                  to: '$request.query.to',
                  limit: '$request.query.limit',
                  cursor: '$response.body#/nextCursor',
                },
                description: 'The following page, while nextCursor is not null',
              },
            },
          },
          400: BAD_QUERY,
          503: UNAVAILABLE,
          ...secured,
          ...(apiKeys ? { 403: ADMIN_FORBIDDEN } : {}),
        },
      });
    },
  };
}
