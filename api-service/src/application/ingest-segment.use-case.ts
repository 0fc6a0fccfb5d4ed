import { randomUUID } from 'node:crypto';
import type { TypeVerdict } from '@uap/shared/activity-types';
import { CURRENT_SCHEMA_VERSION, type ActivityEvent, type SegmentCall } from '@uap/shared/contract';
import { DomainError, toFieldErrors, type FieldError } from '../domain/domain-error';
import {
  mapSegmentMessage,
  type SegmentActivity,
  type SegmentBatchDefaults,
  type SegmentMappingContext,
} from '../domain/segment/segment-message.mapping';
import { SEGMENT_LIMITS, SegmentBatchEnvelopeSchema } from '../domain/segment/segment-message.schema';
import type { IngestRequest } from './ingest-activity.use-case';
import { IngestPipeline, refuseIfPaused, type IngestActivityTypes, type IngestWarning } from './ingest-pipeline';
import type { ActivityPublisher } from './ports/activity-publisher.port';

export interface SegmentIngestConfig {
  /** How far ahead of the server clock an event may be once corrected for skew (MAX_FUTURE_SKEW_SECONDS). */
  maxFutureSkewMs: number;
}

export interface SegmentIngestDeps {
  publisher: ActivityPublisher;
  /** The activity type registry's catalog, as this replica follows it; the built-in types when absent. */
  types?: IngestActivityTypes;
  onVerdict?: (verdict: TypeVerdict) => void;
  now?: () => Date;
  newMessageId?: () => string;
}

/** `POST /v1/{call}`: one of Segment's calls, or a batch of them. */
export type SegmentEndpoint = SegmentCall | 'batch';

/** What became of a request whose body was a call or a batch: every message is either published or refused. */
export interface SegmentOutcome {
  /** Messages published, acknowledged by the broker (acks=all). */
  accepted: number;
  /** The refused messages' indexes in the batch, ascending; their errors are in `errors`. */
  refusedIndexes: number[];
  /** Every rule each refused message broke, by path (`batch.3.event`). */
  errors: FieldError[];
  /** Accepted, but worth fixing: a deprecated type, an unplanned one, metadata flagged against its schema. */
  warnings?: IngestWarning[];
}

/**
 * The Segment HTTP Tracking API's front door: map each message to an activity (domain/segment), ask the registry
 * (plan), stamp, publish through the pipeline the REST dialect uses, and answer only after the broker's
 * acknowledgement. A call is all-or-nothing. A batch publishes its valid messages and reports the refused ones by
 * index: Segment would answer 200 and drop them later, unseen; the SDKs do not retry a 400, and a retry would be
 * deduplicated by messageId anyway, so nothing valid is lost and nothing is stored twice. A message whose type the
 * key's source may not send is refused the same way, by index (rule type-not-allowed); a paused source is 403.
 */
export class IngestSegmentUseCase {
  private readonly pipeline: IngestPipeline;
  private readonly now: () => Date;
  private readonly newMessageId: () => string;

  constructor(
    private readonly config: SegmentIngestConfig,
    deps: SegmentIngestDeps,
  ) {
    this.pipeline = new IngestPipeline({ publisher: deps.publisher, types: deps.types, onVerdict: deps.onVerdict });
    this.now = deps.now ?? (() => new Date());
    this.newMessageId = deps.newMessageId ?? randomUUID;
  }

  /** A single call: 400 (nothing published) unless its message is accepted. */
  async ingestCall(call: SegmentCall, request: IngestRequest): Promise<SegmentOutcome> {
    refuseIfPaused(request.source);
    const outcome = await this.ingest([request.body], call, {}, request, () => '');
    if (outcome.errors.length > 0) {
      throw new DomainError('VALIDATION_FAILED', `The ${call} call was refused; nothing was stored`, {
        errors: outcome.errors,
      });
    }
    return outcome;
  }

  /** A batch: what is valid is published, what is not is reported by index (see the class comment). */
  async ingestBatch(request: IngestRequest): Promise<SegmentOutcome> {
    refuseIfPaused(request.source);
    const messages = (request.body as { batch?: unknown } | null)?.batch;
    if (Array.isArray(messages)) checkSizes(messages);
    const envelope = SegmentBatchEnvelopeSchema.safeParse(request.body);
    if (!envelope.success) {
      throw new DomainError('VALIDATION_FAILED', 'The batch was refused; nothing was stored', {
        errors: toFieldErrors(envelope.error.issues),
      });
    }
    const { batch, context, sentAt } = envelope.data;
    checkRepeatedContext(context, batch.length);
    return this.ingest(batch, undefined, { context, sentAt }, request, (i) => `batch.${i}.`);
  }

  private async ingest(
    messages: readonly unknown[],
    call: SegmentCall | undefined,
    defaults: SegmentBatchDefaults,
    request: IngestRequest,
    prefix: (index: number) => string,
  ): Promise<SegmentOutcome> {
    const receivedAt = this.now();
    const mapping: SegmentMappingContext = {
      receivedAt,
      typeOfEventName: (name) => this.pipeline.types.typeOfEventName(name),
      newMessageId: this.newMessageId,
      maxFutureSkewMs: this.config.maxFutureSkewMs,
    };
    const mapped = messages.map((message) => mapSegmentMessage(call, message, defaults, mapping));
    const activities = mapped.map((m) => (m.ok ? m.activity : undefined));
    const planned = this.pipeline.plan(
      activities.map((a) => a && { type: a.event.type, metadata: a.event.metadata, fields: a.fields }),
      { prefix, metadataRule: 'segment-type-metadata' },
      request.source,
    );

    const errors: FieldError[] = [];
    const refusedIndexes: number[] = [];
    const admitted: Array<{ activity: SegmentActivity; mark: Partial<ActivityEvent> | undefined }> = [];
    mapped.forEach((m, index) => {
      const refusals = m.ok
        ? (planned.refused.get(index) ?? [])
        : m.errors.map((e) => ({ ...e, path: pathIn(prefix(index), e.path) }));
      if (refusals.length === 0 && m.ok) admitted.push({ activity: m.activity, mark: planned.marks[index] });
      else {
        refusedIndexes.push(index);
        errors.push(...refusals);
      }
    });

    if (admitted.length > 0) {
      const context = request.context;
      const events: ActivityEvent[] = admitted.map(({ activity }) => ({
        schemaVersion: CURRENT_SCHEMA_VERSION,
        ...activity.event,
        receivedAt: receivedAt.toISOString(),
        context,
      }));
      await this.pipeline.publish(
        events,
        admitted.map((a) => a.mark),
        request.requestId,
        request.source?.id,
      );
    }
    // The plan warns only about the events it let in, all of them published.
    return {
      accepted: admitted.length,
      refusedIndexes,
      errors,
      ...(planned.warnings.length > 0 ? { warnings: planned.warnings } : {}),
    };
  }
}

/** A path within a message, within the request: `event` → `batch.3.event`; the message itself → `batch.3`. */
function pathIn(prefix: string, path: string): string {
  if (path !== '(root)') return prefix + path;
  return prefix === '' ? path : prefix.slice(0, -1);
}

/**
 * Segment's limits past which a batch is too large (413): more than 2,500 messages, or one over 32 KB. The body's
 * own 500 KB were enforced as it was read. Counted before any message is looked at: an SDK splits and resends.
 */
function checkSizes(messages: readonly unknown[]): void {
  if (messages.length > SEGMENT_LIMITS.batchMessages) {
    throw new DomainError(
      'PAYLOAD_TOO_LARGE',
      `The batch holds ${messages.length} messages; at most ${SEGMENT_LIMITS.batchMessages} are accepted in one`,
    );
  }
  const oversized: FieldError[] = [];
  messages.forEach((message, index) => {
    const bytes = Buffer.byteLength(JSON.stringify(message) ?? '');
    if (bytes > SEGMENT_LIMITS.messageBytes) {
      oversized.push({ path: `batch.${index}`, message: `is ${bytes} bytes; at most ${SEGMENT_LIMITS.messageBytes}` });
    }
  });
  if (oversized.length > 0) {
    throw new DomainError(
      'PAYLOAD_TOO_LARGE',
      `${oversized.length} message(s) exceed the limit of ${SEGMENT_LIMITS.messageBytes} bytes each; nothing was stored`,
      { errors: oversized },
    );
  }
}

/**
 * The batch's context is copied into every message: repeated, it may add at most one more batch body's worth of
 * bytes, or a small body could make thousands of large events (the messages alone stay within the body limit).
 */
function checkRepeatedContext(context: Record<string, unknown> | undefined, messages: number): void {
  if (context === undefined) return;
  const repeated = Buffer.byteLength(JSON.stringify(context)) * messages;
  if (repeated > SEGMENT_LIMITS.batchBytes) {
    throw new DomainError(
      'PAYLOAD_TOO_LARGE',
      `The batch's context, copied into each of its ${messages} messages, would add ${repeated} bytes; at most ` +
        `${SEGMENT_LIMITS.batchBytes}: send fewer messages per batch, or a smaller context`,
    );
  }
}
