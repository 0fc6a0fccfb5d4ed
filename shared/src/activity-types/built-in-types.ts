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
  PAGE_VIEW: 'A user viewed a page (also a Segment `page` call; `metadata` holds its properties).',
  CLICK: 'A user clicked or tapped something.',
  PURCHASE: 'A user bought something.',
  PASSWORD_RESET: 'A user reset their password.',
  SCREEN: 'A user viewed a screen of a mobile app (a Segment `screen` call; `metadata` holds its properties).',
  IDENTIFY:
    'Who the user is (a Segment `identify` call): `metadata` holds the traits; with an anonymousId, it links that visitor to the user.',
  GROUP: 'The user joined a group, company or account (a Segment `group` call): `metadata` holds the group traits.',
  ALIAS: 'A previous id (`anonymousId`) belongs to this user (a Segment `alias` call).',
};

/**
 * Segment's semantic event names (its e-commerce and B2B specs) for the built-ins they mean: a Segment `track` call
 * with one of these maps to that type instead of the name in UPPER_SNAKE. "Products Searched" carries `query`.
 */
const EVENT_NAMES: Partial<Record<BuiltInActivityType, string[]>> = {
  SIGNUP: ['Signed Up'],
  LOGIN: ['Signed In'],
  LOGOUT: ['Signed Out'],
  SEARCH: ['Products Searched'],
  PURCHASE: ['Order Completed'],
};

/** The metadata fields insights can rank out of the box: what was searched, which pages and screens were seen. */
const RANKABLE_FIELDS: Partial<Record<BuiltInActivityType, string[]>> = {
  SEARCH: ['metadata.query'],
  PAGE_VIEW: ['metadata.path', 'metadata.url'],
  SCREEN: ['metadata.name'],
};

/** Version 1 of every built-in type: what an empty registry holds, and what an upgraded deployment had. */
export const BUILT_IN_TYPE_VERSIONS: readonly ActivityTypeVersion[] = BUILT_IN_ACTIVITY_TYPES.map((name) => ({
  name,
  version: 1,
  description: DESCRIPTIONS[name],
  metadataSchema: SCHEMAS[name] ?? { type: 'object' },
  ...(EVENT_NAMES[name] === undefined ? {} : { eventNames: EVENT_NAMES[name] }),
  ...(RANKABLE_FIELDS[name] === undefined ? {} : { rankableFields: RANKABLE_FIELDS[name] }),
  status: 'active',
  createdAt: BUILT_IN_SINCE,
  createdBy: 'built-in',
}));
