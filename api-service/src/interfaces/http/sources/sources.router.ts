import {
  ActivityTypeSchema,
  IsoDateTimeSchema,
  isStorableString,
  SOURCE_LABELS,
  SourceIdSchema,
  UNSTORABLE_STRING_MESSAGE,
} from '@uap/shared/contract';
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { ManageAccessUseCase, SourcePatch } from '../../../application/manage-access.use-case';
import { SOURCE_NAME_MAX_LENGTH, SOURCE_STATUSES } from '../../../domain/access/source';
import { toFieldErrors } from '../../../domain/domain-error';
import { auditTarget } from '../audit/audit.middleware';
import { jsonBody } from '../json-body.middleware';
import { ActorSchema, actorOf } from '../keys/keys.router';
import type { RouteSpec } from '../method-guard.middleware';
import { invalid, parseQuery } from '../query-params';

export const SOURCES_PATH = '/api/v1/sources';
export const SOURCE_ROUTES: RouteSpec[] = [
  { path: SOURCES_PATH, methods: ['GET', 'POST'], audit: { POST: 'source.create' } },
  { path: `${SOURCES_PATH}/:id`, methods: ['GET', 'PATCH'], audit: { PATCH: 'source.update' } },
];

const BODY_LIMIT_BYTES = 16 * 1024;
/** A source's own limit, per api replica; the per-key limit applies as well. */
export const MAX_SOURCE_RATE_PER_MINUTE = 1_000_000;
export const MAX_ALLOWED_TYPES = 200;

const NameSchema = z
  .string()
  .min(1)
  .max(SOURCE_NAME_MAX_LENGTH)
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses.
  .regex(/^[^\u0000-\u001F\u007F]+$/, 'must not contain control characters')
  .refine(isStorableString, UNSTORABLE_STRING_MESSAGE)
  .describe('A name for people, 1-100 characters');

const RateLimitSchema = z
  .int()
  .min(1)
  .max(MAX_SOURCE_RATE_PER_MINUTE)
  .nullable()
  .describe('Requests per minute per api replica, all of its keys together (429 past it); null: no source limit');

const AllowedTypesSchema = z
  .array(ActivityTypeSchema)
  .max(MAX_ALLOWED_TYPES)
  .superRefine((types, ctx) => {
    types.forEach((type, index) => {
      if (types.indexOf(type) !== index) ctx.addIssue({ code: 'custom', path: [index], message: `${type} twice` });
    });
  })
  .meta({ uniqueItems: true })
  .nullable()
  .describe(
    'The activity types its keys may send (a request with any other is refused whole, 422); names the registry ' +
      'does not hold yet are allowed (planned later); null: every type the registry accepts',
  );

const StatusSchema = z.enum(SOURCE_STATUSES).describe('paused: its keys’ events are refused (403), nothing stored');

const SourceCountsSchema = z
  .strictObject({
    accepted: z
      .int()
      .min(0)
      .nullable()
      .describe(
        'Events of its keys this api replica accepted since `since`; null when it does not count (METRICS_ENABLED=false)',
      ),
    refused: z
      .int()
      .min(0)
      .nullable()
      .describe('Events of its keys this api replica refused since `since` (paused, type not allowed, rate limit, …)'),
    deadLettered: z
      .int()
      .min(0)
      .nullable()
      .describe(
        'Its letters in the dead-letter index, whatever their status (dead, replayed, parked), over every replica; ' +
          'null when the index did not answer, and in the answer of a write (which never waits for the store)',
      ),
    since: IsoDateTimeSchema.nullable().describe(
      'When this replica started counting accepted and refused (its start); null when it does not count',
    ),
  })
  .describe(
    'What its keys sent. accepted and refused are this replica’s counts since its start, the numbers of ' +
      'uap_source_events_total: another replica answers with its own, and Prometheus sums them over replicas. ' +
      'deadLettered comes from the dead-letter index, durable and over all replicas (GET /api/v1/dead-letters?sourceId= ' +
      'lists them).',
  )
  .meta({ id: 'SourceCounts' });

export const SourceViewSchema = z
  .strictObject({
    id: z.string(),
    name: z.string(),
    status: z.enum(SOURCE_STATUSES),
    rateLimitPerMinute: z.int().nullable(),
    allowedTypes: z.array(z.string()).nullable(),
    createdAt: IsoDateTimeSchema,
    updatedAt: IsoDateTimeSchema,
    createdBy: ActorSchema,
    updatedBy: ActorSchema,
    keys: z.int().min(0).describe('Its keys that are valid now (a rotated key in its grace counted)'),
    counts: SourceCountsSchema,
  })
  .meta({ id: 'Source' });

export const SourceListSchema = z.strictObject({ sources: z.array(SourceViewSchema) }).meta({ id: 'SourceList' });
export const SourceWrittenSchema = z
  .strictObject({
    source: SourceViewSchema,
    inForceBy: IsoDateTimeSchema.describe('By when every api replica enforces the change (this one already does)'),
  })
  .meta({ id: 'SourceWritten' });

export const SourceCreateSchema = z
  .strictObject({
    id: SourceIdSchema.refine((id) => !Object.values<string>(SOURCE_LABELS).includes(id), {
      message: `"none" and "other" are the metrics' labels for events of no source and unknown ones; pick another id`,
    }).describe('web, ios, backend: lower kebab case, at most 40 characters, not none or other; also a metrics label'),
    name: NameSchema,
    status: StatusSchema.optional().describe('Default active'),
    rateLimitPerMinute: RateLimitSchema.optional().describe('Default null: no source limit'),
    allowedTypes: AllowedTypesSchema.optional().describe('Default null: every type'),
  })
  .meta({ id: 'SourceCreate' });

export const SourcePatchSchema = z
  .strictObject({
    name: NameSchema.optional(),
    status: StatusSchema.optional(),
    rateLimitPerMinute: RateLimitSchema.optional().describe('null clears the limit'),
    allowedTypes: AllowedTypesSchema.optional().describe('null allows every type again'),
  })
  .meta({ id: 'SourcePatch', minProperties: 1 });

const NO_QUERY = z.strictObject({});
export const SOURCE_PARAMS = { none: NO_QUERY, path: z.object({ id: SourceIdSchema }) } as const;

function idOf(req: Request): string {
  const id = SourceIdSchema.safeParse(req.params['id']);
  if (!id.success) throw invalid(toFieldErrors(id.error.issues.map((i) => ({ ...i, path: ['id'] }))));
  return id.data;
}

function bodyOf<T>(schema: z.ZodType<T>, req: Request): T {
  const parsed = schema.safeParse(req.body);
  if (!parsed.success) throw invalid(toFieldErrors(parsed.error.issues));
  return parsed.data;
}

/** Sources (admin scope): the sending apps keys are bound to, with their status and policy. */
export function sourcesRouter(access: ManageAccessUseCase): Router {
  const router = Router();
  router.get(SOURCES_PATH, async (req, res) => {
    parseQuery(NO_QUERY, [], req.query);
    res.json({ sources: await access.listSources() });
  });
  router.post(SOURCES_PATH, ...jsonBody(BODY_LIMIT_BYTES), async (req, res) => {
    parseQuery(NO_QUERY, [], req.query);
    const input = bodyOf(SourceCreateSchema, req);
    auditTarget(res, { kind: 'source', id: input.id });
    const { source, inForceBy } = await access.createSource(input, actorOf(res));
    auditTarget(res, { kind: 'source', id: source.id }, { name: source.name, status: source.status });
    res.status(201).location(`${SOURCES_PATH}/${source.id}`).json({ source, inForceBy: inForceBy.toISOString() });
  });
  router.get(`${SOURCES_PATH}/:id`, async (req, res) => {
    parseQuery(NO_QUERY, [], req.query);
    res.json(await access.showSource(idOf(req)));
  });
  router.patch(`${SOURCES_PATH}/:id`, ...jsonBody(BODY_LIMIT_BYTES), async (req, res) => {
    parseQuery(NO_QUERY, [], req.query);
    const id = idOf(req);
    auditTarget(res, { kind: 'source', id });
    const patch: SourcePatch = bodyOf(SourcePatchSchema, req);
    if (Object.keys(patch).length === 0)
      throw invalid([{ path: '(root)', message: 'name at least one field to change' }]);
    const { source, inForceBy } = await access.updateSource(id, patch, actorOf(res));
    auditTarget(res, { kind: 'source', id }, { fields: Object.keys(patch).sort(), status: source.status });
    res.json({ source, inForceBy: inForceBy.toISOString() });
  });
  return router;
}
