import { IsoDateTimeSchema, UserIdSchema, type ErasureRecord } from '@uap/shared/contract';
import { Router } from 'express';
import { z } from 'zod';
import type { EraseUserUseCase } from '../../../application/erase-user.use-case';
import { toFieldErrors } from '../../../domain/domain-error';
import { auditTarget } from '../audit/audit.middleware';
import type { RouteSpec } from '../method-guard.middleware';
import { invalid, parseQuery } from '../query-params';

export const ERASURE_ROUTES: RouteSpec[] = [
  // The path names the user in clear, so the record keeps neither it nor the id: the target is the erasure's hash.
  { path: '/api/v1/users/:userId/activities', methods: ['DELETE'], audit: { DELETE: 'user.erase' } },
  { path: '/api/v1/erasures/:erasureId', methods: ['GET'] },
];

export const ErasureSchema = z
  .strictObject({
    erasureId: z.string(),
    state: z.enum(['running', 'done']),
    erasedAt: IsoDateTimeSchema.describe(
      'Events of the user received before this time are erased; later ones are kept.',
    ),
    deleted: z.strictObject({ activities: z.int(), deadLetters: z.int() }),
    finishedAt: IsoDateTimeSchema.nullable(),
  })
  .meta({ id: 'Erasure' });

const NO_QUERY = z.strictObject({});
const ERASURE_ID = z.string().regex(/^er_[A-Za-z0-9_-]{12}$/, 'must be an erasure id like er_…');

function toDto(record: ErasureRecord): z.input<typeof ErasureSchema> {
  return {
    erasureId: record.erasureId,
    state: record.state,
    erasedAt: new Date(record.erasedAt).toISOString(),
    deleted: record.deleted,
    finishedAt: record.finishedAt ? new Date(record.finishedAt).toISOString() : null,
  };
}

/** DELETE /api/v1/users/{userId}/activities and GET /api/v1/erasures/{id} (admin scope). */
export function erasuresRouter(erase: EraseUserUseCase): Router {
  const router = Router();
  router.delete('/api/v1/users/:userId/activities', async (req, res) => {
    parseQuery(NO_QUERY, [], req.query);
    const userId = UserIdSchema.safeParse(req.params['userId']);
    if (!userId.success) throw invalid(toFieldErrors(userId.error.issues.map((i) => ({ ...i, path: ['userId'] }))));
    const record = await erase.start(userId.data);
    auditTarget(res, { kind: 'user', id: record.userHash }, { erasureId: record.erasureId });
    res.status(202).location(`/api/v1/erasures/${record.erasureId}`).json(toDto(record));
  });
  router.get('/api/v1/erasures/:erasureId', async (req, res) => {
    parseQuery(NO_QUERY, [], req.query);
    const id = ERASURE_ID.safeParse(req.params['erasureId']);
    if (!id.success) throw invalid([{ path: 'erasureId', message: 'must be an erasure id like er_…' }]);
    res.json(toDto(await erase.get(id.data)));
  });
  return router;
}

export const ERASURE_PARAMS = { none: NO_QUERY, erasureId: ERASURE_ID } as const;
