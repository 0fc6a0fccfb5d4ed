import type { ActivityEvent } from '../activity/activity.types';
import { ActivityEventSchema } from '../activity/activity.schema';
import { actorKeyOf, CURRENT_SCHEMA_VERSION } from '../activity/activity.types';
import { HEADERS } from './topics';

export interface OutgoingMessage {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** Keyed by actor (actorKeyOf) so that one user's or visitor's events stay ordered within a partition. */
export function encodeActivityMessage(event: ActivityEvent, requestId?: string): OutgoingMessage {
  const headers: Record<string, string> = {
    [HEADERS.eventType]: event.type,
    [HEADERS.schemaVersion]: String(event.schemaVersion),
    [HEADERS.contentType]: 'application/json',
    ...(requestId === undefined ? {} : { [HEADERS.requestId]: requestId }),
  };
  // Only on a sourced event: the worker counts its dead letters per source without parsing the value.
  if (event.sourceId !== undefined) headers[HEADERS.sourceId] = event.sourceId;
  return { key: actorKeyOf(event), value: JSON.stringify(event), headers };
}

export type DecodeFailureReason = 'invalid-json' | 'schema-violation' | 'unknown-schema-version';

/**
 * The `dlq-reason` header of a dead letter: why the message could not be decoded, or
 * `store-rejected` when it decoded but the store refused that document (the header `dlq-error`
 * carries the store's message).
 */
export type DeadLetterReason = DecodeFailureReason | 'store-rejected';

export type DecodedMessage =
  { ok: true; event: ActivityEvent } | { ok: false; reason: DecodeFailureReason; error: string };

export function decodeActivityMessage(value: Buffer | string | null): DecodedMessage {
  if (value === null) return { ok: false, reason: 'invalid-json', error: 'empty message value' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'invalid-json', error: (err as Error).message };
  }
  const version = (parsed as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (version !== CURRENT_SCHEMA_VERSION) {
    return {
      ok: false,
      reason: 'unknown-schema-version',
      error: `schemaVersion ${JSON.stringify(version)} is not supported`,
    };
  }
  const result = ActivityEventSchema.safeParse(parsed);
  if (!result.success) {
    const error = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    return { ok: false, reason: 'schema-violation', error };
  }
  return { ok: true, event: result.data };
}
