import { actorKeyOf } from '../contract/activity/activity.types';
import type { DeadLetterRecord } from '../contract/dead-letters/dead-letter';
import { HEADERS } from '../contract/messaging/topics';
import { anActivity } from './activity.fixtures';

let nextOffset = 0;

/** An indexed letter; by default a valid event that an earlier contract refused (a replay would pass it). */
export function aDeadLetterRecord(overrides: Partial<DeadLetterRecord> = {}): DeadLetterRecord {
  const dlqPartition = overrides.dlqPartition ?? 0;
  const dlqOffset = overrides.dlqOffset ?? nextOffset++;
  const event = anActivity();
  return {
    letterId: `${dlqPartition}-${dlqOffset}`,
    reason: 'schema-violation',
    error: 'type: Invalid option',
    dlqTopic: 'user-activities.dlq',
    dlqPartition,
    dlqOffset,
    sourceTopic: 'user-activities',
    sourcePartition: 2,
    sourceOffset: 100 + dlqOffset,
    failedAt: new Date('2026-11-28T10:00:00.000Z'),
    eventId: event.eventId,
    ...(event.userId === undefined ? {} : { userId: event.userId }),
    type: event.type,
    status: 'dead',
    replayCount: 0,
    key: actorKeyOf(event),
    headers: [
      { name: HEADERS.requestId, value: 'req-1' },
      { name: HEADERS.dlqReason, value: 'schema-violation' },
    ],
    payload: JSON.stringify(event),
    payloadEncoding: 'utf8',
    payloadBytes: Buffer.byteLength(JSON.stringify(event)),
    indexedAt: new Date('2026-11-28T10:00:01.000Z'),
    ...overrides,
  };
}
