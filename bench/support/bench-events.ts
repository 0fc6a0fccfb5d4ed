import { randomUUID } from 'node:crypto';
import {
  BUILT_IN_ACTIVITY_TYPES,
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
export function benchInputs(
  count: number,
  options: { users: number; startMs: number; spreadMs: number; types?: readonly ActivityType[] },
): ActivityInput[] {
  const types = options.types ?? BUILT_IN_ACTIVITY_TYPES;
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
