import { DomainError } from '../domain/domain-error';
import { mergeTraits, PROFILE_LIMITS, type UserProfile } from '../domain/user-profile';
import type { ActivityReader } from './ports/activity-reader.port';
import type { IdentityReader } from './ports/identity-reader.port';

/**
 * A user's profile, derived from the stored events on every read: nothing is maintained, so it is exactly what the
 * events say whatever order they arrived in, and erasing the events erases it.
 */
export class UserProfileUseCase {
  constructor(private readonly deps: { reader: ActivityReader; identities: IdentityReader }) {}

  async profile(userId: string): Promise<UserProfile> {
    const anonymousIds = await this.deps.identities.linkedAnonymousIds(userId);
    // The history's first and last rows: the same query as GET /api/v1/users/{userId}/activities, one row each way.
    const filters = { userId, linkedAnonymousIds: anonymousIds };
    const [[first], [last], identifies] = await Promise.all([
      this.deps.reader.findPage({ filters, sort: 'asc', limit: 1 }),
      this.deps.reader.findPage({ filters, sort: 'desc', limit: 1 }),
      // One more than is merged tells whether there were more, without counting them.
      this.deps.identities.latestIdentifies(userId, PROFILE_LIMITS.maxIdentifies + 1),
    ]);
    if (first === undefined || last === undefined) {
      throw new DomainError('NOT_FOUND', `no activity of user ${userId} is stored`);
    }
    const merged = identifies.slice(0, PROFILE_LIMITS.maxIdentifies);
    return {
      userId,
      traits: mergeTraits(merged),
      firstSeen: first.occurredAt,
      lastSeen: last.occurredAt,
      anonymousIds,
      identifies: merged.length,
      complete: identifies.length <= PROFILE_LIMITS.maxIdentifies,
    };
  }
}
