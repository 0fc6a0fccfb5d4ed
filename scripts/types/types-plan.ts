import { ACTIVITY_TYPE_STATUSES, EventNamesSchema, RankableFieldsSchema } from '@uap/shared/activity-types';
import { ActivityTypeSchema } from '@uap/shared/contract';
import { z } from 'zod';
import { compact } from '../cli/cli-args';
import type { PlannedType } from './types-client';

const PlannedTypeSchema = z.strictObject({
  name: ActivityTypeSchema,
  description: z.string().max(1024).optional(),
  metadataSchema: z.record(z.string(), z.unknown(), 'must be a JSON Schema object'),
  eventNames: EventNamesSchema.optional(),
  rankableFields: RankableFieldsSchema.optional(),
  status: z.enum(ACTIVITY_TYPE_STATUSES).optional(),
  // What the API answers besides the plan: accepted so that `list --json` or `show --json` output of one
  // deployment can be applied to another, and dropped (the registry sets them).
  version: z.unknown().optional(),
  createdAt: z.unknown().optional(),
  createdBy: z.unknown().optional(),
  versions: z.unknown().optional(),
  registryPosition: z.unknown().optional(),
});

const PlanSchema = z.union([
  z.array(z.unknown()),
  z.object({ types: z.array(z.unknown()) }).loose(),
  z.object({ name: z.unknown() }).loose(),
]);

/** How many problems of a plan file are listed before `… and N more`. */
const MAX_LISTED = 20;

/**
 * The types a tracking plan file holds, in file order: one type, an array of them, or a `list --json`
 * document (its types; the policy is not part of a plan). Every problem is reported before anything is
 * applied, so that a typo in the tenth type does not leave nine applied.
 */
export function parsePlan(text: string): { types: PlannedType[] } | { errors: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { errors: [`not JSON: ${(err as Error).message}`] };
  }
  const plan = PlanSchema.safeParse(json);
  if (!plan.success) {
    return { errors: ['must hold a type {name, metadataSchema, …}, an array of them, or {"types": […]}'] };
  }
  const [items, prefix] = Array.isArray(plan.data)
    ? [plan.data, '']
    : 'types' in plan.data && Array.isArray(plan.data.types)
      ? [plan.data.types, 'types']
      : [[plan.data], undefined];
  if (items.length === 0) return { errors: ['holds no types'] };

  const errors: string[] = [];
  const types: PlannedType[] = [];
  const seen = new Map<string, string>();
  items.forEach((item, index) => {
    const where = prefix === undefined ? '' : `${prefix}[${index}]`;
    const parsed = PlannedTypeSchema.safeParse(item);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const path = [where, ...issue.path.map(String)].filter(Boolean).join('.');
        const hint =
          issue.code === 'unrecognized_keys'
            ? '; a type has name, description, metadataSchema, eventNames, rankableFields, status'
            : '';
        errors.push(`${path || '(type)'}: ${issue.message}${hint}`);
      }
      return;
    }
    const { name, description, metadataSchema, eventNames, rankableFields, status } = parsed.data;
    const first = seen.get(name);
    if (first !== undefined) errors.push(`${where}: ${name} is planned twice (also at ${first})`);
    seen.set(name, where);
    types.push(compact({ name, description, metadataSchema, eventNames, rankableFields, status }));
  });
  if (errors.length > MAX_LISTED) {
    return { errors: [...errors.slice(0, MAX_LISTED), `… and ${errors.length - MAX_LISTED} more`] };
  }
  return errors.length > 0 ? { errors } : { types };
}
