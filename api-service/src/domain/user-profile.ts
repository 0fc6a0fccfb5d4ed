import { compareByKeyset, type KeysetPosition } from './activity-query';

export const PROFILE_LIMITS = {
  /** IDENTIFY events a profile merges at most, the latest ones: a profile read costs the same for any user. */
  maxIdentifies: 10_000,
} as const;

/** What a user is known as, derived from the stored events at read time (GET /api/v1/users/{userId}). */
export interface UserProfile {
  userId: string;
  /** The merged traits of the user's IDENTIFY events: per top-level key, the latest event's value. */
  traits: Record<string, unknown>;
  /** The earliest and latest occurredAt over the user's history (its linked anonymous ids' events included). */
  firstSeen: Date;
  lastSeen: Date;
  /** The anonymous ids whose earliest link names this user, sorted. */
  anonymousIds: string[];
  /** How many IDENTIFY events were merged. */
  identifies: number;
  /** false when the user has more than PROFILE_LIMITS.maxIdentifies IDENTIFY events: the oldest were not merged. */
  complete: boolean;
}

/**
 * Last write wins per top-level key, by (occurredAt, eventId): the order is the events' own, so a late delivery of
 * an old identify cannot overwrite a newer trait, and a redelivery changes nothing. A key is not deleted by an
 * identify that lacks it (Segment's identify merges traits the same way); a null value is a value.
 */
export function mergeTraits(identifies: ReadonlyArray<KeysetPosition & { traits: Record<string, unknown> }>): {
  [key: string]: unknown;
} {
  const merged: Record<string, unknown> = {};
  for (const identify of [...identifies].sort((a, b) => compareByKeyset(a, b, 'asc'))) {
    for (const [key, value] of Object.entries(identify.traits)) {
      // defineProperty: a trait named __proto__ (JSON allows it) is a plain key, not the prototype.
      Object.defineProperty(merged, key, { value, enumerable: true, writable: true, configurable: true });
    }
  }
  return merged;
}
