import {
  ACTIVITY_TYPE_STATUSES,
  EVENT_NAME_LIMITS,
  EventNamesSchema,
  INVALID_METADATA_POLICIES,
  RANKABLE_FIELD_LIMITS,
  RankableFieldsSchema,
  UNKNOWN_TYPE_POLICIES,
  type ActivityTypeVersion,
} from '@uap/shared/activity-types';
import { ActivityTypeSchema, IsoDateTimeSchema } from '@uap/shared/contract';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type {
  ChangeResult,
  ManageActivityTypesUseCase,
  TypeWithHistory,
} from '../../../application/manage-activity-types.use-case';
import { toFieldErrors } from '../../../domain/domain-error';
import { auditTarget } from '../audit/audit.middleware';
import { apiKeyOf } from '../auth.middleware';
import { jsonBody } from '../json-body.middleware';
import type { RouteSpec } from '../method-guard.middleware';
import { invalid, parseQuery, stringParam } from '../query-params';

export const ACTIVITY_TYPES_PATH = '/api/v1/activity-types';
export const ACTIVITY_TYPE_ROUTES: RouteSpec[] = [
  { path: ACTIVITY_TYPES_PATH, methods: ['GET'] },
  { path: `${ACTIVITY_TYPES_PATH}/policy`, methods: ['GET', 'PUT'], audit: { PUT: 'activity-type.policy' } },
  {
    path: `${ACTIVITY_TYPES_PATH}/:name`,
    methods: ['GET', 'PUT', 'DELETE'],
    audit: { PUT: 'activity-type.put', DELETE: 'activity-type.retire' },
  },
];

/** A schema is at most 64 KB (the guard says so with a 400); a body past this is not even parsed (413). */
export const TYPE_BODY_LIMIT_BYTES = 256 * 1024;

const JsonObjectSchema = z.record(z.string(), z.unknown()).meta({ type: 'object', additionalProperties: true });

export const ActivityTypeVersionSchema = z
  .strictObject({
    name: ActivityTypeSchema,
    version: z.int().min(1),
    description: z.string(),
    status: z.enum(ACTIVITY_TYPE_STATUSES),
    metadataSchema: JsonObjectSchema.describe('JSON Schema (2020-12) for the event’s metadata'),
    eventNames: z
      .array(z.string())
      .optional()
      .describe(
        'Event names that map to this type (a Segment `track` call’s `event`, matched exactly); absent when none',
      ),
    rankableFields: z
      .array(z.string())
      .optional()
      .describe('Metadata paths GET /api/v1/insights/top may rank for this type; absent when none'),
    createdAt: IsoDateTimeSchema,
    createdBy: z.string().describe('Label of the API key that made this version; `built-in` for the initial content'),
  })
  .meta({ id: 'ActivityTypeVersion' });

export const ActivityTypeDetailSchema = ActivityTypeVersionSchema.extend({
  versions: z.array(ActivityTypeVersionSchema).describe('Every version, oldest first'),
  registryPosition: z.int().min(0).describe('The registry log position that holds this version'),
}).meta({ id: 'ActivityTypeDetail' });

export const UnplannedPolicySchema = z
  .strictObject({ unknownTypes: z.enum(UNKNOWN_TYPE_POLICIES), invalidMetadata: z.enum(INVALID_METADATA_POLICIES) })
  .meta({ id: 'UnplannedPolicy' });

export const ActivityTypeListSchema = z
  .strictObject({
    types: z.array(ActivityTypeVersionSchema),
    policy: UnplannedPolicySchema,
    registryPosition: z.int().min(0),
  })
  .meta({ id: 'ActivityTypeList' });

export const TypeChangeSchema = z
  .strictObject({
    description: z.string().max(1024).optional(),
    metadataSchema: JsonObjectSchema.describe(
      'JSON Schema (2020-12) for metadata: self-contained (local $ref only), at most 64 KB and 32 levels deep; ' +
        'patterns must be RE2-compatible and free of nested quantifiers.',
    ),
    eventNames: EventNamesSchema.meta({ uniqueItems: true })
      .optional()
      .describe(
        `Event names that map to this type: a Segment \`track\` call whose \`event\` is one of them (exactly, case ` +
          `and spaces included) gets this type instead of its name in UPPER_SNAKE. At most ${EVENT_NAME_LIMITS.maxNames} ` +
          `distinct names of 1-${EVENT_NAME_LIMITS.maxLength} characters; a name another type that is not retired ` +
          'holds is refused (409). Default: the current names; [] gives them up.',
      ),
    rankableFields: RankableFieldsSchema.meta({ uniqueItems: true })
      .optional()
      .describe(
        'Metadata paths whose values GET /api/v1/insights/top may rank for this type (`metadata.query`, ' +
          '`metadata.page.path`): `metadata.` then 1-4 names of letters, digits and _, at most ' +
          `${RANKABLE_FIELD_LIMITS.maxFields} distinct paths. Declared so that no request makes the store group ` +
          'by an arbitrary JSON path. Changing them is never a breaking change. Default: the current fields; [] ' +
          'makes none rankable.',
      ),
    status: z.enum(ACTIVITY_TYPE_STATUSES).optional().describe('Default: the current status (active for a new type)'),
  })
  .meta({ id: 'ActivityTypeChange' });

const NO_QUERY = z.strictObject({});
const PUT_QUERY = z.strictObject({
  breaking: stringParam('breaking', z.enum(['true', 'false'])).optional(),
});
/** `"3"`, `W/"3"` or `3`: the version the client read (the ETag this API sent). */
const IF_MATCH = /^(?:W\/)?"?([1-9][0-9]{0,8})"?$/;

export const ACTIVITY_TYPE_PARAMS = { none: NO_QUERY, put: PUT_QUERY } as const;

function nameOf(req: Request): string {
  const name = ActivityTypeSchema.safeParse(req.params['name']);
  if (!name.success) throw invalid(toFieldErrors(name.error.issues.map((i) => ({ ...i, path: ['name'] }))));
  return name.data;
}

function expectedVersion(req: Request): number | undefined {
  const header = req.get('if-match');
  if (header === undefined) return undefined;
  const match = IF_MATCH.exec(header.trim());
  if (match === null) throw invalid([{ path: 'If-Match', message: 'must be the ETag of a version, e.g. "3"' }]);
  return Number(match[1]);
}

const by = (res: Response) => {
  const key = apiKeyOf(res);
  return key === undefined ? 'anonymous' : `key:${key.id}`;
};

function detail({ type, versions, position }: TypeWithHistory): z.input<typeof ActivityTypeDetailSchema> {
  return { ...type, versions: versions as ActivityTypeVersion[], registryPosition: position };
}

function sendDetail(res: Response, result: TypeWithHistory, status = 200): void {
  res.status(status).set('ETag', `"${result.type.version}"`).json(detail(result));
}

function sendChange(res: Response, result: ChangeResult): void {
  const change = { change: result.outcome, version: result.type.version, typeStatus: result.type.status };
  auditTarget(res, { kind: 'activity-type', id: result.type.name }, change);
  if (result.outcome === 'created') res.location(`${ACTIVITY_TYPES_PATH}/${result.type.name}`);
  sendDetail(res, result, result.outcome === 'created' ? 201 : 200);
}

/** The registry's admin API: reads for `read` keys, changes for `admin` keys (scopeFor). */
export function activityTypesRouter(types: ManageActivityTypesUseCase): Router {
  const router = Router();
  router.get(ACTIVITY_TYPES_PATH, (req, res) => {
    parseQuery(NO_QUERY, [], req.query);
    const { types: list, policy, position } = types.list();
    res.json({ types: list, policy, registryPosition: position });
  });
  router.get(`${ACTIVITY_TYPES_PATH}/policy`, (req, res) => {
    parseQuery(NO_QUERY, [], req.query);
    const { policy, position } = types.list();
    res.json({ ...policy, registryPosition: position });
  });
  router.put(`${ACTIVITY_TYPES_PATH}/policy`, ...jsonBody(16 * 1024), async (req, res) => {
    parseQuery(NO_QUERY, [], req.query);
    const policy = UnplannedPolicySchema.safeParse(req.body);
    if (!policy.success) throw invalid(toFieldErrors(policy.error.issues));
    auditTarget(res, { kind: 'policy', id: 'unplanned' }, { ...policy.data });
    const result = await types.setPolicy(policy.data, by(res));
    res.json({ ...result.policy, registryPosition: result.position });
  });
  router.get(`${ACTIVITY_TYPES_PATH}/:name`, (req, res) => {
    parseQuery(NO_QUERY, [], req.query);
    sendDetail(res, types.show(nameOf(req)));
  });
  router.put(`${ACTIVITY_TYPES_PATH}/:name`, ...jsonBody(TYPE_BODY_LIMIT_BYTES), async (req, res) => {
    const query = parseQuery(PUT_QUERY, ['breaking'], req.query);
    const name = nameOf(req);
    auditTarget(res, { kind: 'activity-type', id: name }, { breaking: query.breaking === 'true' });
    const change = TypeChangeSchema.safeParse(req.body);
    if (!change.success) throw invalid(toFieldErrors(change.error.issues));
    const options = { expectedVersion: expectedVersion(req), breaking: query.breaking === 'true', by: by(res) };
    sendChange(res, await types.put(name, change.data, options));
  });
  router.delete(`${ACTIVITY_TYPES_PATH}/:name`, async (req, res) => {
    parseQuery(NO_QUERY, [], req.query);
    const name = nameOf(req);
    auditTarget(res, { kind: 'activity-type', id: name });
    sendChange(res, await types.retire(name, { expectedVersion: expectedVersion(req), by: by(res) }));
  });
  return router;
}
