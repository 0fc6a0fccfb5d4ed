import { z } from 'zod';
import { isStorableString, UNSTORABLE_STRING_MESSAGE } from './storable-text';
import {
  ACTIVITY_TYPE_NAME_PATTERN,
  CURRENT_SCHEMA_VERSION,
  SEGMENT_CALLS,
  SOURCE_ID_PATTERN,
  type ActivityEvent,
  type ActivityInput,
  type RequestContext,
  type SegmentFields,
} from './activity.types';

export const ACTIVITY_LIMITS = {
  userIdMaxLength: 128,
  sessionIdMaxLength: 128,
  searchQueryMaxLength: 512,
  metadataMaxBytes: 8 * 1024,
  metadataMaxDepth: 5,
  defaultMaxFutureSkewMs: 5 * 60 * 1000,
} as const;

const ID_PATTERN = /^[A-Za-z0-9_.:@-]+$/;
// Keys that would become Mongo operators or dotted paths, or that pollute prototypes when merged.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export const UserIdSchema = z
  .string()
  .min(1)
  .max(ACTIVITY_LIMITS.userIdMaxLength)
  .regex(ID_PATTERN, 'must contain only letters, digits and _ . : @ -');

/** A visitor's id from before login (analytics.js keeps one per browser): the same shape as a userId. */
export const AnonymousIdSchema = z
  .string()
  .min(1)
  .max(ACTIVITY_LIMITS.userIdMaxLength)
  .regex(ID_PATTERN, 'must contain only letters, digits and _ . : @ -');

export const SessionIdSchema = z
  .string()
  .min(1)
  .max(ACTIVITY_LIMITS.sessionIdMaxLength)
  .regex(ID_PATTERN, 'must contain only letters, digits and _ . : @ -');

/** Any well-formed name: whether it is planned is the registry's call, made after this schema passed. */
export const ActivityTypeSchema = z
  .string()
  .regex(
    ACTIVITY_TYPE_NAME_PATTERN,
    'must be upper snake case (A-Z, 0-9, _), start with a letter, at most 64 characters',
  );
export const EventIdSchema = z.uuid();
/** A source's id: the api stamps the sending key's source on the event; clients never send it. */
export const SourceIdSchema = z
  .string()
  .regex(SOURCE_ID_PATTERN, 'must be lower kebab case (a-z, 0-9, -), start with a letter, at most 40 characters');
/** ISO-8601 with an explicit offset (`Z` or `+02:00`): a local time without one is ambiguous. */
export const IsoDateTimeSchema = z.iso.datetime({ offset: true });

type Issue = { path: (string | number)[]; message: string };

// Refused at the edge, so an accepted event is always one every supported store can write byte for byte.
const storableString = () => z.string().refine(isStorableString, UNSTORABLE_STRING_MESSAGE);

// FerretDB v1 refuses a whole document holding an array directly inside an array; refused here, for every
// store, so an event one deployment accepts is one any supported store can hold.
export const NESTED_ARRAY_MESSAGE =
  'nested arrays are not supported: FerretDB, one of the supported stores, cannot store an array inside an ' +
  'array; wrap the inner array in an object';

/** Walks metadata once, reporting forbidden keys, excess depth, nested arrays and non-JSON values. */
function inspectMetadata(
  value: unknown,
  path: (string | number)[],
  depth: number,
  issues: Issue[],
  inArray = false,
): void {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) {
    if (typeof value === 'number' && !Number.isFinite(value)) issues.push({ path, message: 'must be a finite number' });
    if (typeof value === 'string' && !isStorableString(value))
      issues.push({ path, message: UNSTORABLE_STRING_MESSAGE });
    return;
  }
  if (typeof value !== 'object') {
    issues.push({ path, message: 'must be a JSON value' });
    return;
  }
  if (depth > ACTIVITY_LIMITS.metadataMaxDepth) {
    issues.push({ path, message: `nesting deeper than ${ACTIVITY_LIMITS.metadataMaxDepth} levels` });
    return;
  }
  if (Array.isArray(value)) {
    if (inArray) issues.push({ path, message: NESTED_ARRAY_MESSAGE });
    value.forEach((item, i) => inspectMetadata(item, [...path, i], depth + 1, issues, true));
    return;
  }
  for (const key of Object.keys(value)) {
    if (key.startsWith('$') || key.includes('.') || FORBIDDEN_KEYS.has(key) || !isStorableString(key)) {
      issues.push({
        path: [...path, key],
        message: 'key must not start with "$", contain "." or NUL or an unpaired surrogate, or be a prototype key',
      });
      continue;
    }
    inspectMetadata((value as Record<string, unknown>)[key], [...path, key], depth + 1, issues);
  }
}

/**
 * Names of the rules a JSON Schema cannot state, carried in an issue's params so the API can tell its
 * clients (and its OpenAPI document) which rule a rejected request broke.
 */
export const CONTRACT_RULES = {
  metadataContent: 'metadata-content',
  futureOccurredAt: 'future-occurred-at',
  actor: 'user-or-anonymous-id',
} as const;
const METADATA_RULE = { rule: CONTRACT_RULES.metadataContent };

/**
 * A JSON object every supported store can hold: no operator or dotted keys, at most `maxBytes` serialized and
 * ACTIVITY_LIMITS.metadataMaxDepth levels deep. z.custom, not z.record: a record copies its input and would
 * silently drop an own `__proto__` key (as JSON.parse produces) instead of letting us reject it.
 */
export function storableObjectSchema(maxBytes: number) {
  return z
    .custom<Record<string, unknown>>(
      (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
      'must be an object',
    )
    .superRefine((object, ctx) => {
      const issues: Issue[] = [];
      inspectMetadata(object, [], 1, issues);
      for (const issue of issues) ctx.addIssue({ code: 'custom', ...issue, params: METADATA_RULE });
      if (issues.length === 0 && Buffer.byteLength(JSON.stringify(object)) > maxBytes) {
        ctx.addIssue({
          code: 'custom',
          message: `must be at most ${maxBytes} bytes serialized`,
          params: METADATA_RULE,
        });
      }
    });
}

/**
 * The Segment-compatible surface takes messages of up to 32 KB (Segment's own limit), so its properties may outgrow
 * the native metadata limit; an event on the topic holds at most this much in any one of its objects.
 */
export const SEGMENT_MESSAGE_MAX_BYTES = 32 * 1024;

export const MetadataSchema = storableObjectSchema(ACTIVITY_LIMITS.metadataMaxBytes)
  // z.custom has no JSON Schema of its own; this is what OpenAPI generators publish for it.
  .meta({
    id: 'Metadata',
    type: 'object',
    additionalProperties: true,
    description:
      `Free-form JSON object, at most ${ACTIVITY_LIMITS.metadataMaxBytes} bytes serialized and ` +
      `${ACTIVITY_LIMITS.metadataMaxDepth} levels deep; keys must not start with "$" or contain "."; no key or string ` +
      'may contain NUL or an unpaired surrogate; no array may hold an array directly.',
  });

const activityInputShape = {
  eventId: EventIdSchema.optional().describe('Client idempotency key; generated by the server when absent.'),
  userId: UserIdSchema.optional().describe('The known user. Either userId or anonymousId is required.'),
  anonymousId: AnonymousIdSchema.optional().describe(
    'The visitor before login (a browser or device id). An IDENTIFY with both ids links them.',
  ),
  occurredAt: IsoDateTimeSchema.optional().describe('When it happened, with an offset; defaults to the receive time.'),
  sessionId: SessionIdSchema.optional(),
};

/**
 * The fields every activity input has, whatever its type: the api's OpenAPI document builds each planned
 * type's variant on them. It describes; makeActivityInputSchema (then the registry, for metadata) validates.
 */
export const ActivityEnvelopeSchema = z.strictObject(activityInputShape);

export interface ActivityInputOptions {
  maxFutureSkewMs: number;
  now: () => Date;
}

/** What a client sends. The future-skew rule needs a clock, hence the factory. */
export function makeActivityInputSchema(options: ActivityInputOptions) {
  return z
    .strictObject({ ...activityInputShape, type: ActivityTypeSchema, metadata: MetadataSchema.optional() })
    .superRefine((activity, ctx) => {
      requireActor(activity, ctx);
      if (activity.occurredAt === undefined) return;
      const skewMs = Date.parse(activity.occurredAt) - options.now().getTime();
      if (skewMs > options.maxFutureSkewMs) {
        ctx.addIssue({
          code: 'custom',
          path: ['occurredAt'],
          message: `must not be more than ${Math.round(options.maxFutureSkewMs / 1000)}s in the future`,
          params: { rule: CONTRACT_RULES.futureOccurredAt },
        });
      }
    });
}

/** Either userId or anonymousId: an event nobody did cannot be read back, erased or joined to a user. */
function requireActor(actor: { userId?: string | undefined; anonymousId?: string | undefined }, ctx: z.RefinementCtx) {
  if (actor.userId !== undefined || actor.anonymousId !== undefined) return;
  ctx.addIssue({
    code: 'custom',
    path: ['userId'],
    message: 'either userId or anonymousId is required',
    params: { rule: CONTRACT_RULES.actor },
  });
}

export const ActivityInputSchema = makeActivityInputSchema({
  maxFutureSkewMs: ACTIVITY_LIMITS.defaultMaxFutureSkewMs,
  now: () => new Date(),
});

export const RequestContextSchema = z.strictObject({
  ip: storableString().max(64).optional(),
  userAgent: storableString().max(512).optional(),
});

/**
 * What travels on the topic: the validated input plus what the server adds. The worker re-validates
 * with this schema (a producer other than the API may write to the topic) but not the skew rule,
 * which only makes sense at receive time.
 */
const EventObjectSchema = storableObjectSchema(SEGMENT_MESSAGE_MAX_BYTES)
  // As MetadataSchema: z.custom has no JSON Schema of its own.
  .meta({
    id: 'EventObject',
    type: 'object',
    additionalProperties: true,
    description:
      `JSON object as stored, at most ${SEGMENT_MESSAGE_MAX_BYTES} bytes serialized and ` +
      `${ACTIVITY_LIMITS.metadataMaxDepth} levels deep, under the same key and string rules as Metadata.`,
  });
const segmentText = (max: number) => storableString().min(1).max(max);

/** The stored Segment envelope (SegmentFields): what a /v1 message carried beyond the activity, as sent. */
export const SegmentFieldsSchema = z.strictObject({
  call: z.enum(SEGMENT_CALLS),
  messageId: segmentText(256),
  event: segmentText(256).optional(),
  name: segmentText(256).optional(),
  category: segmentText(256).optional(),
  groupId: segmentText(256).optional(),
  previousId: segmentText(256).optional(),
  anonymousId: segmentText(256).optional(),
  timestamp: z.string().max(64).optional(),
  originalTimestamp: z.string().max(64).optional(),
  sentAt: z.string().max(64).optional(),
  context: EventObjectSchema.optional(),
  integrations: EventObjectSchema.optional(),
  extras: EventObjectSchema.optional(),
});

export const ActivityEventSchema = z
  .strictObject({
    schemaVersion: z.literal(CURRENT_SCHEMA_VERSION),
    eventId: EventIdSchema,
    userId: UserIdSchema.optional(),
    anonymousId: AnonymousIdSchema.optional(),
    type: ActivityTypeSchema,
    occurredAt: IsoDateTimeSchema,
    receivedAt: IsoDateTimeSchema,
    sessionId: SessionIdSchema.optional(),
    metadata: EventObjectSchema,
    context: RequestContextSchema,
    typeVersion: z.int().min(1).optional(),
    planned: z.literal(false).optional(),
    violations: z
      .array(z.strictObject({ pointer: z.string().max(1024), message: z.string().max(1024) }))
      .max(100)
      .optional(),
    segment: SegmentFieldsSchema.optional(),
    sourceId: SourceIdSchema.optional(),
  })
  .superRefine(requireActor);

// The schemas and the zod-free types in activity.types.ts must describe the same values: each assignment
// below fails to compile when one side gains, loses or changes a field the other does not.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const contractTypesMatch: [
  Same<z.input<typeof ActivityInputSchema>, ActivityInput>,
  Same<z.infer<typeof ActivityEventSchema>, ActivityEvent>,
  Same<z.infer<typeof RequestContextSchema>, RequestContext>,
  Same<z.infer<typeof SegmentFieldsSchema>, SegmentFields>,
] = [true, true, true, true];
void contractTypesMatch;
