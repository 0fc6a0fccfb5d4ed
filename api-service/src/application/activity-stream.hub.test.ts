import { anActivity } from '@uap/shared/testing';
import { decodePosition } from '../domain/stream-position';
import { ActivityStreamHub, type HubConfig, type StreamMessage } from './activity-stream.hub';

const CONFIG: HubConfig = { windowEvents: 10, windowMs: 60_000, maxBufferedEvents: 1_000, queueSize: 5 };

function setUp(config: Partial<HubConfig> = {}) {
  let clock = 0;
  const hub = new ActivityStreamHub({ ...CONFIG, ...config }, { now: () => clock });
  hub.start(
    new Map([
      [0, 100],
      [1, 200],
    ]),
  );
  const offsets = new Map([
    [0, 100],
    [1, 200],
  ]);
  const publish = (partition: number, overrides = {}) => {
    const event = anActivity(overrides);
    const offset = offsets.get(partition)!;
    offsets.set(partition, offset + 1);
    hub.publish(partition, offset, event);
    return event;
  };
  return { hub, publish, advance: (ms: number) => (clock += ms) };
}

const ids = (messages: StreamMessage[]) =>
  messages.flatMap((m) =>
    m.kind === 'activity' ? [m.event.eventId] : [`<${m.kind}${m.kind === 'dropped' ? ` ${m.count}` : ''}>`],
  );

describe('ActivityStreamHub', () => {
  it('when an event is published to several subscribers, then it is serialized once and each gets that JSON', () => {
    const serialized: string[] = [];
    const hub = new ActivityStreamHub(CONFIG, {
      serialize: (event) => {
        serialized.push(event.eventId);
        return `{"id":"${event.eventId}"}`;
      },
    });
    hub.start(new Map([[0, 0]]));
    const subs = [hub.subscribe({}), hub.subscribe({}), hub.subscribe({ userId: 'alice' })];
    const event = anActivity({ userId: 'alice' });

    hub.publish(0, 0, event);

    expect(serialized).toEqual([event.eventId]);
    for (const sub of subs) {
      expect(hub.take(sub, 10)).toEqual([
        {
          kind: 'activity',
          id: expect.any(String),
          event: { eventId: event.eventId, userId: 'alice', type: event.type, json: `{"id":"${event.eventId}"}` },
        },
      ]);
    }
  });

  it('when subscribers filter by user and type, then each gets exactly its events, in order', () => {
    const { hub, publish } = setUp();
    const alice = hub.subscribe({ userId: 'alice' });
    const searches = hub.subscribe({ types: ['SEARCH'] });
    const a1 = publish(0, { userId: 'alice', type: 'LOGIN' });
    const b1 = publish(1, { userId: 'bob', type: 'SEARCH', metadata: { query: 'q' } });
    const a2 = publish(0, { userId: 'alice', type: 'SEARCH', metadata: { query: 'q' } });

    expect(ids(hub.take(alice, 100))).toEqual([a1.eventId, a2.eventId]);
    expect(ids(hub.take(searches, 100))).toEqual([b1.eventId, a2.eventId]);
    expect(hub.take(alice, 100)).toEqual([]);
  });

  it('when events of anonymous visitors flow, then the userId filter skips them and the anonymousId filter takes its own', () => {
    const { hub, publish } = setUp();
    const alice = hub.subscribe({ userId: 'alice' });
    const visitor = hub.subscribe({ anonymousId: 'anon-1' });
    const visitorViews = hub.subscribe({ anonymousId: 'anon-1', types: ['PAGE_VIEW'] });
    const view = publish(0, { userId: undefined, anonymousId: 'anon-1', type: 'PAGE_VIEW' });
    publish(1, { userId: undefined, anonymousId: 'anon-2', type: 'PAGE_VIEW' });
    const identify = publish(0, { userId: 'alice', anonymousId: 'anon-1', type: 'IDENTIFY' });
    const login = publish(1, { userId: 'alice', type: 'LOGIN' });

    expect(ids(hub.take(alice, 100))).toEqual([identify.eventId, login.eventId]);
    expect(ids(hub.take(visitor, 100))).toEqual([view.eventId, identify.eventId]);
    expect(ids(hub.take(visitorViews, 100))).toEqual([view.eventId]);
  });

  it('when a client resumes from the id of the last event it got, then it gets every later event once and no earlier one', () => {
    const { hub, publish } = setUp();
    const first = hub.subscribe({});
    publish(0);
    publish(1);
    const seen = hub.take(first, 100);
    hub.unsubscribe(first);
    const missed = [publish(1), publish(0), publish(0)];

    const resumed = hub.subscribe({}, decodePosition((seen[1] as { id: string }).id));

    expect(ids(hub.take(resumed, 100))).toEqual(missed.map((e) => e.eventId));
  });

  it('when the resume position is older than the window, then the client is told to reset and continues live', () => {
    const { hub, publish, advance } = setUp();
    const sub = hub.subscribe({});
    publish(0);
    const [old] = hub.take(sub, 100);
    advance(61_000);
    for (let i = 0; i < 12; i++) publish(0);
    advance(61_000);
    publish(1);

    const resumed = hub.subscribe({}, decodePosition((old as { id: string }).id));
    const live = publish(0);

    expect(ids(hub.take(resumed, 100))).toEqual(['<reset>', live.eventId]);
  });

  it('when a subscriber does not take its events, then its backlog stays at the queue size and the rest is reported dropped', () => {
    const { hub, publish } = setUp();
    const slow = hub.subscribe({});
    const events = Array.from({ length: 12 }, () => publish(0));

    expect(slow.pending).toBe(5);
    expect(ids(hub.take(slow, 100))).toEqual(['<dropped 7>', ...events.slice(7).map((e) => e.eventId)]);
    expect(hub.stats()).toMatchObject({ dropped: 7, sent: 5 });
  });

  it('when the buffer reaches its hard cap, then the oldest events are evicted whatever the window says', () => {
    const { hub, publish } = setUp({ windowEvents: 100, maxBufferedEvents: 20, queueSize: 1_000 });
    for (let i = 0; i < 50; i++) publish(i % 2);
    expect(hub.stats().buffered).toBe(20);
  });

  it('when many times the cap have passed through, then a reader that keeps up gets every event in order and a resume gets the window', () => {
    const { hub, publish } = setUp({ windowEvents: 100, maxBufferedEvents: 300, queueSize: 10_000 });
    const reader = hub.subscribe({});
    const published: string[] = [];
    const read: string[] = [];
    let resumeFrom = '';
    for (let i = 0; i < 5_000; i++) {
      published.push(publish(i % 2).eventId);
      if (i % 7 === 0) {
        const messages = hub.take(reader, 50);
        read.push(...ids(messages));
        if (i === 4_900)
          resumeFrom = messages.at(-1)!.kind === 'activity' ? (messages.at(-1) as { id: string }).id : '';
      }
    }
    read.push(...ids(hub.take(reader, 10_000)));
    expect(read).toEqual(published);
    expect(hub.stats()).toMatchObject({ buffered: 300, dropped: 0 });
    const resumed = hub.subscribe({}, decodePosition(resumeFrom));
    expect(ids(hub.take(resumed, 10_000))).toEqual(published.slice(4_901));
  });

  it('when a subscriber leaves, then it gets nothing more and is not counted', () => {
    const { hub, publish } = setUp();
    const sub = hub.subscribe({});
    hub.unsubscribe(sub);
    publish(0);
    expect(sub.pending).toBe(0);
    expect(hub.stats().subscribers).toBe(0);
  });
});
