import { AnonymousIdSchema, IsoDateTimeSchema, UserIdSchema } from '@uap/shared/contract';
import { Router } from 'express';
import { z } from 'zod';
import type { UserProfileUseCase } from '../../../application/user-profile.use-case';
import { toFieldErrors } from '../../../domain/domain-error';
import { PROFILE_LIMITS, type UserProfile } from '../../../domain/user-profile';
import type { RouteSpec } from '../method-guard.middleware';
import { invalid, parseQuery } from '../query-params';

export const USER_PROFILE_ROUTES: RouteSpec[] = [{ path: '/api/v1/users/:userId', methods: ['GET'] }];

export const USER_PROFILE_PARAMS = z.strictObject({});

export const UserProfileDtoSchema = z
  .strictObject({
    userId: UserIdSchema,
    traits: z
      .record(z.string(), z.unknown())
      .describe(
        'The metadata of the user’s IDENTIFY events merged per top-level key: the latest event’s value wins, by ' +
          '(occurredAt, eventId), whatever order the events arrived in.',
      ),
    firstSeen: IsoDateTimeSchema.describe(
      'The earliest occurredAt of the user’s activities, those of its linked anonymous ids included.',
    ),
    lastSeen: IsoDateTimeSchema.describe('The latest occurredAt, likewise.'),
    anonymousIds: z
      .array(AnonymousIdSchema)
      .describe(
        'The anonymous ids linked to this user (by an IDENTIFY or ALIAS event carrying both ids) whose earliest link ' +
          'names this user, sorted. GET /api/v1/users/{userId}/activities includes their events.',
      ),
    identifies: z.int().min(0).describe('How many IDENTIFY events were merged into traits.'),
    complete: z
      .boolean()
      .describe(
        `false when the user has more than ${PROFILE_LIMITS.maxIdentifies} IDENTIFY events: the traits merge the ` +
          'latest of them only.',
      ),
  })
  .meta({ id: 'UserProfile' });

function toProfileDto(profile: UserProfile): z.input<typeof UserProfileDtoSchema> {
  return {
    ...profile,
    firstSeen: profile.firstSeen.toISOString(),
    lastSeen: profile.lastSeen.toISOString(),
  };
}

/** GET /api/v1/users/{userId}: who the user is, derived from the stored events. */
export function userProfileRouter(profiles: UserProfileUseCase): Router {
  const router = Router();
  router.get('/api/v1/users/:userId', async (req, res) => {
    const userId = UserIdSchema.safeParse(req.params.userId);
    if (!userId.success) throw invalid(toFieldErrors(userId.error.issues.map((i) => ({ ...i, path: ['userId'] }))));
    parseQuery(USER_PROFILE_PARAMS, [], req.query);
    res.json(toProfileDto(await profiles.profile(userId.data)));
  });
  return router;
}
