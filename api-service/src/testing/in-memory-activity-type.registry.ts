import { ActivityTypeCatalog, type RegistryRecord } from '@uap/shared/activity-types';
import type { ActivityTypeRegistry } from '../application/ports/activity-type-registry.port';

/**
 * The registry's log in memory: a write appends, the catalog applies it at once, and the writer learns whether
 * it won as the Kafka registry's writers do (by its writeId). `before` runs ahead of each append, so a test can
 * put a racing writer's record in first.
 */
export class InMemoryActivityTypeRegistry implements ActivityTypeRegistry {
  readonly catalog = new ActivityTypeCatalog();
  readonly log: RegistryRecord[] = [];
  before: (() => void) | undefined;

  async write(record: RegistryRecord): Promise<{ offset: number; won: boolean }> {
    const racing = this.before;
    this.before = undefined;
    racing?.();
    const offset = this.append(record);
    const won =
      record.kind === 'policy' || this.catalog.writerOf(record.type.name, record.type.version) === record.writeId;
    return { offset, won };
  }

  /** Appends as any producer would (a raw one included): the catalog decides what applies. */
  append(record: RegistryRecord): number {
    const offset = this.log.length;
    this.log.push(record);
    this.catalog.apply(record, offset);
    return offset;
  }

  status() {
    return { current: true, position: this.catalog.position, confirmedAgoMs: 0, lastError: undefined };
  }
}
