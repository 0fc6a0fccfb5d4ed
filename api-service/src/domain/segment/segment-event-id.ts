import { createHash } from 'node:crypto';

/**
 * The namespace of every eventId derived from a Segment messageId. Fixed for good: another namespace would give a
 * message an SDK retries after a deploy a new eventId, and the worker, which deduplicates by eventId, would store
 * it twice.
 */
export const SEGMENT_MESSAGE_ID_NAMESPACE = '67c38379-6273-4d36-b93f-8fc09ba76208';

/** RFC 9562 §5.5: a name-based UUID (SHA-1), the same for the same namespace and name on every replica. */
export function uuidV5(name: string, namespace: string): string {
  const bytes = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The eventId of a Segment message: its messageId, Segment's deduplication key, made ours deterministically. */
export function eventIdOfMessageId(messageId: string): string {
  return uuidV5(messageId, SEGMENT_MESSAGE_ID_NAMESPACE);
}
