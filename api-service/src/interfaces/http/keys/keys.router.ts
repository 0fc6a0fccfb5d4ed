import { IsoDateTimeSchema, isStorableString, SourceIdSchema, UNSTORABLE_STRING_MESSAGE } from '@uap/shared/contract';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import {
  KEY_LIST_FILTERS,
  MAX_GRACE_SECONDS,
  type KeyView,
  type ManageAccessUseCase,
} from '../../../application/manage-access.use-case';
import { KEY_LABEL_MAX_LENGTH } from '../../../domain/access/access-record';
import type { Actor } from '../../../domain/access/source';
import { API_SCOPES } from '../../../domain/api-key';
import { toFieldErrors } from '../../../domain/domain-error';
import { auditTarget } from '../audit/audit.middleware';
import { apiKeyOf } from '../auth.middleware';
import { jsonBody } from '../json-body.middleware';
import type { RouteSpec } from '../method-guard.middleware';
import { invalid, parseQuery, stringParam } from '../query-params';

export const KEYS_PATH = '/api/v1/keys';
export const KEY_ROUTES: RouteSpec[] = [
  { path: KEYS_PATH, methods: ['GET', 'POST'], audit: { POST: 'key.create' } },
  { path: `${KEYS_PATH}/:id`, methods: ['GET', 'DELETE'], audit: { DELETE: 'key.revoke' } },
  { path: `${KEYS_PATH}/:id/rotate`, methods: ['POST'], audit: { POST: 'key.rotate' } },
];

const BODY_LIMIT_BYTES = 16 * 1024;

/** A bootstrap key's id (12 hex of its hash) or a runtime key's (16 hex). */
export const KeyIdSchema = z
  .string()
  .regex(/^[0-9a-f]{12}(?:[0-9a-f]{4})?$/, 'must be a key id: 12 or 16 lowercase hex digits')
  .meta({ description: 'The key id: 16 hex digits for a runtime key, 12 for a bootstrap (API_KEYS) key' });

export const SECRET_PATTERN = /^uapk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/;
const SecretSchema = z
  .string()
  .regex(SECRET_PATTERN)
  .describe('The key itself, shown this once: send it as `Authorization: Bearer <key>` or `X-API-Key`');

/** Labels end up in logs, the audit trail and the dashboard: printable, storable, short. */
export const LabelSchema = z
  .string()
  .min(1)
  .max(KEY_LABEL_MAX_LENGTH)
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses.
  .regex(/^[^\u0000-\u001F\u007F]+$/, 'must not contain control characters')
  .refine(isStorableString, UNSTORABLE_STRING_MESSAGE);

const ScopesSchema = z
  .array(z.enum(API_SCOPES))
  .min(1)
  .max(API_SCOPES.length)
  .superRefine((scopes, ctx) => {
    scopes.forEach((scope, index) => {
      if (scopes.indexOf(scope) !== index) ctx.addIssue({ code: 'custom', path: [index], message: `${scope} twice` });
    });
  })
  .meta({ uniqueItems: true });

export const ActorSchema = z
  .strictObject({
    keyId: z.string().nullable().describe('The id of the key that made the change; null when auth is disabled'),
    label: z.string().nullable(),
  })
  .meta({ id: 'Actor' });

const nullableInstant = z.union([IsoDateTimeSchema, z.null()]);

export const KeyViewSchema = z
  .strictObject({
    id: z.string(),
    prefix: z
      .string()
      .nullable()
      .describe(
        '`uapk_<id>`, the non-secret start of a runtime key; null for a bootstrap key (only its hash is known)',
      ),
    label: z.string(),
    scopes: z.array(z.enum(API_SCOPES)),
    origin: z.enum(['bootstrap', 'runtime']).describe('bootstrap: from API_KEYS, cannot be rotated or revoked here'),
    sourceId: z.string().nullable(),
    createdAt: nullableInstant,
    createdBy: ActorSchema.nullable(),
    lastUsedAt: nullableInstant.describe('Last successful use, recorded by each replica at most once a minute'),
    expiresAt: nullableInstant,
    revokedAt: nullableInstant,
    endsAt: nullableInstant.describe('Rotated: when its grace period ends (then only the successor works)'),
    rotatedFrom: z.string().nullable().describe('The key this one succeeded'),
    successorId: z.string().nullable().describe('The key that succeeded this one'),
    status: z
      .enum(['active', 'expiring', 'expired', 'revoked'])
      .describe('expiring: rotated and still in its grace period; expired: past expiresAt or past its grace end'),
  })
  .meta({ id: 'ApiKey' });

const InForceBySchema = IsoDateTimeSchema.describe(
  'By when every api replica enforces the change (this one already does)',
);

export const KeyListSchema = z.strictObject({ keys: z.array(KeyViewSchema) }).meta({ id: 'ApiKeyList' });
export const KeyCreatedSchema = z
  .strictObject({ key: KeyViewSchema, secret: SecretSchema, inForceBy: InForceBySchema })
  .meta({ id: 'ApiKeyCreated' });
export const KeyRotatedSchema = z
  .strictObject({
    key: KeyViewSchema.describe('The successor'),
    secret: SecretSchema,
    previous: KeyViewSchema.describe('The rotated key, with endsAt'),
    inForceBy: InForceBySchema,
  })
  .meta({ id: 'ApiKeyRotated' });
export const KeyRevokedSchema = z
  .strictObject({
    key: KeyViewSchema,
    revokedAt: IsoDateTimeSchema.describe('The first revocation (revoking again changes nothing)'),
    inForceBy: InForceBySchema,
  })
  .meta({ id: 'ApiKeyRevoked' });

export const KeyCreateSchema = z
  .strictObject({
    label: LabelSchema.describe('A name for people: who or what holds the key'),
    scopes: ScopesSchema.describe('ingest, read and/or admin, each at most once'),
    sourceId: SourceIdSchema.optional().describe(
      'Bind the key to a source (it must exist, else 422): its events carry the source, its policy applies',
    ),
    expiresAt: IsoDateTimeSchema.optional().describe('When the key stops working (in the future); default: never'),
  })
  .meta({ id: 'ApiKeyCreate' });

export const KeyRotateSchema = z
  .strictObject({
    graceSeconds: z
      .int()
      .min(0)
      .max(MAX_GRACE_SECONDS)
      .optional()
      .describe('How long the old key keeps working; default KEY_ROTATION_GRACE_SECONDS (24 h); 0 ends it now'),
    expiresAt: IsoDateTimeSchema.optional().describe('The successor’s expiry (in the future); default: the old key’s'),
  })
  .meta({ id: 'ApiKeyRotate' });

const LIST_QUERY = z.strictObject({
  status: stringParam('status', z.enum(KEY_LIST_FILTERS))
    .optional()
    .describe('active: valid now (in a rotation grace included); rotated: has a successor; default all'),
  sourceId: stringParam('sourceId', SourceIdSchema).optional(),
});
const NO_QUERY = z.strictObject({});
export const KEY_PARAMS = { list: LIST_QUERY, none: NO_QUERY, path: z.object({ id: KeyIdSchema }) } as const;

/** Who asks: the key that authenticated the request (nobody when the API runs without keys). */
export function actorOf(res: Response): Actor {
  const key = apiKeyOf(res);
  return { keyId: key?.id ?? null, label: key?.label ?? null };
}

function idOf(req: Request): string {
  const id = KeyIdSchema.safeParse(req.params['id']);
  if (!id.success) throw invalid(toFieldErrors(id.error.issues.map((i) => ({ ...i, path: ['id'] }))));
  return id.data;
}

function bodyOf<T>(schema: z.ZodType<T>, req: Request): T {
  const parsed = schema.safeParse(req.body);
  if (!parsed.success) throw invalid(toFieldErrors(parsed.error.issues));
  return parsed.data;
}

/** An answer that carries a secret: no cache (a proxy, the browser's back button) may keep it. */
function sendSecret(res: Response, key: KeyView, body: object): void {
  res.status(201).location(`${KEYS_PATH}/${key.id}`).set('Cache-Control', 'no-store').json(body);
}

/** Keys managed at runtime (admin scope): create, list, read, rotate, revoke. */
export function keysRouter(access: ManageAccessUseCase): Router {
  const router = Router();
  router.get(KEYS_PATH, (req, res) => {
    const query = parseQuery(LIST_QUERY, ['status', 'sourceId'], req.query);
    res.json({ keys: access.listKeys(query) });
  });
  router.post(KEYS_PATH, ...jsonBody(BODY_LIMIT_BYTES), async (req, res) => {
    parseQuery(NO_QUERY, [], req.query);
    const input = bodyOf(KeyCreateSchema, req);
    const expiresAt = input.expiresAt === undefined ? undefined : new Date(input.expiresAt);
    const created = await access.createKey({ ...input, expiresAt }, actorOf(res));
    auditTarget(
      res,
      { kind: 'key', id: created.key.id },
      {
        label: created.key.label,
        scopes: created.key.scopes,
        ...(created.key.sourceId === null ? {} : { sourceId: created.key.sourceId }),
        ...(created.key.expiresAt === null ? {} : { expiresAt: created.key.expiresAt }),
      },
    );
    sendSecret(res, created.key, { ...created, inForceBy: created.inForceBy.toISOString() });
  });
  router.get(`${KEYS_PATH}/:id`, (req, res) => {
    parseQuery(NO_QUERY, [], req.query);
    res.json(access.showKey(idOf(req)));
  });
  router.post(`${KEYS_PATH}/:id/rotate`, ...jsonBody(BODY_LIMIT_BYTES), async (req, res) => {
    parseQuery(NO_QUERY, [], req.query);
    const id = idOf(req);
    auditTarget(res, { kind: 'key', id });
    const input = bodyOf(KeyRotateSchema, req);
    const expiresAt = input.expiresAt === undefined ? undefined : new Date(input.expiresAt);
    const rotated = await access.rotateKey(id, { ...input, expiresAt }, actorOf(res));
    auditTarget(res, { kind: 'key', id }, { successorId: rotated.key.id, endsAt: rotated.previous.endsAt ?? '' });
    sendSecret(res, rotated.key, { ...rotated, inForceBy: rotated.inForceBy.toISOString() });
  });
  router.delete(`${KEYS_PATH}/:id`, async (req, res) => {
    parseQuery(NO_QUERY, [], req.query);
    const id = idOf(req);
    auditTarget(res, { kind: 'key', id });
    const revoked = await access.revokeKey(id, actorOf(res));
    auditTarget(res, { kind: 'key', id }, { revokedAt: revoked.revokedAt });
    res.json({ ...revoked, inForceBy: revoked.inForceBy.toISOString() });
  });
  return router;
}
