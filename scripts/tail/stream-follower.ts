import { setTimeout as sleep } from 'node:timers/promises';
import { SseParser, UapHttpError, type HttpTransport, type SseEvent } from '@uap/client';
import { apiTransport, networkReason, refusalLines } from '../cli/cli-api';
import type { CliIo } from '../cli/cli-io';
import { EXIT } from '../cli/exit-codes';
import { activityJson, activityLine, droppedNotice, resetNotice, type StreamedActivity } from './tail-format';
import type { TailOptions } from './tail-options';

export const STREAM_PATH = '/api/v1/activities/stream';

/** Activities go to `out` (stdout), notices and errors to `err` (stderr). */
export type TailIo = Pick<CliIo, 'out' | 'err'>;

export interface TailDeps {
  /** Aborted on Ctrl-C: ends the stream and resolves with 0. */
  signal?: AbortSignal;
  /** The wait before reconnecting until the server sends its own `retry:` hint (EventSource uses 3 s too). */
  retryMs?: number;
  /** Longest wait between attempts while the API stays unreachable (the wait doubles from retryMs). */
  maxRetryMs?: number;
  /** A connection that sends nothing for this long (the server's heartbeat is every 15 s) is dead. */
  idleTimeoutMs?: number;
}

/** Why one connection ended, and what to do next. */
type Outcome =
  | { kind: 'stopped' }
  | { kind: 'refused'; error: UapHttpError }
  | { kind: 'again'; why: string; waitMs?: number; failed: boolean };

/**
 * Follows the stream across connections, as EventSource would, but never loses its place: every
 * reconnect sends Last-Event-ID = the id of the last activity it printed, and the server resumes right
 * after it (or says `reset` when that position is older than it keeps). A line is printed before its id
 * is remembered, so a crash between the two can repeat that line but never skip one.
 */
export class StreamFollower {
  private lastId: string | undefined;
  private retryMs: number;
  private failures = 0;
  private connections = 0;
  private readonly transport: HttpTransport;

  constructor(
    private readonly options: TailOptions,
    private readonly io: TailIo,
    private readonly deps: TailDeps = {},
  ) {
    this.retryMs = deps.retryMs ?? 3_000;
    this.transport = apiTransport(options);
  }

  /** The resume token a reconnect sends now. */
  position(): string | undefined {
    return this.lastId;
  }

  async run(): Promise<number> {
    const { signal } = this.deps;
    while (!signal?.aborted) {
      const outcome = await this.connect();
      if (outcome.kind === 'stopped') break;
      if (outcome.kind === 'refused') {
        this.io.err(refusalLines('tail', outcome.error, 'the stream needs an API key with the read scope').join('\n'));
        return EXIT.error;
      }
      this.failures = outcome.failed ? this.failures + 1 : 0;
      const waitMs = outcome.waitMs ?? this.backoffMs();
      this.io.err(`tail: ${outcome.why}; reconnecting in ${formatSeconds(waitMs)}`);
      try {
        await sleep(waitMs, undefined, signal ? { signal } : {});
      } catch {
        break; // Ctrl-C while waiting.
      }
    }
    return EXIT.ok;
  }

  private backoffMs(): number {
    const doubled = this.retryMs * 2 ** Math.max(0, this.failures - 1);
    return Math.min(doubled, Math.max(this.retryMs, this.deps.maxRetryMs ?? 30_000));
  }

  private async connect(): Promise<Outcome> {
    const { signal } = this.deps;
    const connection = new AbortController();
    const stop = () => connection.abort();
    signal?.addEventListener('abort', stop, { once: true });
    let idle: NodeJS.Timeout | undefined;
    let idleFired = false;
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        idleFired = true;
        connection.abort();
      }, this.deps.idleTimeoutMs ?? 45_000);
    };
    try {
      armIdle();
      let response: Response;
      try {
        response = await this.transport.open(STREAM_PATH, {
          query: { userId: this.options.userId, type: this.options.types?.join(',') },
          headers: {
            accept: 'text/event-stream',
            ...(this.lastId === undefined ? {} : { 'last-event-id': this.lastId }),
          },
          // The idle timer below is this connection's timeout.
          timeoutMs: null,
          signal: connection.signal,
        });
      } catch (err) {
        if (err instanceof UapHttpError) return this.refusal(err);
        if (signal?.aborted) return { kind: 'stopped' };
        if (idleFired) return { kind: 'again', why: 'no answer in time', failed: true };
        return {
          kind: 'again',
          why: `cannot reach ${new URL(this.options.url).origin} (${networkReason(err)})`,
          failed: true,
        };
      }
      this.connections++;
      if (this.connections > 1) {
        this.io.err(`tail: reconnected${this.lastId === undefined ? '' : ', resuming after the last event printed'}`);
      }
      return await this.read(response, armIdle, () => idleFired);
    } finally {
      clearTimeout(idle);
      signal?.removeEventListener('abort', stop);
      connection.abort();
    }
  }

  private refusal(err: UapHttpError): Outcome {
    if (err.status === 429) {
      return {
        kind: 'again',
        why: `the API has too many open streams (429: ${err.problem?.detail ?? 'busy'})`,
        waitMs: err.retryAfterMs() ?? this.retryMs,
        failed: true,
      };
    }
    // 408, 5xx (a restart, a proxy in between): worth another try. Any other 4xx will not change by retrying.
    if (err.retriable) return { kind: 'again', why: `the API answered ${err.status}`, failed: true };
    return { kind: 'refused', error: err };
  }

  private async read(response: Response, armIdle: () => void, idleFired: () => boolean): Promise<Outcome> {
    const { signal } = this.deps;
    if (!response.body) return { kind: 'again', why: 'the server sent no stream', failed: true };
    const decoder = new TextDecoder();
    const parser = new SseParser();
    let reconnect: Outcome | undefined;
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        armIdle();
        for (const item of parser.feed(decoder.decode(chunk, { stream: true }))) {
          if (item.kind === 'retry') this.retryMs = item.ms;
          else if (item.kind === 'event') reconnect = this.handle(item) ?? reconnect;
        }
      }
    } catch (err) {
      if (signal?.aborted) return { kind: 'stopped' };
      if (reconnect) return reconnect;
      const why = idleFired()
        ? `nothing heard for ${formatSeconds(this.deps.idleTimeoutMs ?? 45_000)} (no heartbeat)`
        : `connection lost (${networkReason(err)})`;
      return { kind: 'again', why, waitMs: this.retryMs, failed: false };
    }
    return reconnect ?? { kind: 'again', why: 'the server closed the stream', waitMs: this.retryMs, failed: false };
  }

  /** Prints one event; returns what to do next when the server asked to reconnect. */
  private handle(event: SseEvent): Outcome | undefined {
    switch (event.event) {
      case 'activity': {
        const activity = parseJson<StreamedActivity>(event.data);
        if (activity) this.io.out(this.options.json ? activityJson(activity) : activityLine(activity));
        else this.io.err(`tail: an activity that is not JSON: ${event.data.slice(0, 200)}`);
        if (event.id !== undefined) this.lastId = event.id;
        return undefined;
      }
      case 'dropped':
        this.io.err(droppedNotice(parseJson<{ count?: number }>(event.data)?.count ?? 0));
        return undefined;
      case 'reset':
        this.io.err(
          resetNotice(parseJson<{ reason?: string }>(event.data)?.reason ?? 'the resume position is too old'),
        );
        // The reset carries the live position: resuming from it later cannot reset again.
        if (event.id !== undefined) this.lastId = event.id;
        return undefined;
      case 'reconnect': {
        const data = parseJson<{ reason?: string; retryMs?: number }>(event.data);
        const waitMs = typeof data?.retryMs === 'number' && data.retryMs >= 0 ? data.retryMs : this.retryMs;
        return {
          kind: 'again',
          why: `the server asked to reconnect (${data?.reason ?? 'no reason given'})`,
          waitMs,
          failed: false,
        };
      }
      default:
        return undefined; // Events of a later server version.
    }
  }
}

function parseJson<T>(text: string): T | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}

function formatSeconds(ms: number): string {
  return ms < 1_000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}
