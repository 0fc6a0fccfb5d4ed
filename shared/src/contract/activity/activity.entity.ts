import { randomUUID } from 'node:crypto';
import { CURRENT_SCHEMA_VERSION, type ActivityEvent, type ActivityInput, type RequestContext } from './activity.types';

export interface ReceiveContext {
  receivedAt: Date;
  context: RequestContext;
  newEventId?: () => string;
}

/**
 * Turns a validated client input into the event both services agree on. Timestamps are normalised
 * to UTC ISO strings so that equal instants compare equal as strings and as Dates.
 */
export function createActivityEvent(input: ActivityInput, receive: ReceiveContext): ActivityEvent {
  const receivedAt = receive.receivedAt.toISOString();
  return {
    schemaVersion: CURRENT_SCHEMA_VERSION,
    eventId: input.eventId ?? (receive.newEventId ?? randomUUID)(),
    ...(input.userId === undefined ? {} : { userId: input.userId }),
    ...(input.anonymousId === undefined ? {} : { anonymousId: input.anonymousId }),
    type: input.type,
    occurredAt: input.occurredAt === undefined ? receivedAt : new Date(input.occurredAt).toISOString(),
    receivedAt,
    ...(input.sessionId === undefined ? {} : { sessionId: input.sessionId }),
    metadata: input.metadata ?? {},
    context: receive.context,
  };
}
