import { HEADERS } from '../messaging/topics';
import { anActivity } from '../../testing/activity.fixtures';
import { type ConsumedLetter, originalHeaders, payloadOf, toDeadLetterRecord } from './dead-letter';

const NOW = new Date('2026-11-28T12:00:00.000Z');

function aLetter(overrides: Partial<ConsumedLetter> = {}): ConsumedLetter {
  return {
    topic: 'user-activities.dlq',
    partition: 0,
    offset: '41',
    timestamp: String(Date.parse('2026-11-28T11:00:00.000Z')),
    key: Buffer.from('user-1'),
    value: Buffer.from('{oops'),
    headers: {
      [HEADERS.requestId]: Buffer.from('req-1'),
      [HEADERS.dlqReason]: Buffer.from('invalid-json'),
      [HEADERS.dlqError]: Buffer.from('Unexpected token o'),
      [HEADERS.sourceTopic]: Buffer.from('user-activities'),
      [HEADERS.sourcePartition]: Buffer.from('3'),
      [HEADERS.sourceOffset]: Buffer.from('1200'),
      [HEADERS.failedAt]: Buffer.from('2026-11-28T11:00:01.000Z'),
    },
    ...overrides,
  };
}

describe('toDeadLetterRecord', () => {
  it('when a letter from the worker is indexed, then its headers become fields and its id is its DLQ position', () => {
    const record = toDeadLetterRecord(aLetter(), 3, NOW);

    expect(record).toMatchObject({
      letterId: '0-41',
      reason: 'invalid-json',
      error: 'Unexpected token o',
      dlqTopic: 'user-activities.dlq',
      dlqPartition: 0,
      dlqOffset: 41,
      sourceTopic: 'user-activities',
      sourcePartition: 3,
      sourceOffset: 1200,
      failedAt: new Date('2026-11-28T11:00:01.000Z'),
      status: 'dead',
      replayCount: 0,
      key: 'user-1',
      payload: '{oops',
      payloadEncoding: 'utf8',
      payloadBytes: 5,
      indexedAt: NOW,
    });
    expect(record.eventId).toBeUndefined();
    expect(originalHeaders(record)).toEqual({ [HEADERS.requestId]: 'req-1' });
  });

  it('when the payload parses far enough, then eventId, userId and type are kept even though the event is invalid', () => {
    const event = { ...anActivity({ userId: 'alice', type: 'SEARCH' }), metadata: {} };
    const record = toDeadLetterRecord(aLetter({ value: Buffer.from(JSON.stringify(event)) }), 3, NOW);

    expect(record).toMatchObject({ eventId: event.eventId, userId: 'alice', type: 'SEARCH' });
  });

  it('when the payload names an anonymous id, then the letter keeps it (an erasure deletes the letters of linked ids)', () => {
    const event = { ...anActivity({ userId: undefined, anonymousId: 'visitor-1' }), metadata: {} };
    const record = toDeadLetterRecord(aLetter({ value: Buffer.from(JSON.stringify(event)) }), 3, NOW);

    expect(record).toMatchObject({ eventId: event.eventId, anonymousId: 'visitor-1' });
    expect(record).not.toHaveProperty('userId');
  });

  it('when the payload names a type that is not built in, then the letter is filterable by it, and a malformed name is left out', () => {
    const unplanned = { ...anActivity({ type: 'VIDEO_PLAY' }) };
    expect(toDeadLetterRecord(aLetter({ value: Buffer.from(JSON.stringify(unplanned)) }), 3, NOW).type).toBe(
      'VIDEO_PLAY',
    );
    const malformed = { ...anActivity(), type: 'video-play' };
    expect(toDeadLetterRecord(aLetter({ value: Buffer.from(JSON.stringify(malformed)) }), 3, NOW).type).toBeUndefined();
  });

  it('when the letter carries a source-id header, then it is kept as sourceId; a malformed one is left out', () => {
    const withSource = (value: string) =>
      toDeadLetterRecord(
        aLetter({ headers: { ...aLetter().headers, [HEADERS.sourceId]: Buffer.from(value) } }),
        3,
        NOW,
      );

    expect(withSource('web').sourceId).toBe('web');
    expect(withSource('Not A Source').sourceId).toBeUndefined();
    expect(toDeadLetterRecord(aLetter(), 3, NOW).sourceId).toBeUndefined();
  });

  it('when a letter was written by another tool without headers, then it is indexed with reason unknown and the broker time', () => {
    const record = toDeadLetterRecord(aLetter({ headers: {}, key: null }), 3, NOW);

    expect(record).toMatchObject({ reason: 'unknown', error: '', key: null, headers: [] });
    expect(record.failedAt).toEqual(new Date('2026-11-28T11:00:00.000Z'));
    expect(record.sourceTopic).toBeUndefined();
  });

  it('when the payload holds NUL or bytes that are not UTF-8, then it is kept as base64 and round-trips', () => {
    for (const value of [Buffer.from('{"q":"a\u0000b"}'), Buffer.from([0xff, 0xfe, 0x00, 0x41])]) {
      const record = toDeadLetterRecord(aLetter({ value }), 3, NOW);
      expect(record.payloadEncoding).toBe('base64');
      expect(payloadOf(record)).toEqual(value);
    }
  });

  it('when text fields hold NUL or lone surrogates, then they are made storable', () => {
    const record = toDeadLetterRecord(
      aLetter({ headers: { [HEADERS.dlqError]: Buffer.from('metadata.a\u0000b: bad'), 'x\u0000': 'v' } }),
      3,
      NOW,
    );
    expect(record.error).toBe('metadata.a\uFFFDb: bad');
    expect(record.headers).toEqual([
      { name: HEADERS.dlqError, value: 'metadata.a\uFFFDb: bad' },
      { name: 'x\uFFFD', value: 'v' },
    ]);
  });

  it('when the payload is over 64 KB, then it is not kept and the letter points at its DLQ offset', () => {
    const record = toDeadLetterRecord(aLetter({ value: Buffer.alloc(64 * 1024 + 1, 0x61) }), 3, NOW);
    expect(record.payload).toBeUndefined();
    expect(record).toMatchObject({ payloadBytes: 64 * 1024 + 1, dlqPartition: 0, dlqOffset: 41 });
  });

  it('when the event came back more often than MAX_REPLAYS, then it is parked', () => {
    const letter = (count: string) =>
      aLetter({ headers: { ...aLetter().headers, [HEADERS.replayCount]: Buffer.from(count) } });
    expect(toDeadLetterRecord(letter('3'), 3, NOW)).toMatchObject({ status: 'dead', replayCount: 3 });
    expect(toDeadLetterRecord(letter('4'), 3, NOW)).toMatchObject({ status: 'parked', replayCount: 4 });
  });
});
