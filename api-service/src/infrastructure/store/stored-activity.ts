import type { ActivityRecord } from '../../application/ports/activity-reader.port';

/** The worker's sourcePartition/sourceOffset fields as a record's storedFrom; both readers decode it the same way. */
export function storedFromOf(doc: Record<string, unknown>): Pick<ActivityRecord, 'storedFrom'> {
  const { sourcePartition: partition, sourceOffset: offset } = doc;
  return typeof partition === 'number' && typeof offset === 'number' ? { storedFrom: { partition, offset } } : {};
}
