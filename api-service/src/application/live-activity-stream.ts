import type { Logger } from '@uap/shared/runtime';
import type { StreamPosition } from '../domain/stream-position';
import type { ActivityStreamHub, StreamFilter, StreamMessage, Subscription } from './activity-stream.hub';
import type { StreamFeed } from './ports/stream-feed.port';

export interface LiveStreamConfig {
  /** How long the feed keeps reading after the last subscriber left, so a quick reconnect finds it warm. */
  idleStopMs: number;
}

/**
 * The live stream as subscribers see it: the hub, fed from the topic only while someone subscribes. An api
 * with no subscriber reads nothing back from the broker (issue 25: the always-on reader cost every api most of
 * its batch ingest rate, and Kafka a third of a core). Resume keeps its promise across a stop: a subscriber
 * with a Last-Event-ID that starts the feed starts it at that position, which the topic holds for its
 * retention, not only the hub's window; one that arrives while the feed runs resumes from the window as
 * before (or gets `reset`).
 */
export class LiveActivityStream {
  /** Start and stop in order: a subscriber that comes while the feed stops waits for the stop, then starts it. */
  private lifecycle: Promise<unknown> = Promise.resolve();
  private running = false;
  private joining = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  constructor(
    private readonly config: LiveStreamConfig,
    private readonly deps: { hub: ActivityStreamHub; feed: StreamFeed; logger: Logger },
  ) {
    this.log = deps.logger.child({ component: 'live-activity-stream' });
  }

  /** A subscriber, once the feed runs; rejects (retriable) when the feed cannot start. */
  async subscribe(filter: StreamFilter, from?: StreamPosition): Promise<Subscription> {
    this.joining++;
    try {
      clearTimeout(this.idleTimer);
      await this.inOrder(async () => {
        if (this.running) return;
        await this.deps.feed.start(from);
        this.running = true;
        this.log.info({ resume: from !== undefined }, 'live stream feed started for a subscriber');
      });
      return this.deps.hub.subscribe(filter, from);
    } finally {
      this.joining--;
    }
  }

  take(sub: Subscription, max: number): StreamMessage[] {
    return this.deps.hub.take(sub, max);
  }

  unsubscribe(sub: Subscription): void {
    this.deps.hub.unsubscribe(sub);
    if (this.idle()) {
      clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(() => void this.stopIfIdle(), this.config.idleStopMs);
      this.idleTimer.unref();
    }
  }

  /** Shutdown: the feed stops whoever is subscribed (the server ends their streams first). */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    await this.inOrder(() => this.stopFeed());
  }

  private idle(): boolean {
    return this.joining === 0 && this.deps.hub.stats().subscribers === 0;
  }

  private async stopIfIdle(): Promise<void> {
    await this.inOrder(async () => {
      if (this.idle()) await this.stopFeed();
    }).catch((err: unknown) => this.log.warn({ err }, 'live stream feed did not stop cleanly'));
  }

  private async stopFeed(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.deps.feed.stop();
    this.log.info('live stream feed stopped: no subscribers');
  }

  private inOrder(step: () => Promise<void>): Promise<void> {
    const next = this.lifecycle.then(step);
    this.lifecycle = next.catch(() => undefined);
    return next;
  }
}
