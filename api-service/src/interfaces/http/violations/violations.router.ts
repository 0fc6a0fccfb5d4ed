import { ActivityTypeSchema } from '@uap/shared/contract';
import { Router } from 'express';
import { z } from 'zod';
import type { ListViolationsUseCase, ViolationList } from '../../../application/list-violations.use-case';
import { VIOLATION_KINDS, VIOLATION_LIMITS, type ViolationListQuery } from '../../../domain/violation-query';
import type { RouteSpec } from '../method-guard.middleware';
import { ActivityDtoSchema, CursorPageSchema, listShape, toActivityDto } from '../queries/activity-queries.router';
import { integerParam, parseQuery, stringParam } from '../query-params';

// Under the registry's prefix, next to /api/v1/activity-types/{name}: no type can be named `violations` (names are
// upper snake case), and this feature is mounted before the registry's, whose `:name` route would take it.
export const VIOLATIONS_PATH = '/api/v1/activity-types/violations';
export const VIOLATION_ROUTES: RouteSpec[] = [{ path: VIOLATIONS_PATH, methods: ['GET'] }];

const shape = {
  type: stringParam('type', ActivityTypeSchema).meta({
    description: 'Only violations of this activity type (one name; upper snake case, planned or not).',
  }),
  kind: stringParam('kind', z.enum(VIOLATION_KINDS)).meta({
    description:
      'unplanned: the type was not planned and the unplanned policy let it in (the event says `planned: false`); ' +
      'flagged: the metadata broke its type’s schema and the policy accepted and flagged it (`violations`). Both when absent.',
  }),
  limit: integerParam('limit', 1, VIOLATION_LIMITS.maxLimit).meta({
    description: `Page size, 1-${VIOLATION_LIMITS.maxLimit} (default ${VIOLATION_LIMITS.defaultLimit}).`,
  }),
  cursor: listShape.cursor.meta({ description: 'page.nextCursor of the previous page; send the same type and kind.' }),
};
const PARAM_NAMES = Object.keys(shape) as Array<keyof typeof shape>;

/** The query-string schema, for the OpenAPI document. */
export const VIOLATION_PARAMS = z.strictObject({
  type: shape.type.optional(),
  kind: shape.kind.optional(),
  limit: shape.limit.optional(),
  cursor: shape.cursor.optional(),
});
type ViolationParams = z.infer<typeof VIOLATION_PARAMS>;

/** A page of stored violations: each one in the activity list's shape, which shows `planned` and `violations`. */
export const ViolationListDtoSchema = z
  .strictObject({ data: z.array(ActivityDtoSchema), page: CursorPageSchema })
  .meta({ id: 'ActivityViolationList' });

function toQuery(params: ViolationParams): ViolationListQuery {
  return {
    filters: {
      ...(params.type === undefined ? {} : { type: params.type }),
      ...(params.kind === undefined ? {} : { kind: params.kind }),
    },
    limit: params.limit ?? VIOLATION_LIMITS.defaultLimit,
    ...(params.cursor === undefined ? {} : { cursor: params.cursor }),
  };
}

function toListDto(list: ViolationList): z.input<typeof ViolationListDtoSchema> {
  return { data: list.data.map(toActivityDto), page: list.page };
}

export function violationsRouter(violations: ListViolationsUseCase): Router {
  const router = Router();
  router.get(VIOLATIONS_PATH, async (req, res) => {
    const params = parseQuery(VIOLATION_PARAMS, PARAM_NAMES, req.query);
    res.json(toListDto(await violations.list(toQuery(params))));
  });
  return router;
}
