import { ActivityEventSchema, CURRENT_SCHEMA_VERSION } from '@uap/shared/contract';
import { eventIdOfMessageId } from './segment-event-id';
import { mapSegmentMessage, type SegmentMapping, type SegmentMappingContext } from './segment-message.mapping';

const RECEIVED_AT = new Date('2026-03-01T12:00:00.000Z');
const ctx: SegmentMappingContext = {
  receivedAt: RECEIVED_AT,
  typeOfEventName: (name) => ({ 'Order Completed': 'PURCHASE' })[name],
  newMessageId: () => 'generated-message-id',
  maxFutureSkewMs: 300_000,
};

function mapped(result: SegmentMapping) {
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.errors)}`);
  return result.activity;
}

function refused(result: SegmentMapping) {
  if (result.ok) throw new Error('accepted');
  return result.errors;
}

describe('mapSegmentMessage', () => {
  it('when a track call is mapped, then every field sent is kept and the event is one the worker accepts', () => {
    const message = {
      type: 'track',
      messageId: 'node-next-1',
      userId: 'user_42',
      anonymousId: 'anon-1',
      event: 'Order Completed',
      properties: { orderId: 'o1', revenue: 12.5 },
      context: { library: { name: 'analytics-node' }, traits: { plan: 'pro' } },
      integrations: { All: true },
      timestamp: '2026-03-01T11:59:00.000Z',
      writeKey: 'secret-key',
      _metadata: { nodeVersion: '22' },
      channel: 'server',
    };

    const { event, fields } = mapped(mapSegmentMessage('track', message, {}, ctx));

    expect(event).toEqual({
      eventId: eventIdOfMessageId('node-next-1'),
      userId: 'user_42',
      anonymousId: 'anon-1',
      type: 'PURCHASE',
      occurredAt: '2026-03-01T11:59:00.000Z',
      metadata: { orderId: 'o1', revenue: 12.5 },
      segment: {
        call: 'track',
        messageId: 'node-next-1',
        event: 'Order Completed',
        timestamp: '2026-03-01T11:59:00.000Z',
        context: { library: { name: 'analytics-node' }, traits: { plan: 'pro' } },
        integrations: { All: true },
        extras: { _metadata: { nodeVersion: '22' }, channel: 'server' },
      },
    });
    expect(fields).toEqual({ type: 'event', metadata: 'properties' });
    expect(JSON.stringify(event)).not.toContain('secret-key');
    const stamped = {
      ...event,
      schemaVersion: CURRENT_SCHEMA_VERSION,
      receivedAt: RECEIVED_AT.toISOString(),
      context: { ip: '10.0.0.1' },
    };
    expect(ActivityEventSchema.safeParse(stamped).error?.issues).toBeUndefined();
  });

  it('when a track event has no explicit mapping, then its type is the name in UPPER_SNAKE', () => {
    const { event } = mapped(mapSegmentMessage('track', { anonymousId: 'a1', event: 'videoPlayed' }, {}, ctx));

    expect(event.type).toBe('VIDEO_PLAYED');
    expect(event.anonymousId).toBe('a1');
    expect(event.userId).toBeUndefined();
  });

  it.each([
    ['page', { name: 'Pricing', category: 'Docs', properties: { path: '/p' } }, 'PAGE_VIEW', { path: '/p' }],
    ['screen', { name: 'Home', properties: { tab: 1 } }, 'SCREEN', { tab: 1 }],
    ['identify', { traits: { email: 'ada@example.com' } }, 'IDENTIFY', { email: 'ada@example.com' }],
    ['group', { groupId: 'acme', traits: { size: 12 } }, 'GROUP', { size: 12 }],
  ] as const)('when the %s call is mapped, then it has its own type and metadata', (call, fields, type, metadata) => {
    const { event } = mapped(mapSegmentMessage(call, { userId: 'u1', ...fields }, {}, ctx));

    expect(event.type).toBe(type);
    expect(event.metadata).toEqual(metadata);
    expect(event.segment).toMatchObject({ call, ...('name' in fields ? { name: fields.name } : {}) });
    if (call === 'group') expect(event.segment?.groupId).toBe('acme');
  });

  it('when an alias is mapped, then previousId is the anonymousId it links and the message’s own is kept aside', () => {
    const { event } = mapped(
      mapSegmentMessage('alias', { userId: 'user_42', previousId: 'anon-1', anonymousId: 'anon-2' }, {}, ctx),
    );

    expect(event).toMatchObject({ type: 'ALIAS', userId: 'user_42', anonymousId: 'anon-1', metadata: {} });
    expect(event.segment).toMatchObject({ call: 'alias', previousId: 'anon-1', anonymousId: 'anon-2' });
  });

  it('when a message has no messageId, then it gets a generated one, kept, and its eventId is derived from it', () => {
    const { event } = mapped(mapSegmentMessage('identify', { userId: 'u1' }, {}, ctx));

    expect(event.segment?.messageId).toBe('generated-message-id');
    expect(event.eventId).toBe(eventIdOfMessageId('generated-message-id'));
  });

  it('when a batch message is mapped, then the batch context merges under its own and the batch sentAt corrects it', () => {
    const defaults = {
      context: { library: { name: 'analytics.js', version: '1' }, locale: 'de-DE' },
      sentAt: '2026-03-01T10:00:10.000Z',
    };
    const message = {
      type: 'page',
      anonymousId: 'a1',
      context: { library: { version: '2' }, page: { path: '/x' } },
      originalTimestamp: '2026-03-01T10:00:00.000Z',
    };

    const { event } = mapped(mapSegmentMessage(undefined, message, defaults, ctx));

    expect(event.segment?.context).toEqual({
      library: { name: 'analytics.js', version: '2' },
      locale: 'de-DE',
      page: { path: '/x' },
    });
    expect(event.occurredAt).toBe('2026-03-01T11:59:50.000Z');
    expect(event.segment).toMatchObject({ sentAt: defaults.sentAt, originalTimestamp: message.originalTimestamp });
  });

  it('when a message breaks several rules, then each is reported with its path and, where no schema states it, its rule', () => {
    const errors = refused(
      mapSegmentMessage(
        'track',
        { event: '404 Seen', properties: { 'a.b': 1 }, $set: { x: 1 }, messageId: '' },
        {},
        ctx,
      ),
    );

    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'userId', rule: 'user-or-anonymous-id' }),
        expect.objectContaining({ path: 'properties.a.b', rule: 'metadata-content' }),
        expect.objectContaining({ path: 'messageId' }),
        expect.objectContaining({ path: '$set', rule: 'metadata-content' }),
        expect.objectContaining({ path: 'event', rule: 'segment-event-name' }),
      ]),
    );
  });

  it('when the corrected time is beyond the allowed skew, then it is refused naming the clock it came from', () => {
    const errors = refused(
      mapSegmentMessage(
        'track',
        {
          userId: 'u1',
          event: 'X',
          originalTimestamp: '2026-03-01T13:00:00.000Z',
          sentAt: '2026-03-01T12:00:00.000Z',
        },
        {},
        ctx,
      ),
    );

    expect(errors).toEqual([expect.objectContaining({ path: 'originalTimestamp', rule: 'segment-event-time' })]);
  });

  it('when the corrected time falls before the year 0000, then it is refused rather than stored as an unreadable date', () => {
    const errors = refused(
      mapSegmentMessage(
        'identify',
        { userId: 'u1', timestamp: '0001-01-01T00:00:00Z', sentAt: '9999-12-31T00:00:00Z' },
        {},
        ctx,
      ),
    );

    expect(errors).toEqual([expect.objectContaining({ path: 'timestamp', rule: 'segment-event-time' })]);
  });

  it.each([
    ['not an object', 42, '(root)'],
    ['a batch item without a type', { userId: 'u1', event: 'x' }, 'type'],
    ['a batch item of an unknown type', { type: 'screenview', userId: 'u1' }, 'type'],
  ])('when the message is %s (%j), then it is refused at %s', (_label, message, path) => {
    expect(refused(mapSegmentMessage(undefined, message, {}, ctx)).map((e) => e.path)).toEqual([path]);
  });

  it('when a call’s body names another call in type, then it is refused', () => {
    const errors = refused(mapSegmentMessage('track', { type: 'page', userId: 'u1', event: 'x' }, {}, ctx));

    expect(errors.map((e) => e.path)).toEqual(['type']);
  });

  it('when the batch context merged in passes the per-message limit, then the message is refused at context', () => {
    const defaults = { context: { big: 'x'.repeat(20_000) } };
    const message = { type: 'identify', userId: 'u1', context: { other: 'y'.repeat(20_000) } };

    const errors = refused(mapSegmentMessage(undefined, message, defaults, ctx));

    expect(errors).toEqual([expect.objectContaining({ path: 'context', rule: 'metadata-content' })]);
  });

  it('when a merged context has a __proto__ key, then it stays a key (and is refused), never a prototype', () => {
    const message = JSON.parse('{"type":"identify","userId":"u1","context":{"__proto__":{"polluted":true}}}');

    const errors = refused(mapSegmentMessage(undefined, message, { context: { a: 1 } }, ctx));

    expect(errors[0]).toMatchObject({ path: 'context.__proto__', rule: 'metadata-content' });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
