import { followStream, type StreamOptions } from './activity-stream';
import { EventBatcher, type BatcherOptions, type BatcherStats, type BatchOutcome } from './event-batcher';
import { HttpTransport, UapHttpError, type TransportOptions } from './http-transport';
import type {
  Activity,
  ActivityPage,
  Freshness,
  IdentifyOptions,
  ListQuery,
  ReceiptStatus,
  StreamFilters,
  StreamMessage,
  TrackEvent,
} from './types';

export type UapClientOptions = TransportOptions & BatcherOptions;

/**
 * The platform from a client app: track() batches and delivers with retries, the read helpers are
 * typed views of the query API. Call shutdown() before the app exits, or tracked events still
 * queued are lost.
 */
export class UapClient {
  private readonly transport: HttpTransport;
  private readonly batcher: EventBatcher;

  constructor(options: UapClientOptions) {
    this.transport = new HttpTransport(options);
    this.batcher = new EventBatcher(this.transport, options);
  }

  /** Queues an event; returns its eventId, or undefined when the queue was full (see onDrop). */
  track(event: TrackEvent): string | undefined {
    return this.batcher.track(event);
  }

  /**
   * Says who the user is: an IDENTIFY event (queued like any track()). With `anonymousId`, it links that visitor to
   * the user, so the user's history (userActivities) includes what the visitor did before and after; `traits`
   * update the user's profile.
   */
  identify(userId: string, options: IdentifyOptions = {}): string | undefined {
    const { anonymousId, traits, occurredAt, sessionId } = options;
    return this.track({
      type: 'IDENTIFY',
      userId,
      ...(anonymousId === undefined ? {} : { anonymousId }),
      ...(traits === undefined ? {} : { metadata: traits }),
      ...(occurredAt === undefined ? {} : { occurredAt }),
      ...(sessionId === undefined ? {} : { sessionId }),
    });
  }

  /** Resolves once everything queued is delivered, refused or given up. */
  flush(): Promise<void> {
    return this.batcher.flush();
  }

  /** Flushes, waiting at most `timeoutMs`, and stops taking events. */
  shutdown(timeoutMs?: number): Promise<void> {
    return this.batcher.shutdown(timeoutMs);
  }

  stats(): BatcherStats {
    return this.batcher.stats();
  }

  /** One batch, sent now with the same retries; for callers that batch on their own. */
  sendBatch(events: TrackEvent[]): Promise<BatchOutcome> {
    return this.batcher.sendBatch(events);
  }

  /** Every activity matching `query`, page after page (cursor paging, so none is skipped or repeated). */
  async *list(query: ListQuery = {}): AsyncGenerator<Activity, void, undefined> {
    for await (const page of this.pages(query)) yield* page.data;
  }

  /** The pages behind list(), for callers that want them whole. */
  pages(query: ListQuery = {}): AsyncGenerator<ActivityPage, void, undefined> {
    return this.walk('/api/v1/activities', query);
  }

  /**
   * A user's history: their own activities and those of every anonymous id they were identified with (an IDENTIFY
   * or alias carrying both ids), newest first unless `sort: 'asc'`. list({ userId }) has the user's own only.
   */
  async *userActivities(
    userId: string,
    query: Omit<ListQuery, 'userId' | 'anonymousId'> = {},
  ): AsyncGenerator<Activity, void, undefined> {
    const path = `/api/v1/users/${encodeURIComponent(userId)}/activities`;
    for await (const page of this.walk(path, query)) yield* page.data;
  }

  private async *walk(path: string, query: ListQuery): AsyncGenerator<ActivityPage, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.transport.getJson<ActivityPage>(path, {
        userId: query.userId,
        anonymousId: query.anonymousId,
        type: query.type === undefined ? undefined : [query.type].flat(),
        from: query.from,
        to: query.to,
        sort: query.sort,
        limit: query.limit,
        cursor,
      });
      yield page;
      cursor = page.page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  /** One stored activity, or undefined when it is not (yet) stored. */
  async get(eventId: string): Promise<Activity | undefined> {
    try {
      return await this.transport.getJson<Activity>(`/api/v1/activities/${encodeURIComponent(eventId)}`);
    } catch (err) {
      if (err instanceof UapHttpError && err.status === 404) return undefined;
      throw err;
    }
  }

  /**
   * Where an accepted event stands. With `waitFor: 'final'` the API holds the request until it is no
   * longer pending, or `timeoutMs` (at most 10 s) has passed.
   */
  receipt(receipt: string, options: { waitFor?: 'final'; timeoutMs?: number } = {}): Promise<ReceiptStatus> {
    const waitMs = options.waitFor === 'final' ? (options.timeoutMs ?? 5_000) : 0;
    return this.transport.getJson<ReceiptStatus>(
      `/api/v1/receipts/${encodeURIComponent(receipt)}`,
      { waitFor: options.waitFor, timeoutMs: options.waitFor === 'final' ? options.timeoutMs : undefined },
      Math.max(this.transport.requestTimeoutMs, waitMs + 5_000),
    );
  }

  /** How far the worker is behind: lag and watermark, overall and per partition. */
  freshness(): Promise<Freshness> {
    return this.transport.getJson<Freshness>('/api/v1/freshness');
  }

  /** The live stream of new activities, resuming across reconnects (see followStream). */
  stream(filters: StreamFilters = {}, options: StreamOptions = {}): AsyncGenerator<StreamMessage, void, undefined> {
    return followStream(this.transport, filters, options);
  }
}
