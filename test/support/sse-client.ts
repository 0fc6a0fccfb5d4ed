import { waitUntil } from './wait-until';

export interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

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
    let buffer = '';
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          this.parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // Aborted by close().
    } finally {
      this.ended = true;
    }
  }

  private parse(block: string): void {
    const event: SseEvent = { event: 'message', data: '' };
    let isEvent = false;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments++;
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event.event = value;
      else if (field === 'id') event.id = value;
      else if (field === 'data') event.data += event.data ? `\n${value}` : value;
      else continue; // retry: and unknown fields
      isEvent = true;
    }
    if (isEvent) this.events.push(event);
  }
}
