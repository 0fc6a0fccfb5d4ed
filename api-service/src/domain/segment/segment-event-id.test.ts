import { EventIdSchema } from '@uap/shared/contract';
import { eventIdOfMessageId, SEGMENT_MESSAGE_ID_NAMESPACE, uuidV5 } from './segment-event-id';

describe('eventIdOfMessageId', () => {
  it('when given RFC 9562’s name-based example, then it yields the published UUIDv5', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('when the same messageId arrives twice, then both get the same eventId, a valid UUID', () => {
    const first = eventIdOfMessageId('node-next-1764840843120-4f0c');

    expect(eventIdOfMessageId('node-next-1764840843120-4f0c')).toBe(first);
    expect(EventIdSchema.safeParse(first).success).toBe(true);
    expect(first[14]).toBe('5');
  });

  it('when messageIds differ, even only in case, then their eventIds differ', () => {
    expect(eventIdOfMessageId('abc')).not.toBe(eventIdOfMessageId('ABC'));
    expect(eventIdOfMessageId('abc')).not.toBe(eventIdOfMessageId('abd'));
  });

  it('when the namespace is read, then it is the constant every replica and release derives eventIds from', () => {
    // Changing it would store every message an SDK retries across the change twice.
    expect(SEGMENT_MESSAGE_ID_NAMESPACE).toBe('67c38379-6273-4d36-b93f-8fc09ba76208');
    expect(eventIdOfMessageId('node-next-1')).toBe('fdec5e62-da98-52d9-adb5-8cbf2964cf47');
  });
});
