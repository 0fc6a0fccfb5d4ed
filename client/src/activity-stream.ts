import { errorOf, type HttpTransport } from './http-transport';
import { SseParser } from './sse-parser';
import type { Activity, StreamFilters, StreamMessage } from './types';

export const STREAM_PATH = '/api/v1/activities/stream';

export interface StreamOptions {
  /** Resume after this position (an id from a previous stream's activity or reset). */
  lastEventId?: string;
  /** Ends the stream: the iterator returns. */
  signal?: AbortSignal;
  /** The wait before reconnecting until the server sends its own `retry:` hint (default 3 s). */
  retryMs?: number;
}

/**
 * The live stream as an async iterator, over fetch (so it works where EventSource cannot send an
 * Authorization header). It reconnects after the server's `reconnect`, a closed connection or a
 * network error, sending Last-Event-ID = the last id it yielded, so the server resumes right after
 * it; a position older than the server keeps comes back as a `reset` message. A 4xx is thrown.
 */
export async function* followStream(
  transport: HttpTransport,
  filters: StreamFilters = {},
  options: StreamOptions = {},
): AsyncGenerator<StreamMessage, void, undefined> {
  let lastId = options.lastEventId;
  let retryMs = options.retryMs ?? 3_000;
  const { signal } = options;
  while (!signal?.aborted) {
    let response: Response | undefined;
    try {
      response = await transport.send(STREAM_PATH, {
        query: {
          userId: filters.userId,
          anonymousId: filters.anonymousId,
          type: filters.type === undefined ? undefined : [filters.type].flat(),
        },
        headers: { accept: 'text/event-stream', ...(lastId === undefined ? {} : { 'last-event-id': lastId }) },
        timeoutMs: null,
        ...(signal ? { signal } : {}),
      });
    } catch {
      response = undefined;
    }
    if (response !== undefined && !response.ok) {
      if (response.status >= 400 && response.status < 500 && response.status !== 429 && response.status !== 408) {
        throw await errorOf(response);
      }
      const retryAfter = Number(response.headers.get('retry-after'));
      if (retryAfter > 0) retryMs = Math.max(retryMs, retryAfter * 1000);
      await response.body?.cancel().catch(() => undefined);
      response = undefined;
    }
    if (response?.body) {
      const parser = new SseParser();
      const decoder = new TextDecoder();
      const reader = response.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          for (const item of parser.feed(decoder.decode(value, { stream: true }))) {
            if (item.kind === 'retry') retryMs = item.ms;
            if (item.kind !== 'event') continue;
            if (item.event === 'activity' && item.id !== undefined) {
              yield { kind: 'activity', id: item.id, activity: JSON.parse(item.data) as Activity };
              lastId = item.id;
            } else if (item.event === 'reset' && item.id !== undefined) {
              yield { kind: 'reset', id: item.id, reason: (JSON.parse(item.data) as { reason: string }).reason };
              lastId = item.id;
            } else if (item.event === 'dropped') {
              yield { kind: 'dropped', count: (JSON.parse(item.data) as { count: number }).count };
            }
          }
        }
      } catch {
        // A cut connection: reconnect below, from lastId.
      } finally {
        await reader.cancel().catch(() => undefined);
      }
    }
    if (signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, retryMs);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
