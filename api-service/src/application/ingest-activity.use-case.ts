import {
  createActivityEvent,
  makeActivityInputSchema,
  type ActivityEvent,
  type RequestContext,
} from '@uap/shared/contract';
import { z } from 'zod';
import { DomainError, toFieldErrors } from '../domain/domain-error';
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
  now?: () => Date;
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
}

export interface BatchAccepted {
  accepted: number;
  eventIds: string[];
  /** One per event, in the order of eventIds. Absent when receipts are off (RECEIPTS_ENABLED=false). */
  receipts?: string[];
  /** The highest offset per partition this request touched: send it as X-Consistency-Token to read your writes. */
  consistencyToken: string;
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

  constructor(
    private readonly config: IngestConfig,
    private readonly deps: IngestDeps,
  ) {
    this.now = deps.now ?? (() => new Date());
    this.issuesReceipts = config.receipts ?? true;
    this.single = makeActivityInputSchema({ maxFutureSkewMs: config.maxFutureSkewMs, now: this.now });
    this.batch = z.strictObject({
      events: z
        .array(this.single)
        .min(1, 'must contain at least 1 event')
        .max(config.maxBatchEvents, `must contain at most ${config.maxBatchEvents} events`),
    });
  }

  async ingestOne(request: IngestRequest): Promise<SingleAccepted> {
    const input = this.validate(this.single, request.body);
    const event = this.stamp(input, request);
    const [position] = await this.deps.publisher.publish([event], { requestId: request.requestId });
    return {
      eventId: event.eventId,
      status: 'accepted',
      ...(this.issuesReceipts ? { receipt: this.receiptOf(event, position!) } : {}),
    };
  }

  async ingestBatch(request: IngestRequest): Promise<BatchAccepted> {
    const { events: inputs } = this.validate(this.batch, request.body);
    const receivedAt = this.now();
    const events = inputs.map((input) => this.stamp(input, request, receivedAt));
    const positions = await this.deps.publisher.publish(events, { requestId: request.requestId });
    const highest = new Map<number, number>();
    for (const { partition, offset } of positions)
      highest.set(partition, Math.max(offset, highest.get(partition) ?? 0));
    return {
      accepted: events.length,
      eventIds: events.map((e) => e.eventId),
      ...(this.issuesReceipts ? { receipts: events.map((event, i) => this.receiptOf(event, positions[i]!)) } : {}),
      consistencyToken: this.deps.receipts.encodeToken({ topic: positions[0]!.topic, positions: highest }),
    };
  }

  private receiptOf(event: ActivityEvent, position: PublishedPosition): string {
    return this.deps.receipts.encodeReceipt({ ...position, eventId: event.eventId, acceptedAt: this.now() });
  }

  private validate<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
    const result = schema.safeParse(body);
    if (!result.success) {
      throw new DomainError('VALIDATION_FAILED', 'The request does not match the activity schema', {
        errors: toFieldErrors(result.error.issues),
      });
    }
    return result.data;
  }

  private stamp(
    input: z.output<typeof this.single>,
    request: IngestRequest,
    receivedAt: Date = this.now(),
  ): ActivityEvent {
    return createActivityEvent(input, { receivedAt, context: request.context });
  }
}
