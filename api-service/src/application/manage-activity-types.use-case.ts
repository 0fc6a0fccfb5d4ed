import { randomBytes } from 'node:crypto';
import {
  backwardIncompatibilities,
  inspectMetadataSchema,
  type ActivityTypeStatus,
  type ActivityTypeVersion,
  type JsonSchema,
  type UnplannedPolicy,
} from '@uap/shared/activity-types';
import { DomainError } from '../domain/domain-error';
import type { ActivityTypeRegistry } from './ports/activity-type-registry.port';

export interface TypeChange {
  description?: string | undefined;
  metadataSchema: JsonSchema;
  /** Absent: the current version's names; `[]` gives them all up. */
  eventNames?: string[] | undefined;
  /** Absent: the current version's fields; `[]` makes none rankable. */
  rankableFields?: string[] | undefined;
  status?: ActivityTypeStatus | undefined;
}

type VersionContent = Pick<
  ActivityTypeVersion,
  'description' | 'metadataSchema' | 'eventNames' | 'rankableFields' | 'status'
>;

export interface ChangeOptions {
  /** The version the client saw (If-Match); required when the type exists. */
  expectedVersion?: number | undefined;
  /** Make the change even if events the previous version accepted would now be refused. */
  breaking?: boolean;
  /** Who asks: the API key's label. */
  by: string;
}

export interface TypeWithHistory {
  type: ActivityTypeVersion;
  versions: readonly ActivityTypeVersion[];
  /** The registry position that holds this version: a replica at or past it validates with it. */
  position: number;
}

export interface ChangeResult extends TypeWithHistory {
  /** `created`: a new type; `changed`: a new version; `unchanged`: the same as the current version (no write). */
  outcome: 'created' | 'changed' | 'unchanged';
}

/**
 * The tracking plan's admin side. Each change is checked here (hostile schemas, compilation, event names another
 * type holds, BACKWARD compatibility, the version the client saw) and then appended to the registry's log, where
 * the first writer of a version wins: a writer that lost a race answers 412 as if its If-Match had been stale.
 * Compatibility is about metadata only: event names say which events map to the type, and rankable fields which of
 * its values insights may rank, not what they may carry.
 */
export class ManageActivityTypesUseCase {
  private readonly now: () => Date;
  private readonly newWriteId: () => string;

  constructor(private readonly deps: { registry: ActivityTypeRegistry; now?: () => Date; newWriteId?: () => string }) {
    this.now = deps.now ?? (() => new Date());
    this.newWriteId = deps.newWriteId ?? (() => randomBytes(12).toString('hex'));
  }

  list(): { types: ActivityTypeVersion[]; policy: UnplannedPolicy; position: number } {
    const { catalog } = this.deps.registry;
    return { types: catalog.list(), policy: catalog.policy(), position: catalog.position };
  }

  show(name: string): TypeWithHistory {
    const { catalog } = this.deps.registry;
    const type = catalog.current(name);
    if (type === undefined) throw new DomainError('NOT_FOUND', `There is no activity type ${name}`);
    return { type, versions: catalog.history(name), position: catalog.position };
  }

  async put(name: string, change: TypeChange, options: ChangeOptions): Promise<ChangeResult> {
    const current = this.deps.registry.catalog.current(name);
    this.checkPrecondition(name, current, options.expectedVersion);
    this.checkSchema(change.metadataSchema);
    const eventNames = change.eventNames ?? current?.eventNames ?? [];
    const rankableFields = change.rankableFields ?? current?.rankableFields ?? [];
    const next: VersionContent = {
      description: change.description ?? current?.description ?? '',
      metadataSchema: change.metadataSchema,
      ...(eventNames.length === 0 ? {} : { eventNames }),
      ...(rankableFields.length === 0 ? {} : { rankableFields }),
      status: change.status ?? (current === undefined || current.status === 'retired' ? 'active' : current.status),
    };
    if (current !== undefined && sameVersion(current, next)) return { ...this.show(name), outcome: 'unchanged' };
    this.checkEventNames(name, next);
    if (current !== undefined && !options.breaking) {
      const changes = backwardIncompatibilities(current.metadataSchema, next.metadataSchema);
      if (changes.length > 0) {
        throw new DomainError(
          'CONFLICT',
          `Version ${current.version + 1} of ${name} would refuse events version ${current.version} accepts: ` +
            `${changes.join('; ')}. Send ?breaking=true to make the change anyway.`,
          { errors: changes.map((message) => ({ path: 'metadataSchema', message })) },
        );
      }
    }
    await this.write(name, current, next, options.by);
    return { ...this.show(name), outcome: current === undefined ? 'created' : 'changed' };
  }

  /** DELETE: a new version with status `retired`; its stored events stay readable. */
  async retire(name: string, options: Omit<ChangeOptions, 'breaking'>): Promise<ChangeResult> {
    const current = this.deps.registry.catalog.current(name);
    if (current === undefined) throw new DomainError('NOT_FOUND', `There is no activity type ${name}`);
    return this.put(
      name,
      {
        description: current.description,
        metadataSchema: current.metadataSchema,
        eventNames: current.eventNames,
        rankableFields: current.rankableFields,
        status: 'retired',
      },
      { ...options, expectedVersion: options.expectedVersion ?? current.version, breaking: true },
    );
  }

  async setPolicy(policy: UnplannedPolicy, by: string): Promise<{ policy: UnplannedPolicy; position: number }> {
    const { offset } = await this.deps.registry.write({
      kind: 'policy',
      writeId: this.newWriteId(),
      policy,
      createdAt: this.now().toISOString(),
      createdBy: by,
    });
    return { policy: this.deps.registry.catalog.policy(), position: offset + 1 };
  }

  private checkPrecondition(name: string, current: ActivityTypeVersion | undefined, expected: number | undefined) {
    if (current === undefined && expected !== undefined) {
      throw new DomainError('PRECONDITION_FAILED', `${name} does not exist, so it is not at version ${expected}`);
    }
    if (current !== undefined && expected === undefined) {
      throw new DomainError(
        'PRECONDITION_REQUIRED',
        `${name} exists at version ${current.version}: send If-Match: "${current.version}" with the version you changed`,
      );
    }
    if (current !== undefined && expected !== current.version) {
      throw new DomainError(
        'PRECONDITION_FAILED',
        `${name} is at version ${current.version}, not ${expected}: read it again and reapply your change`,
      );
    }
  }

  /** A name another non-retired type holds stays with it: the sender's events must not change type silently. */
  private checkEventNames(name: string, next: VersionContent): void {
    const held = this.deps.registry.catalog.eventNamesHeldElsewhere({ name, ...next });
    if (held.length === 0) return;
    const names = next.eventNames ?? [];
    throw new DomainError(
      'CONFLICT',
      `${held.map((h) => `${JSON.stringify(h.eventName)} is the event name of ${h.heldBy}`).join('; ')}: ` +
        `take it out of that type (or retire it) first, or leave it out of ${name}`,
      {
        errors: held.map((h) => ({
          path: `eventNames.${names.indexOf(h.eventName)}`,
          message: `${JSON.stringify(h.eventName)} is already claimed by ${h.heldBy}`,
        })),
      },
    );
  }

  private checkSchema(schema: JsonSchema): void {
    const problems = inspectMetadataSchema(schema);
    if (problems.length === 0) {
      try {
        this.deps.registry.catalog.compileCheck(schema);
        return;
      } catch (err) {
        problems.push({ pointer: '', message: `does not compile: ${(err as Error).message}` });
      }
    }
    throw new DomainError('VALIDATION_FAILED', 'The metadata schema cannot be used', {
      errors: problems.map((p) => ({
        path: `metadataSchema${p.pointer.replace(/\//g, '.')}`,
        message: p.message,
        rule: 'usable-json-schema' as const,
      })),
    });
  }

  private async write(
    name: string,
    current: ActivityTypeVersion | undefined,
    next: VersionContent,
    by: string,
  ): Promise<void> {
    const version = (current?.version ?? 0) + 1;
    const { won } = await this.deps.registry.write({
      kind: 'version',
      writeId: this.newWriteId(),
      type: { name, version, ...next, createdAt: this.now().toISOString(), createdBy: by },
    });
    if (!won) {
      // The catalog refuses a version claiming a name that a racing write gave another type first.
      this.checkEventNames(name, next);
      throw new DomainError(
        'PRECONDITION_FAILED',
        `${name} was changed to version ${version} by another request at the same time: read it again and reapply`,
      );
    }
  }
}

function sameVersion(current: ActivityTypeVersion, next: VersionContent) {
  // Names and fields are matched one by one, so their order means nothing.
  const sorted = (list: readonly string[] | undefined) => JSON.stringify([...(list ?? [])].sort());
  return (
    current.description === next.description &&
    current.status === next.status &&
    sorted(current.eventNames) === sorted(next.eventNames) &&
    sorted(current.rankableFields) === sorted(next.rankableFields) &&
    JSON.stringify(current.metadataSchema) === JSON.stringify(next.metadataSchema)
  );
}
