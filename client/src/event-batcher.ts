import { gzip as gzipPlatform, type GzipBytes } from './gzip';
import { problemOf, type HttpTransport } from './http-transport';
import {
  DEFAULT_RETRY,
  isRetriable,
  parseRetryAfter,
  retryDelayMs,
  type AttemptOutcome,
  type ResolvedRetryOptions,
  type RetryOptions,
} from './retry-policy';
import type { BatchAccepted, Problem, TrackEvent } from './types';

export const BATCH_PATH = '/api/v1/activities/batch';

/** Why events left the queue without being accepted. */
export type DropReason = 'queue_full' | 'retries_exhausted' | 'shutdown' | 'closed';

export interface AttemptInfo {
  /** 1 for the first send of a batch. */
  attempt: number;
  eventIds: string[];
  outcome: AttemptOutcome;
  /** When the attempt began (ms since epoch, from the clock). */
  startedAt: number;
  latencyMs: number;
  /** The wait before the next attempt, when there will be one. */
  retryInMs?: number;
}

/** A batch the API refused as invalid (4xx other than 408/429): not retried, since it would be refused again. */
export interface RejectedBatch {
  status: number;
  problem: Problem | undefined;
  events: TrackEvent[];
}

export interface BatcherHooks {
  /** Every HTTP attempt, including retries: for accounting and metrics. */
  onAttempt?(info: AttemptInfo): void;
  /** A batch the API accepted (202), with its answer (undefined if that answer could not be read). */
  onAccepted?(events: TrackEvent[], response: BatchAccepted | undefined): void;
  /** A batch refused with a 4xx problem (validation, size, auth). Counted in stats().rejected. */
  onError?(rejection: RejectedBatch): void;
  /** Events that left without being accepted, and why. Counted in stats().dropped. */
  onDrop?(events: TrackEvent[], reason: DropReason): void;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface BatcherOptions extends BatcherHooks {
  /** Send as soon as this many events are queued (default 100). */
  flushAt?: number;
  /** Send whatever is queued this long after the first of it was tracked (default 1000 ms). */
  flushIntervalMs?: number;
  /** At most this many events per request (default 500, the API's batch limit). */
  maxBatchEvents?: number;
  /** At most this many bytes of JSON per request (default 900 KB, under the API's 1 MB). */
  maxBatchBytes?: number;
  /** Events held, queued or in flight; beyond it track() drops the new event (default 10,000). */
  maxQueueSize?: number;
  /** Batches in flight at once (default 1, which keeps a user's events in order). */
  maxInFlight?: number;
  /** gzip request bodies of at least this many bytes (default 1024); false to never compress. */
  gzip?: number | false;
  retry?: RetryOptions;
  clock?: Clock;
  /** Uniform in [0, 1): the jitter's source (default Math.random). */
  random?: () => number;
  /** Makes eventIds (default crypto.randomUUID). */
  newId?: () => string;
  /** Compresses a body (default: CompressionStream, else node:zlib). */
  compress?: (text: string) => Promise<GzipBytes | undefined>;
}

export interface BatcherStats {
  /** Events handed to track() and kept. */
  tracked: number;
  /** Events the API acknowledged with 202. */
  accepted: number;
  /** Events in batches refused with a 4xx problem. */
  rejected: number;
  /** Events dropped: queue full, retries exhausted, or still queued at shutdown. */
  dropped: number;
  droppedBy: Record<DropReason, number>;
  /** HTTP attempts, and how many of them were retries. */
  attempts: number;
  retries: number;
  /** Events waiting or in flight right now. */
  queued: number;
  inFlightBatches: number;
}

export type BatchOutcome = 'accepted' | 'rejected' | 'abandoned';

/** UTF-8 bytes of a string, without encoding it: the API's limit counts bytes, not UTF-16 units. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code < 0xdc00 && i + 1 < text.length) {
      bytes += 4; // a surrogate pair: one code point of four bytes
      i++;
    } else bytes += 3;
  }
  return bytes;
}

const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Client-side batching with at-least-once delivery. Every event gets its eventId before it is queued
 * and keeps it across every retry, and a retry resends the very same body, so a batch the API stored
 * but whose 202 was lost is stored once: the worker deduplicates by eventId. The queue is bounded:
 * when full, track() drops the new event (drop-newest) and says so through onDrop and stats(), so
 * memory stays flat through an outage and the events already waiting keep their place.
 */
export class EventBatcher {
  private readonly buffer: TrackEvent[] = [];
  private readonly options: Required<Pick<BatcherOptions, 'flushAt' | 'flushIntervalMs' | 'maxBatchEvents'>> &
    Required<Pick<BatcherOptions, 'maxBatchBytes' | 'maxQueueSize' | 'maxInFlight'>>;
  private readonly retry: ResolvedRetryOptions;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly newId: () => string;
  private readonly compress: (text: string) => Promise<GzipBytes | undefined>;
  private readonly gzipFrom: number | false;
  private timer: unknown;
  private flushRequested = false;
  private inFlightEvents = 0;
  private inFlightBatches = 0;
  private closed = false;
  /** Set when shutdown() ran out of time: batches waiting to retry give up instead. */
  private abandoned = false;
  private readonly sleepers = new Set<() => void>();
  private idleWaiters: (() => void)[] = [];
  private readonly counts = {
    tracked: 0,
    accepted: 0,
    rejected: 0,
    attempts: 0,
    retries: 0,
    droppedBy: { queue_full: 0, retries_exhausted: 0, shutdown: 0, closed: 0 } as Record<DropReason, number>,
  };

  constructor(
    private readonly transport: HttpTransport,
    private readonly config: BatcherOptions = {},
  ) {
    this.options = {
      flushAt: config.flushAt ?? 100,
      flushIntervalMs: config.flushIntervalMs ?? 1_000,
      maxBatchEvents: config.maxBatchEvents ?? 500,
      maxBatchBytes: config.maxBatchBytes ?? 900 * 1024,
      maxQueueSize: config.maxQueueSize ?? 10_000,
      maxInFlight: config.maxInFlight ?? 1,
    };
    this.retry = { ...DEFAULT_RETRY, ...config.retry };
    this.clock = config.clock ?? SYSTEM_CLOCK;
    this.random = config.random ?? Math.random;
    this.newId = config.newId ?? (() => globalThis.crypto.randomUUID());
    this.compress = config.compress ?? gzipPlatform;
    this.gzipFrom = config.gzip === undefined ? 1024 : config.gzip;
  }

  /** Queues an event and returns its eventId, or undefined when it was dropped (see onDrop). */
  track(event: TrackEvent): string | undefined {
    const stamped: TrackEvent = {
      ...event,
      eventId: event.eventId ?? this.newId(),
      occurredAt: event.occurredAt ?? new Date(this.clock.now()).toISOString(),
    };
    if (this.closed) {
      this.drop([stamped], 'closed');
      return undefined;
    }
    if (this.buffer.length + this.inFlightEvents >= this.options.maxQueueSize) {
      this.drop([stamped], 'queue_full');
      return undefined;
    }
    this.counts.tracked++;
    this.buffer.push(stamped);
    if (this.timer === undefined) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        this.flushRequested = true;
        this.pump();
      }, this.options.flushIntervalMs);
    }
    this.pump();
    return stamped.eventId;
  }

  /** Sends everything queued now; resolves once nothing is queued or in flight (accepted, rejected or dropped). */
  flush(): Promise<void> {
    this.flushRequested = true;
    this.pump();
    return this.idle();
  }

  /**
   * Flushes and stops taking events. What is still undelivered after `timeoutMs` is dropped with
   * reason 'shutdown': queued events at once, a batch waiting to retry instead of retrying. A request
   * already on the wire is left to finish (at most requestTimeoutMs) and may still be accepted.
   */
  async shutdown(timeoutMs = 10_000): Promise<void> {
    this.closed = true;
    let timer: unknown;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = this.clock.setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([this.flush().then(() => 'drained' as const), timedOut]);
    this.clock.clearTimeout(timer);
    if (result === 'timeout') {
      if (this.buffer.length > 0) this.drop(this.buffer.splice(0), 'shutdown');
      this.abandoned = true;
      for (const wake of [...this.sleepers]) wake();
    }
    this.clearTimer();
  }

  stats(): BatcherStats {
    const droppedBy = { ...this.counts.droppedBy };
    return {
      tracked: this.counts.tracked,
      accepted: this.counts.accepted,
      rejected: this.counts.rejected,
      dropped: Object.values(droppedBy).reduce((a, b) => a + b, 0),
      droppedBy,
      attempts: this.counts.attempts,
      retries: this.counts.retries,
      queued: this.buffer.length + this.inFlightEvents,
      inFlightBatches: this.inFlightBatches,
    };
  }

  /**
   * Sends one batch now, with the same retries as queued events, and resolves with its fate. For
   * callers that batch themselves (load generators); events without an eventId get one first.
   */
  async sendBatch(events: TrackEvent[]): Promise<BatchOutcome> {
    const stamped = events.map((e) => ({
      ...e,
      eventId: e.eventId ?? this.newId(),
      occurredAt: e.occurredAt ?? new Date(this.clock.now()).toISOString(),
    }));
    this.counts.tracked += stamped.length;
    return this.deliver(stamped);
  }

  private pump(): void {
    while (this.inFlightBatches < this.options.maxInFlight && this.buffer.length > 0) {
      if (this.buffer.length < this.options.flushAt && !this.flushRequested) break;
      const batch = this.takeBatch();
      this.inFlightBatches++;
      this.inFlightEvents += batch.length;
      void this.deliver(batch).finally(() => {
        this.inFlightBatches--;
        this.inFlightEvents -= batch.length;
        this.pump();
        this.notifyIfIdle();
      });
    }
    if (this.buffer.length === 0) {
      this.flushRequested = false;
      this.clearTimer();
    }
    this.notifyIfIdle();
  }

  /** Up to maxBatchEvents from the head of the queue, staying under maxBatchBytes (one event always goes). */
  private takeBatch(): TrackEvent[] {
    let bytes = 12; // {"events":[]}
    let count = 0;
    for (const event of this.buffer) {
      if (count >= this.options.maxBatchEvents) break;
      const size = utf8Length(JSON.stringify(event)) + 1;
      if (count > 0 && bytes + size > this.options.maxBatchBytes) break;
      bytes += size;
      count++;
    }
    return this.buffer.splice(0, count);
  }

  private async deliver(events: TrackEvent[]): Promise<BatchOutcome> {
    const eventIds = events.map((e) => e.eventId!);
    // Built once: every attempt sends the same bytes, hence the same eventIds.
    const json = JSON.stringify({ events });
    const compressed =
      this.gzipFrom !== false && json.length >= this.gzipFrom
        ? await this.compress(json).catch(() => undefined)
        : undefined;
    const firstTry = this.clock.now();
    for (let attempt = 1; ; attempt++) {
      const startedAt = this.clock.now();
      const began = performance.now();
      const { outcome, retryAfter, response } = await this.post(json, compressed);
      const latencyMs = performance.now() - began;
      this.counts.attempts++;
      if (attempt > 1) this.counts.retries++;

      if (outcome === 202 && response !== undefined) {
        this.hook(() => this.config.onAttempt?.({ attempt, eventIds, outcome, startedAt, latencyMs }));
        this.counts.accepted += events.length;
        const body = (await response.json().catch(() => undefined)) as BatchAccepted | undefined;
        this.hook(() => this.config.onAccepted?.(events, body));
        return 'accepted';
      }
      if (outcome === 413 && events.length > 1) {
        // The server's limit is lower than ours: halve the batch until the parts fit (or one event is refused).
        this.hook(() => this.config.onAttempt?.({ attempt, eventIds, outcome, startedAt, latencyMs }));
        await response?.body?.cancel().catch(() => undefined);
        const half = Math.ceil(events.length / 2);
        const outcomes = [await this.deliver(events.slice(0, half)), await this.deliver(events.slice(half))];
        return outcomes.find((o) => o !== 'accepted') ?? 'accepted';
      }
      if (!isRetriable(outcome) || (typeof outcome === 'number' && outcome < 400)) {
        this.hook(() => this.config.onAttempt?.({ attempt, eventIds, outcome, startedAt, latencyMs }));
        this.counts.rejected += events.length;
        const problem = response ? await problemOf(response) : undefined;
        this.hook(() => this.config.onError?.({ status: typeof outcome === 'number' ? outcome : 0, problem, events }));
        return 'rejected';
      }
      const delay = retryDelayMs(attempt, parseRetryAfter(retryAfter, this.clock.now()), this.retry, this.random);
      const exhausted =
        attempt >= this.retry.maxAttempts || this.clock.now() + delay - firstTry > this.retry.giveUpAfterMs;
      this.hook(() =>
        this.config.onAttempt?.({
          attempt,
          eventIds,
          outcome,
          startedAt,
          latencyMs,
          ...(exhausted ? {} : { retryInMs: delay }),
        }),
      );
      await response?.body?.cancel().catch(() => undefined);
      if (exhausted) {
        this.drop(events, 'retries_exhausted');
        return 'abandoned';
      }
      await this.wait(delay);
      if (this.abandoned) {
        this.drop(events, 'shutdown');
        return 'abandoned';
      }
    }
  }

  private async post(
    json: string,
    compressed: GzipBytes | undefined,
  ): Promise<{ outcome: AttemptOutcome; retryAfter: string | null; response?: Response }> {
    try {
      const response = await this.transport.send(BATCH_PATH, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(compressed === undefined ? {} : { 'content-encoding': 'gzip' }),
        },
        body: compressed ?? json,
      });
      return { outcome: response.status, retryAfter: response.headers.get('retry-after'), response };
    } catch (err) {
      return { outcome: (err as Error).name === 'TimeoutError' ? 'timeout' : 'network', retryAfter: null };
    }
  }

  private drop(events: TrackEvent[], reason: DropReason): void {
    this.counts.droppedBy[reason] += events.length;
    this.hook(() => this.config.onDrop?.(events, reason));
  }

  /** A throwing callback is the app's bug; it must not stop delivery or become an unhandled rejection. */
  private hook(call: () => void): void {
    try {
      call();
    } catch {
      // ignored on purpose: see above
    }
  }

  /** A backoff wait that shutdown() can cut short. */
  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.clock.clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = this.clock.setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private idle(): Promise<void> {
    if (this.buffer.length === 0 && this.inFlightBatches === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private notifyIfIdle(): void {
    if (this.buffer.length > 0 || this.inFlightBatches > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
