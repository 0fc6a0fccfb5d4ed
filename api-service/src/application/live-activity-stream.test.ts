import { anActivityInput } from '@uap/shared/testing';
import { createActivityEvent } from '@uap/shared/contract';
import pino from 'pino';
import { ActivityStreamHub } from './activity-stream.hub';
import { LiveActivityStream } from './live-activity-stream';
import type { StreamFeed } from './ports/stream-feed.port';
import { decodePosition, type StreamPosition } from '../domain/stream-position';

const IDLE_MS = 1_000;

/** A feed over a fake topic of one partition: starts the hub where asked (or at the end), records each call. */
class FakeFeed implements StreamFeed {
  readonly calls: string[] = [];
  end = 10;
  failNext = false;
  /** Each start waits for this, so a test can hold a start in progress. */
  gate: Promise<void> = Promise.resolve();

  constructor(private readonly hub: ActivityStreamHub) {}

  async start(from?: StreamPosition): Promise<void> {
    this.calls.push(from ? `start at ${from.get(0)}` : 'start at end');
    if (this.failNext) {
      this.failNext = false;
      throw new Error('broker unreachable');
    }
    await this.gate;
    this.hub.start(new Map([[0, from?.get(0) ?? this.end]]));
  }

  async stop(): Promise<void> {
    this.calls.push('stop');
    this.hub.clear();
  }
}

function setUp() {
  const hub = new ActivityStreamHub({ windowEvents: 100, windowMs: 60_000, maxBufferedEvents: 1_000, queueSize: 50 });
  const feed = new FakeFeed(hub);
  const live = new LiveActivityStream({ idleStopMs: IDLE_MS }, { hub, feed, logger: pino({ level: 'silent' }) });
  return { hub, feed, live };
}

const event = () => createActivityEvent(anActivityInput(), { receivedAt: new Date(), context: {} });

describe('LiveActivityStream', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('when nobody has subscribed, then the feed is not started', () => {
    const { feed } = setUp();
    expect(feed.calls).toEqual([]);
  });

  it('when two subscribers come at once, then the feed starts once and both are placed after it started', async () => {
    const { feed, live, hub } = setUp();
    let open!: () => void;
    feed.gate = new Promise((resolve) => (open = resolve));
    const first = live.subscribe({});
    const second = live.subscribe({});
    await jest.advanceTimersByTimeAsync(0);
    expect(hub.stats().subscribers).toBe(0);
    open();
    await Promise.all([first, second]);
    expect(feed.calls).toEqual(['start at end']);
    expect(hub.stats().subscribers).toBe(2);
  });

  it('when the last subscriber leaves, then the feed stops after the idle time, not before, and not while another joined', async () => {
    const { feed, live } = setUp();
    const a = await live.subscribe({});
    live.unsubscribe(a);
    await jest.advanceTimersByTimeAsync(IDLE_MS - 1);
    const b = await live.subscribe({});
    await jest.advanceTimersByTimeAsync(IDLE_MS * 2);
    expect(feed.calls).toEqual(['start at end']);

    live.unsubscribe(b);
    await jest.advanceTimersByTimeAsync(IDLE_MS);
    expect(feed.calls).toEqual(['start at end', 'stop']);
  });

  it('when a client resumes after the feed stopped, then the feed starts at its position and it gets every event after it', async () => {
    const { feed, live, hub } = setUp();
    const first = await live.subscribe({});
    hub.publish(0, 10, event());
    const [message] = live.take(first, 10);
    expect(message?.kind).toBe('activity');
    const lastId = message!.kind === 'activity' ? message!.id : '';
    live.unsubscribe(first);
    await jest.advanceTimersByTimeAsync(IDLE_MS);
    expect(feed.calls).toEqual(['start at end', 'stop']);

    // Events 11 and 12 were published while nobody read; the resume position is 11.
    const from = decodePosition(lastId)!;
    const resumed = await live.subscribe({}, from);
    expect(feed.calls).toEqual(['start at end', 'stop', 'start at 11']);
    const missed = [event(), event()];
    hub.publish(0, 11, missed[0]!);
    hub.publish(0, 12, missed[1]!);
    const got = live.take(resumed, 10);
    expect(got.map((m) => m.kind)).toEqual(['activity', 'activity']);
    expect(got.map((m) => (m.kind === 'activity' ? m.event.eventId : ''))).toEqual(missed.map((e) => e.eventId));
  });

  it('when the feed cannot start, then subscribe rejects and the next subscriber tries again', async () => {
    const { feed, live } = setUp();
    feed.failNext = true;
    await expect(live.subscribe({})).rejects.toThrow('broker unreachable');
    await expect(live.subscribe({})).resolves.toBeDefined();
    expect(feed.calls).toEqual(['start at end', 'start at end']);
  });

  it('when the api shuts down, then the feed stops even with subscribers', async () => {
    const { feed, live } = setUp();
    await live.subscribe({});
    await live.close();
    expect(feed.calls).toEqual(['start at end', 'stop']);
  });
});
