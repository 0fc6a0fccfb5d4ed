import { anActivity } from '../../testing/activity.fixtures';
import { decodeActivityMessage, encodeActivityMessage } from './activity-message';
import { HEADERS } from './topics';

describe('activity message format', () => {
  it('when an event is encoded, then it is keyed by userId with type and version headers, and decodes back', () => {
    const event = anActivity({ userId: 'alice' });
    const message = encodeActivityMessage(event, 'req-1');
    expect(message.key).toBe('alice');
    expect(message.headers).toMatchObject({
      [HEADERS.eventType]: 'LOGIN',
      [HEADERS.schemaVersion]: '1',
      [HEADERS.requestId]: 'req-1',
    });
    expect(decodeActivityMessage(Buffer.from(message.value))).toEqual({ ok: true, event });
  });

  it('when an event has a source, then the message carries it as the source-id header; without one, no header', () => {
    const sourced = encodeActivityMessage({ ...anActivity(), sourceId: 'web' });
    const unsourced = encodeActivityMessage(anActivity());
    expect(sourced.headers[HEADERS.sourceId]).toBe('web');
    expect(decodeActivityMessage(sourced.value)).toMatchObject({ ok: true, event: { sourceId: 'web' } });
    expect(Object.keys(unsourced.headers)).not.toContain(HEADERS.sourceId);
  });

  it.each([
    ['not JSON', '{oops', 'invalid-json'],
    ['a null value', null, 'invalid-json'],
    ['version 2', JSON.stringify({ ...anActivity(), schemaVersion: 2 }), 'unknown-schema-version'],
    ['a bad userId', JSON.stringify(anActivity({ userId: '' })), 'schema-violation'],
  ])('when the value is %s, then it is classified as %s', (_label, value, reason) => {
    expect(decodeActivityMessage(value)).toMatchObject({ ok: false, reason });
  });

  it('when another producer sends metadata with an array inside an array, then it is a schema violation naming the path, never handed to a store', () => {
    const decoded = decodeActivityMessage(JSON.stringify(anActivity({ metadata: { a: [[1]] } })));
    expect(decoded).toMatchObject({ ok: false, reason: 'schema-violation' });
    expect(decoded.ok ? '' : decoded.error).toMatch(/^metadata\.a\.0: nested arrays are not supported/);
  });
});
