import { ACTIVITY_LIMITS, BUILT_IN_ACTIVITY_TYPES, type BuiltInActivityType } from '../contract';
import type { ActivityTypeVersion, JsonSchema } from './activity-type';

/** When the registry replaced the compiled-in list; the built-ins' version 1 carries this date. */
const BUILT_IN_SINCE = '2026-12-05T00:00:00.000Z';

// The rules these types had before the registry, stated as JSON Schema: SEARCH requires a query of 1-512
// characters, LOGIN's method and success are typed when present, and every type keeps accepting extra keys.
const SCHEMAS: Partial<Record<BuiltInActivityType, JsonSchema>> = {
  SEARCH: {
    type: 'object',
    required: ['query'],
    properties: { query: { type: 'string', minLength: 1, maxLength: ACTIVITY_LIMITS.searchQueryMaxLength } },
  },
  LOGIN: {
    type: 'object',
    properties: { method: { type: 'string', minLength: 1, maxLength: 64 }, success: { type: 'boolean' } },
  },
};

const DESCRIPTIONS: Record<BuiltInActivityType, string> = {
  LOGIN: 'A user signed in.',
  LOGOUT: 'A user signed out.',
  SIGNUP: 'A user created an account.',
  SEARCH: 'A user searched; `metadata.query` holds what they typed.',
  PAGE_VIEW: 'A user viewed a page or screen.',
  CLICK: 'A user clicked or tapped something.',
  PURCHASE: 'A user bought something.',
  PASSWORD_RESET: 'A user reset their password.',
};

/** Version 1 of every built-in type: what an empty registry holds, and what an upgraded deployment had. */
export const BUILT_IN_TYPE_VERSIONS: readonly ActivityTypeVersion[] = BUILT_IN_ACTIVITY_TYPES.map((name) => ({
  name,
  version: 1,
  description: DESCRIPTIONS[name],
  metadataSchema: SCHEMAS[name] ?? { type: 'object' },
  status: 'active',
  createdAt: BUILT_IN_SINCE,
  createdBy: 'built-in',
}));
