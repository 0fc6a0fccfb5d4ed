import type { AccessRegistry } from '../application/ports/access-registry.port';
import type { ApiKeyEntry } from '../domain/api-key';
import { AccessCatalog } from '../domain/access/access-catalog';
import type { AccessRecord } from '../domain/access/access-record';

/** The access log in memory: a write applies at once, and is in force everywhere at once (inForceBy = now). */
export class InMemoryAccessRegistry implements AccessRegistry {
  readonly catalog: AccessCatalog;
  readonly log: AccessRecord[] = [];
  /** Ids noteUse was called with, in order (the Kafka registry flushes them as key-used records). */
  readonly used: string[] = [];

  constructor(
    bootstrap: readonly ApiKeyEntry[] = [],
    private readonly now: () => number = Date.now,
  ) {
    this.catalog = new AccessCatalog(bootstrap, { onUse: (keyId) => this.used.push(keyId) });
  }

  async write(records: AccessRecord[]): Promise<{ offset: number; inForceBy: Date }> {
    for (const record of records) this.append(record);
    return { offset: this.log.length - 1, inForceBy: new Date(this.now()) };
  }

  /** Appends as any producer would: the catalog decides what applies. */
  append(record: AccessRecord): number {
    const offset = this.log.length;
    this.log.push(record);
    this.catalog.apply(record, offset);
    return offset;
  }

  status() {
    return { current: true, position: this.catalog.position, confirmedAgoMs: 0, lastError: undefined };
  }
}
