import { randomUUID } from 'node:crypto';
import {
  BUILT_IN_ACTIVITY_TYPES,
  SEGMENT_CALL_TYPES,
  createActivityEvent,
  type ActivityEvent,
  type ActivityInput,
  type ActivityType,
} from '@uap/shared/contract';

/**
 * Deterministic-enough bench data: `users` users, every one of `types` in turn (default the built-in
 * ones; any name works, e.g. types registered at runtime), timestamps spread over the last day with
 * clusters of equal instants (as real traffic has), explicit eventIds so runs can be verified.
 */
const SEGMENT_CALL_ONLY = new Set<string>(Object.values(SEGMENT_CALL_TYPES).filter((t) => t !== 'PAGE_VIEW'));
/** The built-ins apps send as activities: not the types of Segment's identify, group, alias and screen calls. */
export const BENCH_ACTIVITY_TYPES = BUILT_IN_ACTIVITY_TYPES.filter((t) => !SEGMENT_CALL_ONLY.has(t));

/**
 * Turns a share of the inputs into a visitor's history and its login, as an analytics SDK sends them: every 20th event
 * anonymous (`anonymousId` `anon-<user>`, no userId), and every 40th (offset by 1) an IDENTIFY of that user with that
 * anonymous id and traits, which links the two. Reads of a user's profile and history then have links to follow.
 */
export function withIdentities(inputs: ActivityInput[]): ActivityInput[] {
  return inputs.map((input, i) => {
    const anonymousId = `anon-${input.userId}`;
    if (i % 20 === 0) return { ...input, userId: undefined, anonymousId };
    if (i % 40 === 1) return { ...input, type: 'IDENTIFY', anonymousId, metadata: { plan: `p${i % 3}`, seen: i } };
    return input;
  });
}

export function benchInputs(
  count: number,
  options: { users: number; startMs: number; spreadMs: number; types?: readonly ActivityType[] },
): ActivityInput[] {
  const types = options.types ?? BENCH_ACTIVITY_TYPES;
  return Array.from({ length: count }, (_, i) => {
    const type = types[i % types.length]!;
    // Groups of 4 share an instant, so keyset pagination meets ties.
    const occurredMs = options.startMs + Math.floor((i / 4) % (options.spreadMs / 10)) * 10;
    return {
      eventId: randomUUID(),
      userId: `bench-user-${(i * 7919) % options.users}`,
      type,
      occurredAt: new Date(occurredMs).toISOString(),
      sessionId: `s-${i % 5000}`,
      metadata: type === 'SEARCH' ? { query: `term ${i % 97}` } : { path: `/p/${i % 50}` },
    };
  });
}

export function toEvents(inputs: ActivityInput[], receivedAt: Date): ActivityEvent[] {
  return inputs.map((input) =>
    createActivityEvent(input, { receivedAt, context: { ip: '127.0.0.1', userAgent: 'bench' } }),
  );
}
