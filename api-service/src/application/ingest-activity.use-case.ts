import { type TypeVerdict } from '@uap/shared/activity-types';
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
import {
  IngestPipeline,
  refuseIfPaused,
  type IngestActivityTypes,
  type IngestPlan,
  type IngestSource,
  type IngestWarning,
  type PlanCandidate,
} from './ingest-pipeline';
import type { ActivityPublisher, PublishedPosition } from './ports/activity-publisher.port';

export type { IngestActivityTypes, IngestSource, IngestWarning } from './ingest-pipeline';

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

export interface IngestRequest {
  body: unknown;
  requestId: string;
  context: RequestContext;
  /** The source of the key that sent it (the access catalog's, as of this request); absent when it has none. */
  source?: IngestSource | undefined;
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
 * The front door of the REST dialect: validate, ask the registry (plan), stamp with what the server knows,
 * publish, and only then report "accepted". A batch is all-or-nothing: one invalid event rejects the whole
 * request, and a valid batch goes out in a single acknowledged send. Plan, stamp and publish are the
 * pipeline every dialect shares (IngestPipeline).
 */
export class IngestActivityUseCase {
  /** The schemas requests are validated with; the OpenAPI document is generated from these same instances. */
  readonly single;
  readonly batch;
  /** Whether accepted events get receipts: the OpenAPI document describes the answers this instance gives. */
  readonly issuesReceipts: boolean;
  private readonly now: () => Date;
  private readonly pipeline: IngestPipeline;
  /** The catalog events are checked with; the OpenAPI document describes the same one. */
  readonly types: IngestActivityTypes;

  constructor(
    private readonly config: IngestConfig,
    private readonly deps: IngestDeps,
  ) {
    this.now = deps.now ?? (() => new Date());
    this.issuesReceipts = config.receipts ?? true;
    this.pipeline = new IngestPipeline({ publisher: deps.publisher, types: deps.types, onVerdict: deps.onVerdict });
    this.types = this.pipeline.types;
    this.single = makeActivityInputSchema({ maxFutureSkewMs: config.maxFutureSkewMs, now: this.now });
    this.batch = z.strictObject({
      events: z
        .array(this.single)
        .min(1, 'must contain at least 1 event')
        .max(config.maxBatchEvents, `must contain at most ${config.maxBatchEvents} events`),
    });
  }

  async ingestOne(request: IngestRequest): Promise<SingleAccepted> {
    refuseIfPaused(request.source);
    const parsed = this.single.safeParse(request.body);
    const planned = this.pipeline.plan(
      [parsed.success ? parsed.data : candidateOf(request.body)],
      { prefix: () => '' },
      request.source,
    );
    refuseIfNotAllowed(request.source, planned);
    if (!parsed.success || planned.errors.length > 0) {
      throw invalid([...(parsed.success ? [] : toFieldErrors(parsed.error.issues)), ...planned.errors]);
    }
    const received = { receivedAt: this.now(), context: request.context };
    const {
      events: [event],
      positions: [position],
    } = await this.pipeline.publish(
      [createActivityEvent(parsed.data, received)],
      planned.marks,
      request.requestId,
      request.source?.id,
    );
    return {
      eventId: event!.eventId,
      status: 'accepted',
      ...(this.issuesReceipts ? { receipt: this.receiptOf(event!, position!) } : {}),
      ...(planned.warnings.length > 0 ? { warnings: planned.warnings } : {}),
    };
  }

  async ingestBatch(request: IngestRequest): Promise<BatchAccepted> {
    refuseIfPaused(request.source);
    const parsed = this.batch.safeParse(request.body);
    const planned = this.pipeline.plan(
      parsed.success ? parsed.data.events : candidatesOf(request.body, this.config.maxBatchEvents),
      { prefix: (i) => `events.${i}.` },
      request.source,
    );
    refuseIfNotAllowed(request.source, planned);
    if (!parsed.success || planned.errors.length > 0) {
      throw invalid([...(parsed.success ? [] : toFieldErrors(parsed.error.issues)), ...planned.errors]);
    }
    const received = { receivedAt: this.now(), context: request.context };
    const { events, positions } = await this.pipeline.publish(
      parsed.data.events.map((input) => createActivityEvent(input, received)),
      planned.marks,
      request.requestId,
      request.source?.id,
    );
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
}

/**
 * An event of a type its source may not send refuses the whole request (422), whatever else is wrong with it: it
 * is not a mistake in the event to fix, but a request this key may not make. The errors name every such event.
 */
function refuseIfNotAllowed(source: IngestSource | undefined, planned: IngestPlan): void {
  if (source?.allowedTypes == null) return;
  const notAllowed = planned.errors.filter((error) => error.rule === 'type-not-allowed');
  if (notAllowed.length === 0) return;
  throw new DomainError(
    'TYPE_NOT_ALLOWED',
    `${notAllowed.length} event(s) have a type source "${source.id}" may not send; nothing was stored`,
    { errors: notAllowed },
  );
}

function invalid(errors: FieldError[]): DomainError {
  return new DomainError('VALIDATION_FAILED', 'The request does not match the activity schema', { errors });
}

type Candidate = PlanCandidate & Pick<ActivityInput, 'type' | 'metadata'>;

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
