import type { ActivityEvent, ActivityType } from '@uap/shared/contract';
import { encodePosition, type StreamPosition } from '../domain/stream-position';

export interface StreamFilter {
  readonly userId?: string;
  readonly anonymousId?: string;
  readonly types?: readonly ActivityType[];
}

export interface HubConfig {
  /** Resume works at least this far back in events… */
  windowEvents: number;
  /** …or in time, whichever reaches further. */
  windowMs: number;
  /** Hard cap on buffered events whatever the window says, so memory stays bounded at any rate. */
  maxBufferedEvents: number;
  /** Matching events a subscriber may have unsent before the oldest are dropped (plus a resume's backlog). */
  queueSize: number;
}

/**
 * What the hub keeps of an event: what filters read, and its JSON for the wire, serialized once for every
 * subscriber. Keeping the decoded event instead made each buffered event several times larger (issue 25's soak);
 * the window holds up to a minute of traffic.
 */
export interface StreamedActivity {
  readonly eventId: string;
  /** At least one of the two: an anonymous visitor's events have no userId. */
  readonly userId: string | undefined;
  readonly anonymousId: string | undefined;
  readonly type: ActivityType;
  readonly json: string;
}

export type StreamMessage =
  | { kind: 'activity'; id: string; event: StreamedActivity }
  | { kind: 'dropped'; count: number }
  | { kind: 'reset'; reason: string; id: string };

interface Item {
  seq: number;
  partition: number;
  offset: number;
  event: StreamedActivity;
  at: number;
  /** The stream position right after this event: its SSE id. */
  id: string;
}

export interface HubStats {
  subscribers: number;
  buffered: number;
  sent: number;
  dropped: number;
}

/** Evicted slots are dropped from the array once there are this many and they are half of it (amortised O(1)). */
const COMPACT_FROM = 1_024;

const matches = (filter: StreamFilter, event: StreamedActivity) =>
  (filter.userId === undefined || event.userId === filter.userId) &&
  (filter.anonymousId === undefined || event.anonymousId === filter.anonymousId) &&
  (filter.types === undefined || filter.types.includes(event.type));

/**
 * One subscriber: a cursor into the hub's shared buffer, not a copy of it, so fan-out costs a counter
 * per subscriber and memory does not grow with subscribers. `pending` counts the matching events it
 * has not taken yet; past its limit the oldest are skipped and reported as dropped.
 */
export class Subscription {
  nextSeq: number;
  pending = 0;
  dropped = 0;
  /** A resume's backlog may exceed the queue size once; it shrinks as it is sent. */
  allowance = 0;
  closed = false;
  private readonly floor: Map<number, number>;
  private readonly pendingMessages: StreamMessage[] = [];
  notify: () => void = () => undefined;

  constructor(
    readonly filter: StreamFilter,
    nextSeq: number,
    floor: StreamPosition,
  ) {
    this.nextSeq = nextSeq;
    this.floor = new Map(floor);
  }

  /** Whether the item is one this subscriber should get (its filter, and past its resume position). */
  wants(item: Pick<Item, 'partition' | 'offset' | 'event'>): boolean {
    const floor = this.floor.get(item.partition);
    return (floor === undefined || item.offset >= floor) && matches(this.filter, item.event);
  }

  say(message: StreamMessage): void {
    this.pendingMessages.push(message);
  }

  takeNotices(): StreamMessage[] {
    return this.pendingMessages.splice(0);
  }
}

/**
 * The live activity stream of one API instance: a bounded window of recent events (fed by the stream
 * consumer) that every subscriber reads at its own pace. Publishing never waits for a subscriber.
 */
export class ActivityStreamHub {
  /**
   * The window: `items[head]` onwards, oldest first. Evicting moves `head` instead of splicing the array's front
   * (a memmove of the whole window for every event once it is full: at the 200,000-event cap that cost the api
   * more than half its ingest rate while a stream was open); the dead prefix is cut off once it is half the array.
   */
  private items: Item[] = [];
  private head = 0;
  private seq = 0;
  private readonly position = new Map<number, number>();
  /** Per partition, the lowest offset from which the buffer still holds every event. */
  private readonly retainedFrom = new Map<number, number>();
  private readonly subscriptions = new Set<Subscription>();
  private sent = 0;
  private droppedTotal = 0;
  private readonly now: () => number;
  private readonly serialize: (event: ActivityEvent) => string;

  /** `serialize`: an event's JSON as subscribers receive it (the HTTP layer's DTO); by default the event itself. */
  constructor(
    private readonly config: HubConfig,
    deps: { now?: () => number; serialize?: (event: ActivityEvent) => string } = {},
  ) {
    this.now = deps.now ?? Date.now;
    this.serialize = deps.serialize ?? JSON.stringify;
  }

  stats(): HubStats {
    return {
      subscribers: this.subscriptions.size,
      buffered: this.items.length - this.head,
      sent: this.sent,
      dropped: this.droppedTotal,
    };
  }

  /**
   * Where the stream consumer starts: every partition's next offset. From then on the buffer holds
   * every event of every partition (until evicted), so a resume position can be checked for gaps.
   */
  start(from: StreamPosition): void {
    for (const [partition, offset] of from) {
      this.position.set(partition, offset);
      this.retainedFrom.set(partition, offset);
    }
  }

  /** Forgets the window and the positions (the feed stopped reading); the next start() sets them anew. */
  clear(): void {
    this.items = [];
    this.head = 0;
    this.position.clear();
    this.retainedFrom.clear();
  }

  /** The sequence number of the oldest buffered event (the next one's when the window is empty). */
  private firstSeq(): number {
    return this.items[this.head]?.seq ?? this.seq;
  }

  /** The buffered event with this sequence number, which must be in the window. */
  private itemAt(seq: number): Item {
    return this.items[this.head + seq - this.firstSeq()]!;
  }

  /** Where the stream is now: what a new subscriber without a resume token starts after. */
  currentPosition(): StreamPosition {
    return new Map(this.position);
  }

  publish(partition: number, offset: number, event: ActivityEvent): void {
    if (!this.retainedFrom.has(partition)) this.retainedFrom.set(partition, offset);
    this.position.set(partition, offset + 1);
    const streamed: StreamedActivity = {
      eventId: event.eventId,
      userId: event.userId,
      anonymousId: event.anonymousId,
      type: event.type,
      json: this.serialize(event),
    };
    const item: Item = {
      seq: this.seq++,
      partition,
      offset,
      event: streamed,
      at: this.now(),
      id: encodePosition(this.position),
    };
    this.items.push(item);
    this.evict();
    for (const sub of this.subscriptions) {
      if (!sub.wants(item)) continue;
      sub.pending++;
      if (sub.pending > this.config.queueSize + sub.allowance) this.dropOldest(sub);
      sub.notify();
    }
  }

  /**
   * A new subscriber. Without `from` it starts live. With `from` (a Last-Event-ID) it first gets every
   * buffered event after that position, or, when the position is older than the window, a `reset`
   * notice and then the live stream.
   */
  subscribe(filter: StreamFilter, from?: StreamPosition): Subscription {
    if (from === undefined) {
      const sub = new Subscription(filter, this.seq, new Map());
      this.subscriptions.add(sub);
      return sub;
    }
    const gap = [...this.retainedFrom].some(([partition, retained]) => (from.get(partition) ?? 0) < retained);
    if (gap) {
      const sub = new Subscription(filter, this.seq, new Map());
      // With the live position as its id, so a client that reconnects before its next event does not reset again.
      sub.say({
        kind: 'reset',
        reason: 'the resume position is older than this server keeps; reload with the list API',
        id: encodePosition(this.position),
      });
      this.subscriptions.add(sub);
      return sub;
    }
    const sub = new Subscription(filter, this.firstSeq(), from);
    for (let i = this.head; i < this.items.length; i++) if (sub.wants(this.items[i]!)) sub.pending++;
    sub.allowance = sub.pending;
    this.subscriptions.add(sub);
    return sub;
  }

  unsubscribe(sub: Subscription): void {
    sub.closed = true;
    this.subscriptions.delete(sub);
  }

  /** Up to `max` messages for this subscriber: notices first (reset, dropped), then its next events. */
  take(sub: Subscription, max: number): StreamMessage[] {
    const out = sub.takeNotices();
    if (sub.dropped > 0) {
      out.push({ kind: 'dropped', count: sub.dropped });
      sub.dropped = 0;
    }
    for (let seq = Math.max(sub.nextSeq, this.firstSeq()); seq < this.seq && out.length < max; seq++) {
      const item = this.itemAt(seq);
      sub.nextSeq = seq + 1;
      if (!sub.wants(item)) continue;
      out.push({ kind: 'activity', id: item.id, event: item.event });
      sub.pending = Math.max(0, sub.pending - 1);
      sub.allowance = Math.max(0, sub.allowance - 1);
      this.sent++;
    }
    return out;
  }

  /** Skips the subscriber's oldest matching events until it is within its limit again. */
  private dropOldest(sub: Subscription): void {
    let seq = Math.max(sub.nextSeq, this.firstSeq());
    while (sub.pending > this.config.queueSize + sub.allowance && seq < this.seq) {
      const item = this.itemAt(seq);
      seq++;
      if (!sub.wants(item)) continue;
      sub.pending--;
      sub.dropped++;
      this.droppedTotal++;
    }
    sub.nextSeq = seq;
  }

  private evict(): void {
    const now = this.now();
    const { windowEvents, windowMs, maxBufferedEvents } = this.config;
    const size = this.items.length - this.head;
    let drop = 0;
    while (
      drop < size &&
      (size - drop > maxBufferedEvents ||
        (size - drop > windowEvents && now - this.items[this.head + drop]!.at > windowMs))
    ) {
      drop++;
    }
    if (drop === 0) return;
    const from = this.head;
    this.head += drop;
    const first = this.firstSeq();
    for (let i = from; i < this.head; i++) {
      const item = this.items[i]!;
      this.retainedFrom.set(item.partition, item.offset + 1);
      // A subscriber whose next events were evicted has lost them: count them as dropped.
      for (const sub of this.subscriptions) {
        if (item.seq >= sub.nextSeq && sub.wants(item)) {
          sub.pending = Math.max(0, sub.pending - 1);
          sub.dropped++;
          this.droppedTotal++;
        }
      }
    }
    for (const sub of this.subscriptions) if (sub.nextSeq < first) sub.nextSeq = first;
    if (this.head > COMPACT_FROM && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
