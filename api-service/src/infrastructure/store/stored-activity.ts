import type { SchemaViolation, SegmentFields } from '@uap/shared/contract';
import type { ActivityRecord } from '../../application/ports/activity-reader.port';

/** The worker's sourcePartition/sourceOffset fields as a record's storedFrom; both readers decode it the same way. */
export function storedFromOf(doc: Record<string, unknown>): Pick<ActivityRecord, 'storedFrom'> {
  const { sourcePartition: partition, sourceOffset: offset } = doc;
  return typeof partition === 'number' && typeof offset === 'number' ? { storedFrom: { partition, offset } } : {};
}

const isViolation = (value: unknown): value is SchemaViolation =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as SchemaViolation).pointer === 'string' &&
  typeof (value as SchemaViolation).message === 'string';

/**
 * typeVersion, planned and violations as a record's, each only when the stored document has it: documents
 * stored before the registry have none, and a field the worker did not write stays absent in the answer.
 */
export function registryFieldsOf(
  doc: Record<string, unknown>,
): Pick<ActivityRecord, 'typeVersion' | 'planned' | 'violations'> {
  const { typeVersion, planned, violations } = doc;
  return {
    ...(typeof typeVersion === 'number' ? { typeVersion } : {}),
    ...(planned === false ? { planned } : {}),
    ...(Array.isArray(violations)
      ? { violations: violations.filter(isViolation).map(({ pointer, message }) => ({ pointer, message })) }
      : {}),
  };
}

/** userId and anonymousId, each only when stored: an event has at least one, an identified visitor's both. */
export function actorOf(doc: Record<string, unknown>): Pick<ActivityRecord, 'userId' | 'anonymousId'> {
  const { userId, anonymousId } = doc;
  return {
    ...(typeof userId === 'string' ? { userId } : {}),
    ...(typeof anonymousId === 'string' ? { anonymousId } : {}),
  };
}

/** The Segment envelope as the worker stored it (validated by ActivityEventSchema before it was written). */
export function segmentOf(doc: Record<string, unknown>): Pick<ActivityRecord, 'segment'> {
  const { segment } = doc;
  return typeof segment === 'object' && segment !== null ? { segment: segment as SegmentFields } : {};
}

/** The sending key's source, only on the events that had one. */
export function sourceIdOf(doc: Record<string, unknown>): Pick<ActivityRecord, 'sourceId'> {
  const { sourceId } = doc;
  return typeof sourceId === 'string' ? { sourceId } : {};
}
