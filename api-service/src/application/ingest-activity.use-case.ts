import { ActivityTypeCatalog, type ActivityTypeChecker, type TypeVerdict } from '@uap/shared/activity-types';

/** The registry's catalog as ingest uses it: checks, and what the OpenAPI document describes from the same catalog. */
export type IngestActivityTypes = ActivityTypeChecker & Pick<ActivityTypeCatalog, 'list' | 'position'>;
import {
  ActivityTypeSchema,
  createActivityEvent,
  MetadataSchema,
  makeActivityInputSchema,
  type ActivityEvent,
  type ActivityInput,
  type RequestContext,
} from '@uap/shared/contract';
import { z } from 'zod';
import { DomainError, toFieldErrors, type FieldError } from '../domain/domain-error';
import type { ReceiptCodec } from '../domain/receipt';
import type { ActivityPublisher, PublishedPosition } from './ports/activity-publisher.port';

export interface IngestConfig {
  maxFutureSkewMs: number;
  maxBatchEvents: number;
  /** Sign a receipt for every accepted event (default); RECEIPTS_ENABLED=false saves one HMAC per event. */
  receipts?: boolean;
}

export interface IngestDeps {
  publisher: ActivityPublisher;
  /** Signs the receipt of each accepted event and the batch's consistency token. */
  receipts: ReceiptCodec;
  /** The activity type registry's catalog, as this replica follows it; the built-in types when absent. */
  types?: IngestActivityTypes;
  /** Counts what the plan let through unplanned or flagged, for the metrics. */
  onVerdict?: (verdict: TypeVerdict) => void;
  now?: () => Date;
}

/** Something an accepted event's sender should fix: a deprecated type, an unplanned one, flagged metadata. */
export interface IngestWarning {
  /** Index in the batch (0 for a single event). */
  index: number;
  type: string;
  message: string;
}

export interface IngestRequest {
  body: unknown;
  requestId: string;
  context: RequestContext;
}

export interface SingleAccepted {
  eventId: string;
  status: 'accepted';
  /** Opaque, signed: its topic position, for GET /api/v1/receipts/{receipt} and X-Consistency-Token. Absent when receipts are off. */
  receipt?: string;
  warnings?: IngestWarning[];
}

export interface BatchAccepted {
  accepted: number;
  eventIds: string[];
  /** One per event, in the order of eventIds. Absent when receipts are off (RECEIPTS_ENABLED=false). */
  receipts?: string[];
  /** The highest offset per partition this request touched: send it as X-Consistency-Token to read your writes. */
  consistencyToken: string;
  warnings?: IngestWarning[];
}

/**
 * The front door: validate, stamp with what the server knows, publish, and only then report
 * "accepted". A batch is all-or-nothing: one invalid event rejects the whole request, and a valid
 * batch goes out in a single acknowledged send.
 */
export class IngestActivityUseCase {
  /** The schemas requests are validated with; the OpenAPI document is generated from these same instances. */
  readonly single;
  readonly batch;
  /** Whether accepted events get receipts: the OpenAPI document describes the answers this instance gives. */
  readonly issuesReceipts: boolean;
  private readonly now: () => Date;
  /** The catalog events are checked with; the OpenAPI document describes the same one. */
  readonly types: IngestActivityTypes;

  constructor(
    private readonly config: IngestConfig,
    private readonly deps: IngestDeps,
  ) {
    this.now = deps.now ?? (() => new Date());
    this.issuesReceipts = config.receipts ?? true;
    this.types = deps.types ?? new ActivityTypeCatalog();
    this.single = makeActivityInputSchema({ maxFutureSkewMs: config.maxFutureSkewMs, now: this.now });
    this.batch = z.strictObject({
      events: z
        .array(this.single)
        .min(1, 'must contain at least 1 event')
        .max(config.maxBatchEvents, `must contain at most ${config.maxBatchEvents} events`),
    });
  }

  async ingestOne(request: IngestRequest): Promise<SingleAccepted> {
    const parsed = this.single.safeParse(request.body);
    const planned = this.plan([parsed.success ? parsed.data : candidateOf(request.body)], () => '');
    if (!parsed.success || planned.errors.length > 0) {
      throw invalid([...(parsed.success ? [] : toFieldErrors(parsed.error.issues)), ...planned.errors]);
    }
    const event = this.stamp(parsed.data, request, planned.marks[0]!);
    const [position] = await this.deps.publisher.publish([event], { requestId: request.requestId });
    return {
      eventId: event.eventId,
      status: 'accepted',
      ...(this.issuesReceipts ? { receipt: this.receiptOf(event, position!) } : {}),
      ...(planned.warnings.length > 0 ? { warnings: planned.warnings } : {}),
    };
  }

  async ingestBatch(request: IngestRequest): Promise<BatchAccepted> {
    const parsed = this.batch.safeParse(request.body);
    const planned = this.plan(
      parsed.success ? parsed.data.events : candidatesOf(request.body, this.config.maxBatchEvents),
      (i) => `events.${i}.`,
    );
    if (!parsed.success || planned.errors.length > 0) {
      throw invalid([...(parsed.success ? [] : toFieldErrors(parsed.error.issues)), ...planned.errors]);
    }
    const receivedAt = this.now();
    const events = parsed.data.events.map((input, i) => this.stamp(input, request, planned.marks[i]!, receivedAt));
    const positions = await this.deps.publisher.publish(events, { requestId: request.requestId });
    const highest = new Map<number, number>();
    for (const { partition, offset } of positions)
      highest.set(partition, Math.max(offset, highest.get(partition) ?? 0));
    return {
      accepted: events.length,
      eventIds: events.map((e) => e.eventId),
      ...(this.issuesReceipts ? { receipts: events.map((event, i) => this.receiptOf(event, positions[i]!)) } : {}),
      consistencyToken: this.deps.receipts.encodeToken({ topic: positions[0]!.topic, positions: highest }),
      ...(planned.warnings.length > 0 ? { warnings: planned.warnings } : {}),
    };
  }

  private receiptOf(event: ActivityEvent, position: PublishedPosition): string {
    return this.deps.receipts.encodeReceipt({ ...position, eventId: event.eventId, acceptedAt: this.now() });
  }

  /**
   * Asks the registry about each event (skipping those whose shape already failed, which are reported
   * anyway): what it is stamped with, what refuses it, and what its sender is warned about.
   */
  private plan(
    inputs: ReadonlyArray<Candidate | undefined>,
    prefix: (index: number) => string,
  ): { marks: Array<Partial<ActivityEvent>>; errors: FieldError[]; warnings: IngestWarning[] } {
    const policy = this.types.policy();
    const marks: Array<Partial<ActivityEvent>> = [];
    const errors: FieldError[] = [];
    const warnings: IngestWarning[] = [];
    inputs.forEach((input, index) => {
      if (input === undefined) return;
      const verdict = this.types.check(input.type, input.metadata ?? {});
      this.deps.onVerdict?.(verdict);
      const at = prefix(index);
      const warn = (message: string) => warnings.push({ index, type: input.type, message });
      switch (verdict.kind) {
        case 'planned':
          marks[index] = { typeVersion: verdict.version };
          if (verdict.status === 'deprecated') warn(`${input.type} is deprecated (version ${verdict.version})`);
          break;
        case 'invalid':
          if (policy.invalidMetadata === 'reject') {
            for (const v of verdict.violations) {
              errors.push({
                path: `${at}${pointerToPath(v.pointer)}`,
                message: `${v.message} (${input.type} v${verdict.version})`,
              });
            }
            break;
          }
          marks[index] = { typeVersion: verdict.version, violations: verdict.violations };
          warn(
            `metadata breaks ${input.type} v${verdict.version} at ${verdict.violations.map((v) => v.pointer).join(', ')}; accepted and flagged`,
          );
          break;
        case 'retired':
          errors.push({
            path: `${at}type`,
            message: `${input.type} was retired (version ${verdict.version}); its stored events stay readable`,
            rule: 'planned-type',
          });
          break;
        case 'unknown':
          if (policy.unknownTypes === 'reject') {
            errors.push({
              path: `${at}type`,
              message: `${input.type} is not a planned activity type`,
              rule: 'planned-type',
            });
          } else if (policy.unknownTypes === 'accept') {
            marks[index] = { planned: false };
            warn(`${input.type} is not planned: stored with planned=false`);
          } else {
            // No typeVersion: the worker checks it against the registry as it would a raw producer's event,
            // and dead-letters it as a schema violation unless the type was planned in the meantime.
            marks[index] = {};
            warn(
              `${input.type} is not planned: it goes to the dead-letter topic until the type is planned and replayed`,
            );
          }
          break;
      }
    });
    return { marks, errors, warnings };
  }

  private stamp(
    input: z.output<typeof this.single>,
    request: IngestRequest,
    mark: Partial<ActivityEvent>,
    receivedAt: Date = this.now(),
  ): ActivityEvent {
    return Object.assign(createActivityEvent(input, { receivedAt, context: request.context }), mark);
  }
}

function invalid(errors: FieldError[]): DomainError {
  return new DomainError('VALIDATION_FAILED', 'The request does not match the activity schema', { errors });
}

/** `/metadata/a~1b/0` → `metadata.a/b.0`, the problem's dotted path. */
function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

type Candidate = Pick<ActivityInput, 'type' | 'metadata'>;

/**
 * The type and metadata of an event that failed its schema elsewhere, when both are well-formed, so the
 * registry's verdict is reported with the other errors: one round trip tells a client everything to fix.
 */
function candidateOf(raw: unknown): Candidate | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { type, metadata } = raw as { type?: unknown; metadata?: unknown };
  if (!ActivityTypeSchema.safeParse(type).success) return undefined;
  if (metadata !== undefined && !MetadataSchema.safeParse(metadata).success) return undefined;
  return { type: type as string, metadata: metadata as Record<string, unknown> | undefined };
}

/** A batch over the size limit is refused for that alone: its events are not worth asking about. */
function candidatesOf(body: unknown, maxEvents: number): Array<Candidate | undefined> {
  const events = (body as { events?: unknown } | null)?.events;
  return Array.isArray(events) && events.length <= maxEvents ? events.map(candidateOf) : [];
}
