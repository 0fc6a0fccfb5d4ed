/** One IDENTIFY event of a user, as the profile merges it: its traits (the event's metadata) and its keyset. */
export interface IdentifyRecord {
  eventId: string;
  occurredAt: Date;
  traits: Record<string, unknown>;
}

/**
 * Who a user is, derived from stored events (DESIGN: a link is an IDENTIFY or ALIAS event with both ids; the
 * earliest link of an anonymous id wins). Derived, not maintained: redeliveries and arrival order cannot change it.
 * Implementations reject with a retriable SERVICE_UNAVAILABLE DomainError when the store cannot answer.
 */
export interface IdentityReader {
  /** The anonymous ids whose earliest link, by (occurredAt, eventId), names this user, sorted. */
  linkedAnonymousIds(userId: string): Promise<string[]>;
  /** The user's IDENTIFY events, newest first by (occurredAt, eventId), at most `limit`. */
  latestIdentifies(userId: string, limit: number): Promise<IdentifyRecord[]>;
}
