import { encodeActivityMessage, type ActivityEvent } from '@uap/shared/contract';
import { anActivity } from '@uap/shared/testing';
import type { ConsumedEvent } from '../application/record-activities.use-case';

let nextOffset = 0;

/** An event as the consumer hands it over: decoded, with the message it came in. */
export function aConsumedEvent(overrides: Partial<ActivityEvent> = {}): ConsumedEvent {
  const event = anActivity(overrides);
  const message = encodeActivityMessage(event, 'req-1');
  return {
    event,
    message: {
      key: Buffer.from(message.key),
      value: Buffer.from(message.value),
      headers: message.headers,
      source: { topic: 'user-activities', partition: 0, offset: String(nextOffset++) },
    },
  };
}
