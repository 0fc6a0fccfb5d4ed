import { correctedOccurredAt } from './segment-clock-skew';

const RECEIVED_AT = new Date('2026-03-01T12:00:00.000Z');

describe('correctedOccurredAt', () => {
  it('when the device clock is 1 h behind, then the event time is receivedAt − (sentAt − originalTimestamp)', () => {
    // Happened 30 s before it was sent, by a clock an hour slow.
    const result = correctedOccurredAt(
      { originalTimestamp: '2026-03-01T10:59:30.000Z', sentAt: '2026-03-01T11:00:00.000Z' },
      RECEIVED_AT,
    );

    expect(result).toEqual({ occurredAt: new Date('2026-03-01T11:59:30.000Z'), from: 'originalTimestamp' });
  });

  it('when both clocks are given with offsets, then the correction uses the instants', () => {
    const { occurredAt } = correctedOccurredAt(
      { originalTimestamp: '2026-03-01T13:00:00+02:00', sentAt: '2026-03-01T11:00:05Z' },
      RECEIVED_AT,
    );

    expect(occurredAt.toISOString()).toBe('2026-03-01T11:59:55.000Z');
  });

  it('when only timestamp is sent (a server library), then it is corrected the same way', () => {
    const result = correctedOccurredAt(
      { timestamp: '2025-01-01T00:00:00.000Z', sentAt: '2026-03-01T12:00:10.000Z' },
      RECEIVED_AT,
    );

    expect(result).toEqual({ occurredAt: new Date('2024-12-31T23:59:50.000Z'), from: 'timestamp' });
  });

  it('when both originalTimestamp and timestamp are sent, then originalTimestamp is the device time', () => {
    const { occurredAt, from } = correctedOccurredAt(
      {
        originalTimestamp: '2026-03-01T11:59:00.000Z',
        timestamp: '2020-01-01T00:00:00.000Z',
        sentAt: '2026-03-01T12:00:00.000Z',
      },
      RECEIVED_AT,
    );

    expect([occurredAt.toISOString(), from]).toEqual(['2026-03-01T11:59:00.000Z', 'originalTimestamp']);
  });

  it('when there is no sentAt, then the device time is taken as it is', () => {
    const { occurredAt } = correctedOccurredAt({ timestamp: '2026-02-01T08:00:00.000Z' }, RECEIVED_AT);

    expect(occurredAt.toISOString()).toBe('2026-02-01T08:00:00.000Z');
  });

  it('when no device time is sent, then the event happened when it was received, sentAt or not', () => {
    expect(correctedOccurredAt({}, RECEIVED_AT)).toEqual({ occurredAt: RECEIVED_AT, from: undefined });
    expect(correctedOccurredAt({ sentAt: '2020-01-01T00:00:00Z' }, RECEIVED_AT).occurredAt).toEqual(RECEIVED_AT);
  });
});
