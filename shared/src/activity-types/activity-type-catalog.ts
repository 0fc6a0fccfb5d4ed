import type { SchemaViolation } from '../contract';
import {
  DEFAULT_UNPLANNED_POLICY,
  type ActivityTypeStatus,
  type ActivityTypeVersion,
  type UnplannedPolicy,
} from './activity-type';
import { BUILT_IN_TYPE_VERSIONS } from './built-in-types';
import { createMetadataCompiler, type MetadataCheck } from './metadata-validator';
import type { RegistryRecord } from './registry-record';
import { inspectMetadataSchema } from './schema-guard';

/** What the registry says about one event's type and metadata. */
export type TypeVerdict =
  | { kind: 'planned'; name: string; version: number; status: Exclude<ActivityTypeStatus, 'retired'> }
  | {
      kind: 'invalid';
      name: string;
      version: number;
      status: Exclude<ActivityTypeStatus, 'retired'>;
      violations: SchemaViolation[];
    }
  | { kind: 'retired'; name: string; version: number }
  | { kind: 'unknown'; name: string };

interface TypeEntry {
  versions: ActivityTypeVersion[];
  /** The writeId that made each version, by version - 1. */
  writers: string[];
}

export const BUILT_IN_WRITE_ID = 'built-in';

/**
 * The registry as of one position in its log: every replica that applied the same records holds the same
 * catalog, because a record only applies when it is the next version of its type (the first writer of a
 * version wins, a racing or stale one changes nothing). Validators are compiled when a version applies, so
 * checking an event is a lookup and a compiled function call.
 *
 * Event names (ActivityTypeVersion.eventNames) follow the same rule: the first claim in log order keeps a name.
 * A version that claims a name another type holds does not apply, so at any position each name maps to one type
 * at most, and every replica agrees which. The admin API refuses such a claim (409) before writing; only a raw
 * producer or two racing writers get one into the log. A retired type holds no name: its names are free again.
 */
export class ActivityTypeCatalog {
  private readonly types = new Map<string, TypeEntry>();
  private readonly checks = new Map<string, MetadataCheck>();
  /** Event name → the non-retired type whose current version claims it. */
  private readonly eventNameOwners = new Map<string, string>();
  private readonly compile = createMetadataCompiler();
  private recordedPolicy: UnplannedPolicy | undefined;
  /** The log offset after the last record applied: the position this catalog is at. */
  position = 0;

  constructor(private readonly defaultPolicy: UnplannedPolicy = DEFAULT_UNPLANNED_POLICY) {
    for (const version of BUILT_IN_TYPE_VERSIONS) this.add(version, BUILT_IN_WRITE_ID);
  }

  /** Moves past a record that is not one (a stray write to the topic): it changes nothing else. */
  skip(offset: number): void {
    this.position = Math.max(this.position, offset + 1);
  }

  /** Applies the record at `offset`; returns whether it changed the catalog. */
  apply(record: RegistryRecord, offset: number): boolean {
    this.position = Math.max(this.position, offset + 1);
    if (record.kind === 'policy') {
      this.recordedPolicy = record.policy;
      return true;
    }
    const { type } = record;
    if (type.version !== (this.current(type.name)?.version ?? 0) + 1) return false;
    // A record that reached the log without the api's checks (a raw producer) must not break validation.
    if (inspectMetadataSchema(type.metadataSchema).length > 0) return false;
    if (this.eventNamesHeldElsewhere(type).length > 0) return false;
    try {
      this.add(type, record.writeId);
    } catch {
      return false;
    }
    return true;
  }

  /** The policy for what is not planned: the latest one set through the API, else the environment's. */
  policy(): UnplannedPolicy {
    return this.recordedPolicy ?? this.defaultPolicy;
  }

  current(name: string): ActivityTypeVersion | undefined {
    return this.types.get(name)?.versions.at(-1);
  }

  history(name: string): readonly ActivityTypeVersion[] {
    return this.types.get(name)?.versions ?? [];
  }

  /** The writeId that made `name` at `version`, to tell a writer whether its write won. */
  writerOf(name: string, version: number): string | undefined {
    return this.types.get(name)?.writers[version - 1];
  }

  /** The current version of every type, by name. */
  list(): ActivityTypeVersion[] {
    return [...this.types.values()].map((entry) => entry.versions.at(-1)!).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The current, non-retired type that claims this exact event name (as a sender spells it), if any. */
  typeOfEventName(eventName: string): string | undefined {
    return this.eventNameOwners.get(eventName);
  }

  /**
   * The names of `version` that another non-retired type holds, with the type holding each: what a version
   * may not claim. A retired version claims nothing.
   */
  eventNamesHeldElsewhere(
    version: Pick<ActivityTypeVersion, 'name' | 'eventNames' | 'status'>,
  ): Array<{ eventName: string; heldBy: string }> {
    if (version.status === 'retired') return [];
    return (version.eventNames ?? []).flatMap((eventName) => {
      const heldBy = this.eventNameOwners.get(eventName);
      return heldBy === undefined || heldBy === version.name ? [] : [{ eventName, heldBy }];
    });
  }

  check(name: string, metadata: Record<string, unknown>): TypeVerdict {
    const type = this.current(name);
    if (type === undefined) return { kind: 'unknown', name };
    if (type.status === 'retired') return { kind: 'retired', name, version: type.version };
    const violations = this.checks.get(name)!(metadata);
    const status = type.status;
    return violations.length === 0
      ? { kind: 'planned', name, version: type.version, status }
      : { kind: 'invalid', name, version: type.version, status, violations };
  }

  /** Throws when the schema does not compile: callers check candidates with `compileCheck` first. */
  private add(version: ActivityTypeVersion, writeId: string): void {
    const check = this.compile(version.metadataSchema);
    const entry = this.types.get(version.name) ?? { versions: [], writers: [] };
    for (const eventName of entry.versions.at(-1)?.eventNames ?? []) {
      if (this.eventNameOwners.get(eventName) === version.name) this.eventNameOwners.delete(eventName);
    }
    if (version.status !== 'retired') {
      for (const eventName of version.eventNames ?? []) this.eventNameOwners.set(eventName, version.name);
    }
    entry.versions.push(version);
    entry.writers.push(writeId);
    this.types.set(version.name, entry);
    this.checks.set(version.name, check);
  }

  /** Compiles a candidate schema, to refuse one that would not compile before it is written. */
  compileCheck(schema: Record<string, unknown>): MetadataCheck {
    return this.compile(schema);
  }
}
