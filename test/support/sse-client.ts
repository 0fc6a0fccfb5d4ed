import { SseParser, type SseEvent } from '@uap/client';
import { waitUntil } from './wait-until';

export type { SseEvent };

/**
 * A minimal EventSource over fetch, for tests: collects every event of one connection. Comments
 * (heartbeats) are counted, not kept.
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  comments = 0;
  status = 0;
  ended = false;
  private readonly controller = new AbortController();
  private done!: Promise<void>;

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    const res = await fetch(url, { headers, signal: client.controller.signal });
    client.status = res.status;
    if (!res.ok || !res.body) {
      client.ended = true;
      client.done = Promise.resolve();
      return client;
    }
    client.done = client.read(res.body);
    return client;
  }

  activities<T = { eventId: string; userId: string; type: string }>(): T[] {
    return this.events.filter((e) => e.event === 'activity').map((e) => JSON.parse(e.data) as T);
  }

  lastId(): string | undefined {
    return [...this.events].reverse().find((e) => e.id !== undefined)?.id;
  }

  async waitFor(what: string, count: (client: SseClient) => boolean, timeoutMs = 15_000): Promise<void> {
    await waitUntil(what, () => (count(this) ? true : undefined), {
      timeoutMs,
      intervalMs: 50,
      describe: () => `${this.events.length} events so far: ${this.events.map((e) => e.event).join(',')}`,
    });
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.done.catch(() => undefined);
  }

  /** Resolves when the server ended the stream. */
  finished(): Promise<void> {
    return this.done;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    const parser = new SseParser();
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        for (const item of parser.feed(decoder.decode(chunk, { stream: true }))) {
          if (item.kind === 'comment') this.comments++;
          else if (item.kind === 'event') {
            const { kind: _kind, ...event } = item;
            this.events.push(event);
          }
        }
      }
    } catch {
      // Aborted by close().
    } finally {
      this.ended = true;
    }
  }
}
