/** The clocks a Segment message carries, as sent (ISO-8601). */
export interface SegmentClocks {
  /** When it happened by the device's clock, or a time the sender set (a server library's historical import). */
  timestamp?: string | undefined;
  /** When it happened by the device's clock (analytics.js, mobile SDKs). */
  originalTimestamp?: string | undefined;
  /** When the device sent it, by the same clock: the message's own, else its batch's. */
  sentAt?: string | undefined;
}

/** Which of the sent clocks occurredAt was derived from, to name it when the result is refused. */
export type ClockField = 'originalTimestamp' | 'timestamp';

/**
 * When it happened, by the server's clock, as Segment corrects it. A device's clock may be off by minutes or years,
 * but the time between the event and its sending, both by that clock, is right: counted back from when we received
 * the message, it gives receivedAt − (sentAt − clientTime), where clientTime is originalTimestamp, else timestamp.
 * Without sentAt the device's time is all there is; without either, the receive time. The network's transit time
 * is not counted (Segment does not count it either).
 */
export function correctedOccurredAt(
  clocks: SegmentClocks,
  receivedAt: Date,
): { occurredAt: Date; from: ClockField | undefined } {
  const from: ClockField | undefined =
    clocks.originalTimestamp !== undefined
      ? 'originalTimestamp'
      : clocks.timestamp !== undefined
        ? 'timestamp'
        : undefined;
  if (from === undefined) return { occurredAt: receivedAt, from };
  const clientTime = Date.parse(clocks[from]!);
  if (clocks.sentAt === undefined) return { occurredAt: new Date(clientTime), from };
  return { occurredAt: new Date(receivedAt.getTime() - (Date.parse(clocks.sentAt) - clientTime)), from };
}
