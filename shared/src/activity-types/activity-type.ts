import { ACTIVITY_TYPE_NAME_PATTERN } from '../contract';

export { ACTIVITY_TYPE_NAME_PATTERN };

/** `deprecated` is accepted but flagged; `retired` is refused at ingest, and its stored events stay readable. */
export const ACTIVITY_TYPE_STATUSES = ['active', 'deprecated', 'retired'] as const;
export type ActivityTypeStatus = (typeof ACTIVITY_TYPE_STATUSES)[number];

/** A JSON Schema (2020-12) document, as parsed JSON. */
export type JsonSchema = Record<string, unknown>;

/** One immutable version of an activity type. Every change (new schema, new status) makes a new version. */
export interface ActivityTypeVersion {
  name: string;
  /** 1, 2, 3…: grows by one with each change, with no gaps. */
  version: number;
  description: string;
  /** Validates the event's `metadata` object (an absent metadata is validated as `{}`). */
  metadataSchema: JsonSchema;
  /**
   * Event names other dialects use for this type: a Segment `track` call whose `event` is one of them maps here
   * (`Order Completed` → PURCHASE). No two types that are not retired may claim the same name.
   */
  eventNames?: string[] | undefined;
  /**
   * Metadata paths whose values GET /api/v1/insights/top may rank for this type (`metadata.query`): declared, so
   * that a request cannot make the store group by an arbitrary JSON path. Changing them is never breaking.
   */
  rankableFields?: string[] | undefined;
  status: ActivityTypeStatus;
  /** ISO-8601. */
  createdAt: string;
  /** The label of the API key that made it; `built-in` for the initial content. */
  createdBy: string;
}

/** How many event names a type may claim, and how long each may be (Segment's own event names are short). */
export const EVENT_NAME_LIMITS = { maxNames: 50, maxLength: 128 } as const;

/**
 * A rankable field: `metadata.` then 1-4 identifier segments (no array index, no `$`, nothing a store path
 * language would read as an operator), at most 10 per type.
 */
export const RANKABLE_FIELD_LIMITS = { maxFields: 10, maxSegments: 4, maxSegmentLength: 64 } as const;
export const RANKABLE_FIELD_PATTERN = /^metadata(?:\.[A-Za-z_][A-Za-z0-9_]{0,63}){1,4}$/;

/** Who may send what is not planned, and what becomes of it. */
export const UNKNOWN_TYPE_POLICIES = ['reject', 'dead-letter', 'accept'] as const;
export const INVALID_METADATA_POLICIES = ['reject', 'accept-and-flag'] as const;
export type UnknownTypePolicy = (typeof UNKNOWN_TYPE_POLICIES)[number];
export type InvalidMetadataPolicy = (typeof INVALID_METADATA_POLICIES)[number];

export interface UnplannedPolicy {
  unknownTypes: UnknownTypePolicy;
  invalidMetadata: InvalidMetadataPolicy;
}

export const DEFAULT_UNPLANNED_POLICY: UnplannedPolicy = { unknownTypes: 'reject', invalidMetadata: 'reject' };

export function isActivityTypeName(name: string): boolean {
  return ACTIVITY_TYPE_NAME_PATTERN.test(name);
}
