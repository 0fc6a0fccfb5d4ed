import {
  SEGMENT_CALL_TYPES,
  SEGMENT_CALLS,
  type ActivityEvent,
  type SegmentCall,
  type SegmentFields,
} from '@uap/shared/contract';
import { toFieldErrors, type FieldError } from '../domain-error';
import { correctedOccurredAt } from './segment-clock-skew';
import { eventIdOfMessageId } from './segment-event-id';
import { normaliseEventName } from './segment-event-name';
import {
  KNOWN_FIELDS,
  SEGMENT_BATCH_ITEM_SCHEMAS,
  SEGMENT_CALL_SCHEMAS,
  SegmentObjectSchema,
  type SegmentMessage,
} from './segment-message.schema';

/** What a batch says for all of its messages. */
export interface SegmentBatchDefaults {
  /** Merged under each message's own context. */
  context?: Record<string, unknown> | undefined;
  /** For the messages without a sentAt of their own. */
  sentAt?: string | undefined;
}

export interface SegmentMappingContext {
  /** When the request arrived: the skew correction counts back from it. */
  receivedAt: Date;
  /** The registry's explicit mapping of track event names (ActivityTypeVersion.eventNames). */
  typeOfEventName: (eventName: string) => string | undefined;
  /** A message without a messageId gets one (as Segment does): it then cannot be deduplicated, like any such. */
  newMessageId: () => string;
  /** How far ahead of the server clock an event may be, after skew correction (the REST dialect's rule). */
  maxFutureSkewMs: number;
}

/** A message as an activity, before the server stamps it with its receive time, request context and registry marks. */
export interface SegmentActivity {
  event: Omit<ActivityEvent, 'schemaVersion' | 'receivedAt' | 'context'>;
  /** The message's names for the event's type and metadata, so the registry's errors point at what was sent. */
  fields: { type: string; metadata: string };
}

/** Errors are paths within the message (`event`, `properties.query`); the caller prefixes a batch index. */
export type SegmentMapping = { ok: true; activity: SegmentActivity } | { ok: false; errors: FieldError[] };

// toISOString writes a year below 0 with a sign and six digits, which no ISO-8601 field of the contract accepts.
const EARLIEST_TIME = Date.parse('0000-01-01T00:00:00.000Z');

/**
 * Maps one Segment message to an activity (DESIGN "Segment surface"): eventId = UUIDv5(messageId), occurredAt
 * corrected for the device's clock skew, properties (track, page, screen) or traits (identify, group) as metadata,
 * the call's own fields, context, integrations and any field the spec does not name kept in `segment`, so the
 * event read back holds everything that was sent but the write key. `call` is the path's; a batch item (undefined)
 * names its own in `type`. Every error the message has is reported, not just the first.
 */
export function mapSegmentMessage(
  call: SegmentCall | undefined,
  raw: unknown,
  defaults: SegmentBatchDefaults,
  ctx: SegmentMappingContext,
): SegmentMapping {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, errors: [{ path: '(root)', message: 'must be an object' }] };
  }
  const message = raw as Record<string, unknown>;
  const itemCall = call ?? callOf(message['type']);
  if (itemCall === undefined) {
    return { ok: false, errors: [{ path: 'type', message: `must be one of ${SEGMENT_CALLS.join(', ')}` }] };
  }
  const schema = call === undefined ? SEGMENT_BATCH_ITEM_SCHEMAS[itemCall] : SEGMENT_CALL_SCHEMAS[itemCall];
  const parsed = schema.safeParse(message);
  const errors: FieldError[] = parsed.success ? [] : toFieldErrors(parsed.error.issues);

  const extras = extrasOf(message, itemCall);
  const extrasCheck = SegmentObjectSchema.safeParse(extras);
  // The extras are the message's own top-level fields: their paths are already the message's.
  if (!extrasCheck.success) errors.push(...toFieldErrors(extrasCheck.error.issues));

  const eventName = itemCall === 'track' && typeof message['event'] === 'string' ? message['event'] : undefined;
  const type =
    eventName === undefined ? SEGMENT_CALL_TYPES[itemCall as Exclude<SegmentCall, 'track'>] : typeOf(eventName, ctx);
  if (itemCall === 'track' && eventName !== undefined && type === undefined) {
    errors.push({
      path: 'event',
      message:
        `"${eventName.slice(0, 64)}" names no activity type: no type lists it in its eventNames, and in UPPER_SNAKE ` +
        'it is no type name (a letter first, then at most 63 of A-Z, 0-9 and _)',
      rule: 'segment-event-name',
    });
  }
  if (!parsed.success || errors.length > 0 || type === undefined) return { ok: false, errors };

  const data = parsed.data as SegmentMessage;
  const context = mergedContext(defaults.context, data.context);
  const contextCheck = context === undefined ? undefined : SegmentObjectSchema.safeParse(context);
  if (contextCheck !== undefined && !contextCheck.success) {
    errors.push(
      ...toFieldErrors(contextCheck.error.issues).map((e) => ({
        ...e,
        path: e.path === '(root)' ? 'context' : `context.${e.path}`,
      })),
    );
  }
  const sentAt = data.sentAt ?? defaults.sentAt;
  const { occurredAt, from } = correctedOccurredAt(
    { timestamp: data.timestamp, originalTimestamp: data.originalTimestamp, sentAt },
    ctx.receivedAt,
  );
  const timeError = checkTime(occurredAt, ctx, from);
  if (timeError) errors.push(timeError);
  if (errors.length > 0) return { ok: false, errors };

  const messageId = data.messageId ?? ctx.newMessageId();
  const own = ownFields(itemCall, data);
  const segment: SegmentFields = {
    call: itemCall,
    messageId,
    ...own.fields,
    ...defined({ timestamp: data.timestamp, originalTimestamp: data.originalTimestamp, sentAt }),
    ...defined({ context, integrations: data.integrations }),
    ...(Object.keys(extras).length > 0 ? { extras } : {}),
  };
  return {
    ok: true,
    activity: {
      event: {
        eventId: eventIdOfMessageId(messageId),
        ...defined({ userId: own.userId, anonymousId: own.anonymousId }),
        type,
        occurredAt: occurredAt.toISOString(),
        metadata: own.metadata,
        segment,
      },
      fields: { type: itemCall === 'track' ? 'event' : 'type', metadata: own.metadataField },
    },
  };
}

function callOf(type: unknown): SegmentCall | undefined {
  return typeof type === 'string' && (SEGMENT_CALLS as readonly string[]).includes(type)
    ? (type as SegmentCall)
    : undefined;
}

function typeOf(eventName: string, ctx: SegmentMappingContext): string | undefined {
  return ctx.typeOfEventName(eventName) ?? normaliseEventName(eventName);
}

/** The top-level fields the call does not name (an SDK's `_metadata`, `channel`, …), as sent. */
function extrasOf(message: Record<string, unknown>, call: SegmentCall): Record<string, unknown> {
  // fromEntries defines own properties: an own "__proto__" key stays a key (and is refused), never a prototype.
  return Object.fromEntries(Object.entries(message).filter(([key]) => !KNOWN_FIELDS[call].has(key)));
}

function checkTime(occurredAt: Date, ctx: SegmentMappingContext, from: string | undefined): FieldError | undefined {
  const at = occurredAt.getTime();
  const path = from ?? 'sentAt';
  if (!(at >= EARLIEST_TIME)) {
    return {
      path,
      message: 'is before the year 0000 once corrected for the skew sentAt shows',
      rule: 'segment-event-time',
    };
  }
  const aheadMs = at - ctx.receivedAt.getTime();
  if (aheadMs > ctx.maxFutureSkewMs) {
    return {
      path,
      message:
        `is ${Math.round(aheadMs / 1000)} s ahead of the server clock once corrected for the skew sentAt shows ` +
        `(at most ${Math.round(ctx.maxFutureSkewMs / 1000)} s)`,
      rule: 'segment-event-time',
    };
  }
  return undefined;
}

/** The batch's context under the message's: objects merge key by key, anything else the message's wins. */
function mergedContext(
  under: Record<string, unknown> | undefined,
  over: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  if (under === undefined || over === undefined) return over ?? under;
  return mergeUnder(under, over);
}

function mergeUnder(under: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const merged = new Map(Object.entries(under));
  for (const [key, value] of Object.entries(over)) {
    const below = merged.get(key);
    merged.set(key, isPlainObject(below) && isPlainObject(value) ? mergeUnder(below, value) : value);
  }
  return Object.fromEntries(merged);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What each call carries beyond the common fields, and who did it. */
function ownFields(
  call: SegmentCall,
  data: SegmentMessage,
): {
  fields: Partial<SegmentFields>;
  userId: string | undefined;
  anonymousId: string | undefined;
  metadata: Record<string, unknown>;
  metadataField: string;
} {
  const m = data as SegmentMessage & {
    event?: string;
    name?: string;
    category?: string;
    groupId?: string;
    previousId?: string;
    properties?: Record<string, unknown>;
    traits?: Record<string, unknown>;
  };
  const actor = { userId: m.userId, anonymousId: m.anonymousId };
  switch (call) {
    case 'track':
      return { ...actor, fields: { event: m.event }, metadata: m.properties ?? {}, metadataField: 'properties' };
    case 'page':
    case 'screen':
      return {
        ...actor,
        fields: defined({ name: m.name, category: m.category }),
        metadata: m.properties ?? {},
        metadataField: 'properties',
      };
    case 'identify':
      return { ...actor, fields: {}, metadata: m.traits ?? {}, metadataField: 'traits' };
    case 'group':
      return { ...actor, fields: { groupId: m.groupId }, metadata: m.traits ?? {}, metadataField: 'traits' };
    case 'alias':
      // The id being linked is the event's anonymousId, as an identify's would be; the message's own is kept aside.
      return {
        userId: m.userId,
        anonymousId: m.previousId,
        fields: { previousId: m.previousId, ...defined({ anonymousId: m.anonymousId }) },
        metadata: {},
        metadataField: 'properties',
      };
  }
}

/** The object without its undefined members: the contract's optional fields are absent, never undefined. */
function defined<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>;
}
