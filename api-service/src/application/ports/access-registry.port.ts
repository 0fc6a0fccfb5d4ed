import type { AccessCatalog } from '../../domain/access/access-catalog';
import type { AccessRecord } from '../../domain/access/access-record';

/** The access log as the api uses it: the catalog it follows (keys, sources, the KeyRing), and appending to it. */
export interface AccessRegistry {
  readonly catalog: AccessCatalog;
  /**
   * Appends the records in order and resolves once this replica applied them (so the writer's replica enforces
   * them at once). `inForceBy`: the time by which every current replica enforces them.
   */
  write(records: AccessRecord[]): Promise<{ offset: number; inForceBy: Date }>;
  status(): { current: boolean; position: number; confirmedAgoMs: number | undefined; lastError: string | undefined };
}
