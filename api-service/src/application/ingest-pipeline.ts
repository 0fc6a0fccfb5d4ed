import { ActivityTypeCatalog, type ActivityTypeChecker, type TypeVerdict } from '@uap/shared/activity-types';
import type { ActivityEvent } from '@uap/shared/contract';
import type { Source } from '../domain/access/source';
import { DomainError, type BeyondSchemaRule, type FieldError } from '../domain/domain-error';
import type { ActivityPublisher, PublishedPosition } from './ports/activity-publisher.port';

/** The registry's catalog as ingest uses it: checks, and what the OpenAPI document describes from the same catalog. */
export type IngestActivityTypes = ActivityTypeChecker &
  Pick<ActivityTypeCatalog, 'list' | 'position' | 'typeOfEventName'>;

/**
 * What ingest needs of the source the sending key is bound to: its id, stamped on every event, and its policy.
 * Absent when the key is bound to none (bootstrap keys, unbound runtime keys, auth disabled): then nothing of
 * this is looked up or stamped.
 */
export type IngestSource = Pick<Source, 'id' | 'status' | 'allowedTypes'>;

/** A paused source sends nothing: refused before anything of the request is looked at, whatever the dialect. */
export function refuseIfPaused(source: IngestSource | undefined): void {
  if (source?.status !== 'paused') return;
  throw new DomainError(
    'SOURCE_PAUSED',
    `Source "${source.id}", which this API key is bound to, is paused; nothing was stored`,
  );
}

/** Something an accepted event's sender should fix: a deprecated type, an unplanned one, flagged metadata. */
export interface IngestWarning {
  /** Index in the batch (0 for a single event). */
  index: number;
  type: string;
  message: string;
}

/** What the registry is asked about one event, and where the request held it. */
export interface PlanCandidate {
  type: string;
  metadata?: Record<string, unknown> | undefined;
  /**
   * The request's names for the type and the metadata, for error paths: `type` and `metadata` unless its dialect
   * names them otherwise (a Segment track call's `event` and `properties`).
   */
  fields?: { type: string; metadata: string } | undefined;
}

export interface PlanOptions {
  /** The path of the event at `index` in the request, with a trailing dot (`events.3.`), or '' for a single one. */
  prefix: (index: number) => string;
  /** Named on errors where the metadata breaks its type's schema, when the dialect's document cannot state that. */
  metadataRule?: BeyondSchemaRule;
}

export interface IngestPlan {
  /** What each event the plan lets in is stamped with, by index; absent for a refused or unasked one. */
  marks: Array<Partial<ActivityEvent> | undefined>;
  /** Every refusal, in request order. */
  errors: FieldError[];
  /** The same refusals by index. */
  refused: Map<number, FieldError[]>;
  warnings: IngestWarning[];
}

export interface IngestPipelineDeps {
  publisher: ActivityPublisher;
  /** The activity type registry's catalog, as this replica follows it; the built-in types when absent. */
  types?: IngestActivityTypes | undefined;
  /** Counts what the plan let through unplanned or flagged, for the metrics. */
  onVerdict?: ((verdict: TypeVerdict) => void) | undefined;
}

/**
 * The one way in for every dialect (the REST API, the Segment surface): the registry's verdict and the unplanned
 * policy decide what each event is stamped with and what refuses it (plan), then the events are stamped and
 * published in one acknowledged send. Each dialect parses and answers in its own terms around these two steps.
 */
export class IngestPipeline {
  /** The catalog events are checked with; the OpenAPI document describes the same one. */
  readonly types: IngestActivityTypes;

  constructor(private readonly deps: IngestPipelineDeps) {
    this.types = deps.types ?? new ActivityTypeCatalog();
  }

  /**
   * Asks the registry about each event (skipping those left undefined, whose shape already failed and which are
   * reported anyway): what it is stamped with, what refuses it, and what its sender is warned about.
   */
  plan(
    candidates: ReadonlyArray<PlanCandidate | undefined>,
    options: PlanOptions,
    source?: IngestSource | undefined,
  ): IngestPlan {
    const policy = this.types.policy();
    const allowedTypes = source?.allowedTypes ?? null;
    const plan: IngestPlan = { marks: [], errors: [], refused: new Map(), warnings: [] };
    candidates.forEach((candidate, index) => {
      if (candidate === undefined) return;
      const fields = candidate.fields ?? { type: 'type', metadata: 'metadata' };
      const at = options.prefix(index);
      const warn = (message: string) => plan.warnings.push({ index, type: candidate.type, message });
      const refuse = (error: FieldError) => {
        plan.errors.push(error);
        plan.refused.set(index, [...(plan.refused.get(index) ?? []), error]);
      };
      // The source's narrower list first: a type it may not send is refused whatever the registry says of it.
      if (allowedTypes !== null && !allowedTypes.includes(candidate.type)) {
        refuse({
          path: `${at}${fields.type}`,
          message: `${candidate.type} is not among the types source "${source!.id}" may send (${allowedTypes.join(', ') || 'none'})`,
          rule: 'type-not-allowed',
        });
        return;
      }
      const verdict = this.types.check(candidate.type, candidate.metadata ?? {});
      this.deps.onVerdict?.(verdict);
      switch (verdict.kind) {
        case 'planned':
          plan.marks[index] = { typeVersion: verdict.version };
          if (verdict.status === 'deprecated') warn(`${candidate.type} is deprecated (version ${verdict.version})`);
          break;
        case 'invalid':
          if (policy.invalidMetadata === 'reject') {
            for (const v of verdict.violations) {
              refuse({
                path: `${at}${pointerToPath(v.pointer, fields.metadata)}`,
                message: `${v.message} (${candidate.type} v${verdict.version})`,
                ...(options.metadataRule ? { rule: options.metadataRule } : {}),
              });
            }
            break;
          }
          plan.marks[index] = { typeVersion: verdict.version, violations: verdict.violations };
          warn(
            `metadata breaks ${candidate.type} v${verdict.version} at ${verdict.violations.map((v) => v.pointer).join(', ')}; accepted and flagged`,
          );
          break;
        case 'retired':
          refuse({
            path: `${at}${fields.type}`,
            message: `${candidate.type} was retired (version ${verdict.version}); its stored events stay readable`,
            rule: 'planned-type',
          });
          break;
        case 'unknown':
          if (policy.unknownTypes === 'reject') {
            refuse({
              path: `${at}${fields.type}`,
              message: `${candidate.type} is not a planned activity type`,
              rule: 'planned-type',
            });
          } else if (policy.unknownTypes === 'accept') {
            plan.marks[index] = { planned: false };
            warn(`${candidate.type} is not planned: stored with planned=false`);
          } else {
            // No typeVersion: the worker checks it against the registry as it would a raw producer's event,
            // and dead-letters it as a schema violation unless the type was planned in the meantime.
            plan.marks[index] = {};
            warn(
              `${candidate.type} is not planned: it goes to the dead-letter topic until the type is planned and replayed`,
            );
          }
          break;
      }
    });
    return plan;
  }

  /**
   * Stamps each event with its mark (by position) and its source, if any, and publishes them in one send; resolves
   * only once the broker acknowledged every one (acks=all), with their positions in order, and rejects as the
   * publisher does otherwise.
   */
  async publish(
    events: readonly ActivityEvent[],
    marks: ReadonlyArray<Partial<ActivityEvent> | undefined>,
    requestId: string,
    sourceId?: string | undefined,
  ): Promise<{ events: ActivityEvent[]; positions: PublishedPosition[] }> {
    const stamped = events.map((event, i) => Object.assign(event, marks[i]));
    if (sourceId !== undefined) for (const event of stamped) event.sourceId = sourceId;
    const positions = await this.deps.publisher.publish(stamped, { requestId });
    return { events: stamped, positions };
  }
}

/** `/metadata/a~1b/0` → `metadata.a/b.0`, the problem's dotted path, under the request's name for the metadata. */
function pointerToPath(pointer: string, metadataField: string): string {
  const tokens = pointer
    .split('/')
    .slice(1)
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (tokens[0] === 'metadata') tokens[0] = metadataField;
  return tokens.join('.');
}
