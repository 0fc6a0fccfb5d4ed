import { anActivity } from '@uap/shared/testing';
import { toStreamJson } from './activity-stream.router';

describe('toStreamJson', () => {
  it('when an anonymous visitor’s event is streamed, then it carries its anonymousId and no userId', () => {
    const event = anActivity({ userId: undefined, anonymousId: 'anon-1', type: 'PAGE_VIEW' });

    const json = JSON.parse(toStreamJson(event)) as Record<string, unknown>;

    expect(json).toMatchObject({ eventId: event.eventId, anonymousId: 'anon-1', type: 'PAGE_VIEW' });
    expect(json).not.toHaveProperty('userId');
  });

  it('when an event came through the Segment surface, then its segment fields are streamed with it', () => {
    const segment = { call: 'track' as const, messageId: 'm-1', event: 'Order Completed' };
    const event = anActivity({ userId: 'alice', anonymousId: 'anon-1', type: 'PURCHASE', segment });

    expect(JSON.parse(toStreamJson(event))).toMatchObject({ userId: 'alice', anonymousId: 'anon-1', segment });
    expect(JSON.parse(toStreamJson(anActivity()))).not.toHaveProperty('segment');
  });

  it('when an event was sent with a key bound to a source, then its sourceId is streamed; otherwise there is none', () => {
    expect(JSON.parse(toStreamJson(anActivity({ sourceId: 'web' })))).toMatchObject({ sourceId: 'web' });
    expect(JSON.parse(toStreamJson(anActivity()))).not.toHaveProperty('sourceId');
  });
});
