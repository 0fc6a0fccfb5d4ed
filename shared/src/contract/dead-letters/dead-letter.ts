import { AnonymousIdSchema, EventIdSchema, UserIdSchema } from '../activity/activity.schema';
import { ACTIVITY_TYPE_NAME_PATTERN, SOURCE_ID_PATTERN, type ActivityType } from '../activity/activity.types';
import type { IndexSpec } from '../activity/activity-indexes';
import { storableText } from '../activity/storable-text';
import { DEAD_LETTER_HEADERS, HEADERS } from '../messaging/topics';

/**
 * The dead-letter index: one document per message on the dead-letter topic, written by the worker's
 * dead-letter indexer and read (and replayed) by the API. A projection of the topic, keyed by the
 * letter's own partition and offset, so a redelivery never indexes a letter twice.
 */
export const DEAD_LETTERS_COLLECTION = 'dead_letters';

export const DEAD_LETTER_STATUSES = ['dead', 'replayed', 'parked'] as const;
export type DeadLetterStatus = (typeof DEAD_LETTER_STATUSES)[number];

/** Raw payloads up to this size are kept in the index; beyond it the letter points at its DLQ offset. */
export const DEAD_LETTER_PAYLOAD_MAX_BYTES = 64 * 1024;

export const DEFAULT_MAX_REPLAYS = 3;

export interface DeadLetterRecord {
  /** `<dlq partition>-<dlq offset>`: stable, and the same whichever process indexes the letter. */
  letterId: string;
  reason: string;
  error: string;
  dlqTopic: string;
  dlqPartition: number;
  dlqOffset: number;
  sourceTopic?: string;
  sourcePartition?: number;
  sourceOffset?: number;
  /** From the `failed-at` header, else the letter's broker timestamp. */
  failedAt: Date;
  eventId?: string;
  userId?: string;
  /** The event's anonymous id, read like userId: an erasure deletes the letters of the anonymous ids it covers. */
  anonymousId?: string;
  type?: ActivityType;
  /** The source of the key that sent the event, from the `source-id` header (when it is one: SOURCE_ID_PATTERN). */
  sourceId?: string;
  status: DeadLetterStatus;
  /** How many times this event had been replayed when it came back into the DLQ (`replay-count`). */
  replayCount: number;
  key: string | null;
  /** A list, not an object: header names may contain `.` or start with `$`, which the store refuses as keys. */
  headers: Array<{ name: string; value: string }>;
  /** The raw value as UTF-8 text, or base64 when it is not storable text; absent beyond the size limit. */
  payload?: string;
  payloadEncoding?: 'utf8' | 'base64';
  payloadBytes: number;
  indexedAt: Date;
  replayedAt?: Date;
  replayJob?: string;
}

export const DEAD_LETTER_INDEXES: readonly IndexSpec[] = [
  { name: 'letterId_unique', key: { letterId: 1 }, unique: true },
  { name: 'failedAt_letterId', key: { failedAt: -1, letterId: -1 } },
  { name: 'reason_failedAt_letterId', key: { reason: 1, failedAt: -1, letterId: -1 } },
  { name: 'status_failedAt_letterId', key: { status: 1, failedAt: -1, letterId: -1 } },
  { name: 'userId_failedAt_letterId', key: { userId: 1, failedAt: -1, letterId: -1 } },
  // Erasure of the anonymous ids a user linked. Not partial (FerretDB refuses that): letters are few.
  { name: 'anonymousId_failedAt_letterId', key: { anonymousId: 1, failedAt: -1, letterId: -1 } },
  // GET /api/v1/dead-letters?sourceId=: a source's letters, newest first. Not partial, as above.
  { name: 'sourceId_failedAt_letterId', key: { sourceId: 1, failedAt: -1, letterId: -1 } },
  { name: 'dlqPartition_dlqOffset', key: { dlqPartition: 1, dlqOffset: 1 } },
  // Receipts look up the letter of one source message.
  { name: 'source', key: { sourceTopic: 1, sourcePartition: 1, sourceOffset: 1 } },
];

export interface ConsumedLetter {
  topic: string;
  partition: number;
  offset: string;
  /** Broker timestamp, epoch ms as a string (kafkajs). */
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

function headerText(value: ConsumedLetter['headers'][string]): string | undefined {
  if (value === undefined) return undefined;
  const first = Array.isArray(value) ? value[value.length - 1] : value;
  return first === undefined ? undefined : storableText(first.toString());
}

const intOrUndefined = (text: string | undefined): number | undefined => {
  const n = text === undefined ? NaN : Number(text);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
};

/** Reads what it can of the payload: the ids of an event whose JSON parses, whether or not it is valid. */
function identify(text: string | undefined): Pick<DeadLetterRecord, 'eventId' | 'userId' | 'anonymousId' | 'type'> {
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  const { eventId, userId, anonymousId, type } = parsed as Record<string, unknown>;
  return {
    ...(EventIdSchema.safeParse(eventId).success ? { eventId: eventId as string } : {}),
    ...(UserIdSchema.safeParse(userId).success ? { userId: userId as string } : {}),
    ...(AnonymousIdSchema.safeParse(anonymousId).success ? { anonymousId: anonymousId as string } : {}),
    ...(typeof type === 'string' && ACTIVITY_TYPE_NAME_PATTERN.test(type) ? { type: type as ActivityType } : {}),
  };
}

/**
 * Turns a message read from the dead-letter topic into its index document. Letters written by anything
 * (older workers, other tools, a test) are indexed: missing headers become `unknown` or are left out.
 * A letter is often exactly a message the store could not hold, so its text is made storable and a
 * payload that is not storable text is kept as base64.
 */
export function toDeadLetterRecord(letter: ConsumedLetter, maxReplays: number, indexedAt: Date): DeadLetterRecord {
  const header = (name: string) => headerText(letter.headers[name]);
  const value = letter.value;
  const payloadBytes = value?.length ?? 0;
  const kept = value !== null && payloadBytes <= DEAD_LETTER_PAYLOAD_MAX_BYTES ? value : undefined;
  const asText = kept?.toString('utf8');
  // Text only if it round-trips byte for byte and holds nothing the store refuses.
  const isText = asText !== undefined && Buffer.from(asText, 'utf8').equals(kept!) && storableText(asText) === asText;
  const replayCount = intOrUndefined(header(HEADERS.replayCount)) ?? 0;
  const failedAt = new Date(header(HEADERS.failedAt) ?? NaN);
  const sourceTopic = header(HEADERS.sourceTopic);
  const sourcePartition = intOrUndefined(header(HEADERS.sourcePartition));
  const sourceOffset = intOrUndefined(header(HEADERS.sourceOffset));
  const sourceId = header(HEADERS.sourceId);
  return {
    letterId: `${letter.partition}-${letter.offset}`,
    reason: header(HEADERS.dlqReason) ?? 'unknown',
    error: header(HEADERS.dlqError) ?? '',
    dlqTopic: letter.topic,
    dlqPartition: letter.partition,
    dlqOffset: Number(letter.offset),
    ...(sourceTopic === undefined ? {} : { sourceTopic }),
    ...(sourcePartition === undefined ? {} : { sourcePartition }),
    ...(sourceOffset === undefined ? {} : { sourceOffset }),
    failedAt: Number.isNaN(failedAt.getTime()) ? new Date(Number(letter.timestamp)) : failedAt,
    ...identify(asText),
    ...(sourceId !== undefined && SOURCE_ID_PATTERN.test(sourceId) ? { sourceId } : {}),
    status: replayCount > maxReplays ? 'parked' : 'dead',
    replayCount,
    key: letter.key === null ? null : storableText(letter.key.toString('utf8')),
    headers: Object.keys(letter.headers).flatMap((name) => {
      const value = header(name);
      return value === undefined ? [] : [{ name: storableText(name), value }];
    }),
    ...(kept === undefined
      ? {}
      : { payload: isText ? asText : kept.toString('base64'), payloadEncoding: isText ? 'utf8' : 'base64' }),
    payloadBytes,
    indexedAt,
  };
}

/** The headers a replay republishes: the original ones, without what dead-lettering added. */
export function originalHeaders(record: Pick<DeadLetterRecord, 'headers'>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const { name, value } of record.headers) {
    if (!DEAD_LETTER_HEADERS.includes(name) && name !== HEADERS.replayJob && name !== HEADERS.replayCount) {
      headers[name] = value;
    }
  }
  return headers;
}

export function payloadOf(record: Pick<DeadLetterRecord, 'payload' | 'payloadEncoding'>): Buffer | undefined {
  if (record.payload === undefined) return undefined;
  return Buffer.from(record.payload, record.payloadEncoding === 'base64' ? 'base64' : 'utf8');
}
