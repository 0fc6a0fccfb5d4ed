import type { HttpTransport } from '@uap/client';
import { failureText } from './api.client';
import type { Activity, StreamTicket } from './api.types';

export interface StreamHandlers {
  onActivity(activity: Activity): void;
  onState(text: string, kind?: 'ok' | 'error'): void;
}

/**
 * The live stream for a browser. EventSource cannot send headers, so each connection redeems a single-use
 * ticket (POST /api/v1/stream-tickets) and the key never reaches a URL. EventSource's own reconnect would
 * present the spent ticket again, so on any error or `reconnect` this closes it and opens a new connection
 * with a new ticket, resuming after the last id it saw (lastEventId): no gap, no repeat.
 */
export class LiveStream {
  private source: EventSource | undefined;
  private lastId: string | undefined;
  private retryMs = 1_000;
  private timer: number | undefined;
  private stopped = false;

  constructor(
    private readonly api: HttpTransport,
    private readonly handlers: StreamHandlers,
  ) {}

  async open(): Promise<void> {
    this.stopped = false;
    let ticket: string;
    try {
      ({ ticket } = await this.api.requestJson<StreamTicket>('/api/v1/stream-tickets', { method: 'POST' }));
    } catch (err) {
      this.handlers.onState(`Cannot open the stream: ${failureText(err)}`, 'error');
      this.reopenLater();
      return;
    }
    if (this.stopped) return;
    const query = new URLSearchParams({ ticket });
    if (this.lastId !== undefined) query.set('lastEventId', this.lastId);
    const source = new EventSource(`/api/v1/activities/stream?${query.toString()}`);
    this.source = source;
    source.addEventListener('open', () => {
      this.retryMs = 1_000;
      this.handlers.onState('Live');
    });
    source.addEventListener('activity', (event) => {
      const message = event as MessageEvent<string>;
      if (message.lastEventId) this.lastId = message.lastEventId;
      this.handlers.onActivity(JSON.parse(message.data) as Activity);
    });
    source.addEventListener('reset', (event) => {
      const message = event as MessageEvent<string>;
      if (message.lastEventId) this.lastId = message.lastEventId;
      this.handlers.onState('Live (some events were older than the resume window: the table has them)');
    });
    source.addEventListener('dropped', (event) => {
      const { count } = JSON.parse((event as MessageEvent<string>).data) as { count: number };
      this.handlers.onState(`Live; this page fell behind and missed ${count} events`, 'error');
    });
    source.addEventListener('reconnect', () => this.restart('Reconnecting…'));
    source.addEventListener('error', () => this.restart('Connection lost; reconnecting…'));
  }

  close(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
    this.source?.close();
    this.source = undefined;
  }

  private restart(text: string): void {
    this.source?.close();
    this.source = undefined;
    if (this.stopped) return;
    this.handlers.onState(text, 'error');
    this.reopenLater();
  }

  private reopenLater(): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.open(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 15_000);
  }
}
