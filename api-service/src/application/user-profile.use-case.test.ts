import { DomainError } from '../domain/domain-error';
import { PROFILE_LIMITS } from '../domain/user-profile';
import { anActivityRecord, InMemoryActivityReader } from '../testing/in-memory-activity.reader';
import { InMemoryIdentityReader } from '../testing/in-memory-identity.reader';
import type { ActivityRecord } from './ports/activity-reader.port';
import { UserProfileUseCase } from './user-profile.use-case';

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));

function profilesOver(records: ActivityRecord[]) {
  const identities = new InMemoryIdentityReader(records);
  return { identities, profiles: new UserProfileUseCase({ reader: new InMemoryActivityReader(records), identities }) };
}

describe('UserProfileUseCase', () => {
  it('when a visitor identified, then the profile merges the traits and spans the visit from its first anonymous event', async () => {
    const { profiles } = profilesOver([
      anActivityRecord({ anonymousId: 'a-1', userId: undefined, type: 'PAGE_VIEW', occurredAt: at(1) }),
      // Delivered out of order: the later identify arrived first.
      anActivityRecord({ userId: 'alice', type: 'IDENTIFY', occurredAt: at(5), metadata: { plan: 'pro' } }),
      anActivityRecord({
        anonymousId: 'a-1',
        userId: 'alice',
        type: 'IDENTIFY',
        occurredAt: at(2),
        metadata: { plan: 'free', email: 'ada@example.com' },
      }),
      anActivityRecord({ userId: 'alice', type: 'LOGOUT', occurredAt: at(9) }),
      anActivityRecord({ userId: 'bob', type: 'IDENTIFY', occurredAt: at(20), metadata: { plan: 'team' } }),
    ]);

    expect(await profiles.profile('alice')).toEqual({
      userId: 'alice',
      traits: { plan: 'pro', email: 'ada@example.com' },
      firstSeen: at(1),
      lastSeen: at(9),
      anonymousIds: ['a-1'],
      identifies: 2,
      complete: true,
    });
  });

  it('when a user never identified, then the profile has no traits and spans its own events', async () => {
    const { profiles } = profilesOver([anActivityRecord({ userId: 'carol', type: 'LOGIN', occurredAt: at(3) })]);
    expect(await profiles.profile('carol')).toMatchObject({
      traits: {},
      firstSeen: at(3),
      lastSeen: at(3),
      anonymousIds: [],
      identifies: 0,
      complete: true,
    });
  });

  it('when the user has no event, then NOT_FOUND, even if an anonymous id it never linked exists', async () => {
    const { profiles } = profilesOver([anActivityRecord({ anonymousId: 'a-1', userId: undefined })]);
    const failure = await profiles.profile('nobody').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(DomainError);
    expect(failure).toMatchObject({ code: 'NOT_FOUND' });
  });

  it(`when a user has more than ${PROFILE_LIMITS.maxIdentifies} identifies, then the latest are merged and complete is false`, async () => {
    const records = Array.from({ length: PROFILE_LIMITS.maxIdentifies + 1 }, (_, i) =>
      anActivityRecord({
        userId: 'dave',
        type: 'IDENTIFY',
        occurredAt: new Date(Date.UTC(2026, 0, 1) + i),
        metadata: i === 0 ? { oldest: true, n: i } : { n: i },
      }),
    );
    const { profiles, identities } = profilesOver(records);

    const profile = await profiles.profile('dave');
    expect(profile).toMatchObject({ identifies: PROFILE_LIMITS.maxIdentifies, complete: false });
    expect(profile.traits).toEqual({ n: PROFILE_LIMITS.maxIdentifies });
    expect(identities.calls).toContainEqual({
      method: 'latestIdentifies',
      arg: { userId: 'dave', limit: PROFILE_LIMITS.maxIdentifies + 1 },
    });
  });
});
