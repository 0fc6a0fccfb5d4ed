import {
  AnonymousIdSchema,
  CONTRACT_RULES,
  IsoDateTimeSchema,
  isStorableString,
  SEGMENT_CALLS,
  SEGMENT_MESSAGE_MAX_BYTES,
  storableObjectSchema,
  UNSTORABLE_STRING_MESSAGE,
  UserIdSchema,
  type SegmentCall,
} from '@uap/shared/contract';
import { z } from 'zod';

/**
 * Segment's own limits (its HTTP Tracking API): a call or one message of a batch at most 32 KB, a batch body at
 * most 500 KB and 2,500 messages. Past any of them the answer is 413, as SDKs split their batches to fit them.
 */
export const SEGMENT_LIMITS = {
  messageBytes: SEGMENT_MESSAGE_MAX_BYTES,
  batchBytes: 500 * 1024,
  batchMessages: 2_500,
} as const;

// A string any store can hold; the document cannot state that, so a refusal names the rule.
const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine(isStorableString, { message: UNSTORABLE_STRING_MESSAGE, params: { rule: CONTRACT_RULES.metadataContent } });
const time = () => IsoDateTimeSchema.max(64);

/** An object the store can hold as sent: properties, traits, context, integrations, and the fields we do not name. */
export const SegmentObjectSchema = storableObjectSchema(SEGMENT_MESSAGE_MAX_BYTES).meta({
  type: 'object',
  additionalProperties: true,
  description:
    `A JSON object kept as sent, at most ${SEGMENT_MESSAGE_MAX_BYTES} bytes serialized and 5 levels deep; keys must ` +
    'not start with "$" or contain "."; no key or string may contain NUL or an unpaired surrogate; no array may ' +
    'hold an array directly (what every supported store can hold).',
});

const common = {
  messageId: text(256)
    .optional()
    .describe('The deduplication key: a retry with the same messageId is stored once. Generated when absent.'),
  userId: UserIdSchema.optional().describe('The known user. Either userId or anonymousId is required.'),
  anonymousId: AnonymousIdSchema.optional().describe('The visitor before login (a browser or device id).'),
  timestamp: time().optional().describe('When it happened (ISO-8601 with an offset), or a time the sender set.'),
  originalTimestamp: time().optional().describe('When it happened by the device’s clock (ISO-8601 with an offset).'),
  sentAt: time()
    .optional()
    .describe('When the device sent it, by its clock: the stored time is corrected for that clock’s skew.'),
  context: SegmentObjectSchema.optional().describe('Kept as sent (library, page, device, traits, ip, …).'),
  integrations: SegmentObjectSchema.optional().describe('Kept as sent.'),
  writeKey: z
    .string()
    .max(256)
    .optional()
    .describe('The write key (an API key with the ingest scope) when it is not sent in a header. Never stored.'),
};

const properties = SegmentObjectSchema.optional().describe(
  'The activity’s metadata, checked against its type’s metadataSchema (GET /api/v1/activity-types).',
);
const traits = properties;

const CALL_SHAPES = {
  track: {
    ...common,
    event: text(256).describe(
      'The event name. A name an activity type lists in its eventNames maps to that type; any other becomes the ' +
        'type of the same name in UPPER_SNAKE ("Order Completed" → ORDER_COMPLETED).',
    ),
    properties,
  },
  page: { ...common, name: text(256).optional(), category: text(256).optional(), properties },
  screen: { ...common, name: text(256).optional(), category: text(256).optional(), properties },
  identify: { ...common, traits },
  group: { ...common, groupId: text(256).describe('The group, company or account joined.'), traits },
  alias: {
    ...common,
    userId: UserIdSchema.describe('The user the previous id belongs to.'),
    previousId: AnonymousIdSchema.describe('The id being linked (an anonymousId); stored as the event’s anonymousId.'),
  },
} as const satisfies Record<SegmentCall, z.ZodRawShape>;

/** The top-level fields each call names; any other a message carries is kept in `segment.extras`. */
export const KNOWN_FIELDS = Object.fromEntries(
  SEGMENT_CALLS.map((call) => [call, new Set(['type', ...Object.keys(CALL_SHAPES[call])])]),
) as unknown as Record<SegmentCall, ReadonlySet<string>>;

/** Either id: an event nobody did cannot be read back, erased or joined to a user. */
function requireActor(message: { userId?: unknown; anonymousId?: unknown }, ctx: z.RefinementCtx) {
  if (message.userId !== undefined || message.anonymousId !== undefined) return;
  ctx.addIssue({
    code: 'custom',
    path: ['userId'],
    message: 'either userId or anonymousId is required',
    params: { rule: CONTRACT_RULES.actor },
  });
}
// The same requirement, as the OpenAPI document states it (a refinement has no JSON Schema of its own).
const ACTOR_REQUIRED = { anyOf: [{ required: ['userId'] }, { required: ['anonymousId'] }] };

/**
 * One message of a call, `type` optional (the path names the call) or required (a batch item). Loose: fields the
 * spec does not name are kept, not refused.
 */
function messageSchema<C extends SegmentCall>(call: C, typeRequired: boolean) {
  const type = z.literal(call);
  const shape = { type: typeRequired ? type : type.optional(), ...CALL_SHAPES[call] };
  const schema = z.looseObject(shape);
  const id = `Segment${call[0]!.toUpperCase()}${call.slice(1)}${typeRequired ? 'Item' : ''}`;
  // alias names its user in the shape; the others need one of the two ids.
  return call === 'alias' ? schema.meta({ id }) : schema.superRefine(requireActor).meta({ id, ...ACTOR_REQUIRED });
}

/** The body of `POST /v1/{call}`. */
export const SEGMENT_CALL_SCHEMAS = {
  track: messageSchema('track', false),
  page: messageSchema('page', false),
  screen: messageSchema('screen', false),
  identify: messageSchema('identify', false),
  group: messageSchema('group', false),
  alias: messageSchema('alias', false),
};

/** A message in a batch: each carries its `type`. */
export const SEGMENT_BATCH_ITEM_SCHEMAS = {
  track: messageSchema('track', true),
  page: messageSchema('page', true),
  screen: messageSchema('screen', true),
  identify: messageSchema('identify', true),
  group: messageSchema('group', true),
  alias: messageSchema('alias', true),
};

export type SegmentMessage = z.output<(typeof SEGMENT_CALL_SCHEMAS)[SegmentCall]> & Record<string, unknown>;

const batchShape = {
  context: SegmentObjectSchema.optional().describe(
    'Merged under every message’s own context (the message’s values win, key by key).',
  ),
  sentAt: time().optional().describe('When the batch was sent, for the messages that carry no sentAt of their own.'),
  writeKey: common.writeKey,
};

/**
 * What a batch body is checked for before its messages are: each message is then checked alone, so one refused
 * message does not refuse the others. Fields the spec does not name at this level (RudderStack's `timestamp`) are
 * ignored.
 */
export const SegmentBatchEnvelopeSchema = z.looseObject({
  batch: z
    .array(z.unknown())
    .min(1, 'must contain at least 1 message')
    .max(SEGMENT_LIMITS.batchMessages, `must contain at most ${SEGMENT_LIMITS.batchMessages} messages`),
  ...batchShape,
});

/** The batch body as documented: the envelope with its messages, one variant per call chosen by `type`. */
export const SegmentBatchSchema = z
  .looseObject({
    batch: z
      .array(
        z.discriminatedUnion('type', [
          SEGMENT_BATCH_ITEM_SCHEMAS.track,
          SEGMENT_BATCH_ITEM_SCHEMAS.page,
          SEGMENT_BATCH_ITEM_SCHEMAS.screen,
          SEGMENT_BATCH_ITEM_SCHEMAS.identify,
          SEGMENT_BATCH_ITEM_SCHEMAS.group,
          SEGMENT_BATCH_ITEM_SCHEMAS.alias,
        ]),
      )
      .min(1)
      .max(SEGMENT_LIMITS.batchMessages),
    ...batchShape,
  })
  .meta({ id: 'SegmentBatch' });
