// The JSON this page reads: the api's DTOs as its OpenAPI document declares them, generated into api.schema.d.ts
// by `npm run openapi:types` (never edit that file; `npm run lint` fails when it is stale). Only names live here.
import type { components, operations } from './api.schema';

type Schemas = components['schemas'];

export type WhoAmI = Schemas['WhoAmI'];
export type Scope = WhoAmI['scopes'][number];
export type Readiness = Schemas['Readiness'];
/** A stored activity as the list shows it; the stream sends the same, without persistedAt. */
export type Activity = Schemas['Activity'];
/** One activity by eventId, with its receipt. */
export type ActivityDetail = Schemas['ActivityDetail'];
export type ActivityPage = Schemas['ActivityList'];
export type ActivityStats = Schemas['ActivityStats'];
export type Bucket = ActivityStats['bucket'];
export type Freshness = Schemas['Freshness'];
export type PartitionFreshness = Freshness['partitions'][number];
export type ReceiptStatus = Schemas['ReceiptStatus'];
export type StreamTicket = Schemas['StreamTicket'];
export type DeadLetterStats = Schemas['DeadLetterStats'];
export type DeadLetterPage = Schemas['DeadLetterList'];
export type ReplayJob = Schemas['ReplayJob'];
export type ReplayRequest = Schemas['ReplayRequest'];
/** The tracking plan: every type's current version and the policy for what is not planned. */
export type ActivityTypeList = Schemas['ActivityTypeList'];
export type ActivityTypeVersion = Schemas['ActivityTypeVersion'];
export type ActivityTypeStatus = ActivityTypeVersion['status'];
/** One type with every version, oldest first. */
export type ActivityTypeDetail = Schemas['ActivityTypeDetail'];
export type UnplannedPolicy = Schemas['UnplannedPolicy'];
/** Stored events the plan let in unplanned or flagged, in the activity list's shape. */
export type ViolationPage = Schemas['ActivityViolationList'];

/** Distinct users per calendar bucket (UTC; weeks from Monday), with the range's total and stickiness. */
export type ActiveUsers = Schemas['ActiveUsers'];
export type InsightBucket = ActiveUsers['bucket'];
/** The most frequent values of a field, with their counts and share of all counted. */
export type TopValues = Schemas['TopValues'];
/** The users reaching each step, in order, within the window. */
export type Funnel = Schemas['Funnel'];

/** A key as GET /api/v1/keys lists it: never its hash, never its secret; prefix null for an API_KEYS entry. */
export type KeyView = Schemas['ApiKey'];
export type KeyList = Schemas['ApiKeyList'];
export type KeyStatusFilter = NonNullable<NonNullable<operations['listKeys']['parameters']['query']>['status']>;
/** The only answers that hold a key's secret. */
export type CreatedKey = Schemas['ApiKeyCreated'];
export type RotatedKey = Schemas['ApiKeyRotated'];
export type RevokedKey = Schemas['ApiKeyRevoked'];
/** A source with the number of its keys valid now. */
export type SourceView = Schemas['Source'];
export type SourceList = Schemas['SourceList'];
export type ChangedSource = Schemas['SourceWritten'];
