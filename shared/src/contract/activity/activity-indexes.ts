import { IDENTITY_LINK_FIELD, SEGMENT_CALL_TYPES, type ActivityEvent } from './activity.types';

/**
 * The indexes of the `activities` collection. The worker creates them; the query API's shapes are
 * proven (by a unit test) to be served by one of them. Declared once so the two cannot drift.
 */
export const ACTIVITIES_COLLECTION = 'activities';

export interface IndexSpec {
  readonly name: string;
  readonly key: Readonly<Record<string, 1 | -1>>;
  readonly unique?: boolean;
  /** A partial index: only the documents matching it are indexed (MongoDB's `partialFilterExpression`). */
  readonly partialFilterExpression?: Readonly<Record<string, unknown>>;
}

export const ACTIVITY_INDEXES: readonly IndexSpec[] = [
  { name: 'eventId_unique', key: { eventId: 1 }, unique: true },
  { name: 'userId_occurredAt_eventId', key: { userId: 1, occurredAt: -1, eventId: -1 } },
  { name: 'type_occurredAt_eventId', key: { type: 1, occurredAt: -1, eventId: -1 } },
  { name: 'occurredAt_eventId', key: { occurredAt: -1, eventId: -1 } },
];

/**
 * Why a stored event is listed as a violation (GET /api/v1/activity-types/violations): `unplanned` when its type
 * was not planned and the policy let it in (`planned: false`), `metadata` when its metadata broke its type's
 * schema and the policy accepted and flagged it (`violations`). The worker writes it as FLAGGED_FIELD, and only
 * on such events, so that one marker, absent from every other document, is all a partial index has to test.
 */
export const FLAG_KINDS = ['unplanned', 'metadata'] as const;
export type FlagKind = (typeof FLAG_KINDS)[number];
export const FLAGGED_FIELD = 'flagged';

/** The flag an event is stored with, if any. An unplanned type has no schema, so it never has both. */
export function flagOf(event: Pick<ActivityEvent, 'planned' | 'violations'>): FlagKind | undefined {
  if (event.planned === false) return 'unplanned';
  if (event.violations !== undefined && event.violations.length > 0) return 'metadata';
  return undefined;
}

/**
 * The partial indexes of the violations listing, newest first, by flag (and by type, then flag). They hold the
 * flagged documents alone, so they cost nothing on the inserts of planned events, and the listing walks only
 * flagged rows however many events are stored. Kept apart from ACTIVITY_INDEXES because FerretDB v1 refuses
 * `partialFilterExpression` (NotImplemented): the worker creates these on MongoDB only, and says so on FerretDB,
 * where the api serves the listing from partial PostgreSQL indexes of its own (ferretdb-layout.ts).
 */
export const FLAGGED_ACTIVITY_INDEXES: readonly IndexSpec[] = [
  {
    name: 'flagged_occurredAt_eventId',
    key: { [FLAGGED_FIELD]: 1, occurredAt: -1, eventId: -1 },
    partialFilterExpression: { [FLAGGED_FIELD]: { $exists: true } },
  },
  {
    name: 'type_flagged_occurredAt_eventId',
    key: { type: 1, [FLAGGED_FIELD]: 1, occurredAt: -1, eventId: -1 },
    partialFilterExpression: { [FLAGGED_FIELD]: { $exists: true } },
  },
];

/**
 * The partial indexes of identities (DESIGN: a user's history includes the events of the anonymous ids it linked
 * first, and its profile merges its IDENTIFY events). Partial, so an event sent through the REST dialect with a
 * userId alone is in none of them and its insert pays nothing for them:
 * - an anonymous id's events, newest first (and the erasure of the anonymous ids a user linked);
 * - a user's links (IDENTITY_LINK_FIELD, on IDENTIFY and ALIAS events with both ids only), by anonymous id;
 * - an anonymous id's links in link order, the first of which says whose it is;
 * - a user's IDENTIFY events, newest first, for the profile's traits.
 * MongoDB only, like FLAGGED_ACTIVITY_INDEXES and for the same reason; on FerretDB the api's partial PostgreSQL
 * indexes serve these shapes (ferretdb-layout.ts).
 */
export const IDENTITY_ACTIVITY_INDEXES: readonly IndexSpec[] = [
  {
    name: 'anonymousId_occurredAt_eventId',
    key: { anonymousId: 1, occurredAt: -1, eventId: -1 },
    partialFilterExpression: { anonymousId: { $exists: true } },
  },
  {
    name: 'userId_identityLink',
    key: { userId: 1, [IDENTITY_LINK_FIELD]: 1 },
    partialFilterExpression: { [IDENTITY_LINK_FIELD]: { $exists: true } },
  },
  {
    name: 'identityLink_occurredAt_eventId',
    key: { [IDENTITY_LINK_FIELD]: 1, occurredAt: 1, eventId: 1 },
    partialFilterExpression: { [IDENTITY_LINK_FIELD]: { $exists: true } },
  },
  {
    // `type` in the key (always IDENTIFY here) makes the key unlike userId_occurredAt_eventId's, so no MongoDB
    // version is asked to hold two indexes with one key pattern (which older ones refuse).
    name: 'identify_userId_occurredAt_eventId',
    key: { userId: 1, type: 1, occurredAt: -1, eventId: -1 },
    partialFilterExpression: { type: SEGMENT_CALL_TYPES.identify },
  },
];

/**
 * The list, export and stats filtered by source (`?sourceId=`), newest first. Partial, so the events of keys bound
 * to no source (every event of a deployment that uses none) are not in it and their inserts pay nothing for it.
 * MongoDB only, like FLAGGED_ACTIVITY_INDEXES and for the same reason; on FerretDB the api's uap_source_idx serves
 * it (ferretdb-layout.ts).
 */
export const SOURCE_ACTIVITY_INDEXES: readonly IndexSpec[] = [
  {
    name: 'sourceId_occurredAt_eventId',
    key: { sourceId: 1, occurredAt: -1, eventId: -1 },
    partialFilterExpression: { sourceId: { $exists: true } },
  },
];

/** Every partial index of the activities collection: what the worker creates on MongoDB only. */
export const PARTIAL_ACTIVITY_INDEXES: readonly IndexSpec[] = [
  ...FLAGGED_ACTIVITY_INDEXES,
  ...IDENTITY_ACTIVITY_INDEXES,
  ...SOURCE_ACTIVITY_INDEXES,
];
