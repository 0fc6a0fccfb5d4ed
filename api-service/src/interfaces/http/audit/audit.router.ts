import { IsoDateTimeSchema } from '@uap/shared/contract';
import { Router } from 'express';
import { z } from 'zod';
import type { AuditPage, AuditTrailUseCase } from '../../../application/audit-trail.use-case';
import type { AuditRecord } from '../../../application/ports/audit-log.port';
import {
  AUDIT_ACTION_PATTERN,
  AUDIT_KEY_ID_PATTERN,
  AUDIT_LIMITS,
  AUDIT_OUTCOMES,
  AUDIT_TARGET_ID_PATTERN,
  type AuditFilters,
} from '../../../domain/audit-query';
import type { RouteSpec } from '../method-guard.middleware';
import { assertRange, dateParam, integerParam, once, parseQuery, stringParam } from '../query-params';

export const AUDIT_PATH = '/api/v1/audit';
export const AUDIT_ROUTES: RouteSpec[] = [{ path: AUDIT_PATH, methods: ['GET'] }];

const shape = {
  action: stringParam('action', z.string().regex(AUDIT_ACTION_PATTERN, 'action must be like key.create')).meta({
    description: 'Only this action, e.g. key.create, key.revoke, activity-type.put, user.erase.',
  }),
  actorKeyId: stringParam('actorKeyId', z.string().regex(AUDIT_KEY_ID_PATTERN, 'actorKeyId must be a key id')).meta({
    description: 'Only actions of the key with this id (the id GET /api/v1/keys lists).',
  }),
  outcome: stringParam('outcome', z.enum(AUDIT_OUTCOMES)).meta({
    description: 'success (2xx/3xx), denied (403: the key lacked the scope) or failure (any other 4xx/5xx).',
  }),
  targetId: stringParam('targetId', z.string().regex(AUDIT_TARGET_ID_PATTERN, 'targetId has invalid characters')).meta({
    description:
      'Only actions on this target: a key id, source id, type name, replay job id, or an erasure’s keyed user hash.',
  }),
  from: dateParam('from').meta({ description: 'Inclusive lower bound on `at` (ISO-8601 with offset).' }),
  to: dateParam('to').meta({ description: 'Exclusive upper bound on `at` (ISO-8601 with offset).' }),
  limit: integerParam('limit', 1, AUDIT_LIMITS.maxLimit).meta({
    description: `Page size, 1-${AUDIT_LIMITS.maxLimit} (default ${AUDIT_LIMITS.defaultLimit}).`,
  }),
  cursor: once('cursor')
    .min(1, 'cursor must not be empty')
    .max(512, 'cursor is too long')
    .regex(/^[A-Za-z0-9_-]+$/, 'cursor is not a cursor issued by this API')
    .meta({ description: 'nextCursor of the previous page; send the same filters with it.' }),
};
const PARAM_NAMES = Object.keys(shape) as Array<keyof typeof shape>;

/** The query-string schema, for the OpenAPI document. */
export const AUDIT_PARAMS = z.strictObject({
  action: shape.action.optional(),
  actorKeyId: shape.actorKeyId.optional(),
  outcome: shape.outcome.optional(),
  targetId: shape.targetId.optional(),
  from: shape.from.optional(),
  to: shape.to.optional(),
  limit: shape.limit.optional(),
  cursor: shape.cursor.optional(),
});

const DetailValueSchema = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);

export const AuditRecordSchema = z
  .strictObject({
    id: z.string().describe('Time-ordered and unique'),
    at: IsoDateTimeSchema.describe('When the request was answered'),
    actor: z
      .strictObject({ keyId: z.string().nullable(), label: z.string().nullable() })
      .describe('The key that made the request; both null when the API runs without authentication'),
    action: z.string().describe('e.g. key.create, key.rotate, key.revoke, source.update, user.erase'),
    target: z
      .strictObject({ kind: z.string(), id: z.string() })
      .nullable()
      .describe('What the action was about; an erased user is named by the erasure’s keyed hash, never in clear'),
    requestId: z.string().describe('The X-Request-Id of the request, to find it in the logs'),
    outcome: z.enum(AUDIT_OUTCOMES),
    status: z.int().describe('The HTTP status the request was answered with'),
    details: z.record(z.string(), DetailValueSchema).nullable().describe('A few facts of the action; never a secret'),
  })
  .meta({ id: 'AuditRecord' });

export const AuditPageSchema = z
  .strictObject({
    records: z.array(AuditRecordSchema).describe('Newest first'),
    nextCursor: z
      .string()
      .nullable()
      .describe('Send as cursor (with the same filters) for the next page; null at the end'),
  })
  .meta({ id: 'AuditPage' });

function toDto(record: AuditRecord): z.input<typeof AuditRecordSchema> {
  return { ...record, at: record.at.toISOString() };
}

function toPageDto(page: AuditPage): z.input<typeof AuditPageSchema> {
  return { records: page.records.map(toDto), nextCursor: page.nextCursor };
}

/** GET /api/v1/audit (admin scope: scopeFor). */
export function auditRouter(audit: AuditTrailUseCase): Router {
  const router = Router();
  router.get(AUDIT_PATH, async (req, res) => {
    const { limit, cursor, ...filters } = parseQuery(AUDIT_PARAMS, PARAM_NAMES, req.query);
    assertRange(filters);
    const page = await audit.list({
      filters: filters satisfies AuditFilters,
      limit: limit ?? AUDIT_LIMITS.defaultLimit,
      ...(cursor === undefined ? {} : { cursor }),
    });
    res.json(toPageDto(page));
  });
  return router;
}
