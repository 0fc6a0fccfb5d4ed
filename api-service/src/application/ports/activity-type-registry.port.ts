import type { ActivityTypeCatalog, RegistryRecord } from '@uap/shared/activity-types';

/** The registry as the api uses it: the catalog it follows, and appending a change to the log. */
export interface ActivityTypeRegistry {
  readonly catalog: Pick<
    ActivityTypeCatalog,
    'position' | 'policy' | 'current' | 'history' | 'list' | 'check' | 'compileCheck' | 'eventNamesHeldElsewhere'
  >;
  /** Resolves once the change is durable and every current replica holds it; `won: false` on a lost race. */
  write(record: RegistryRecord): Promise<{ offset: number; won: boolean }>;
  status(): { current: boolean; position: number; confirmedAgoMs: number | undefined; lastError: string | undefined };
}
