import { BUILT_IN_ACTIVITY_TYPES } from '../contract';
import type { ActivityTypeVersion } from './activity-type';
import { ActivityTypeCatalog } from './activity-type-catalog';
import type { RegistryRecord } from './registry-record';

const aVersion = (overrides: Partial<ActivityTypeVersion> = {}): ActivityTypeVersion => ({
  name: 'VIDEO_PLAY',
  version: 1,
  description: 'A video started',
  metadataSchema: { type: 'object', required: ['videoId'], properties: { videoId: { type: 'string' } } },
  status: 'active',
  createdAt: '2026-12-05T10:00:00.000Z',
  createdBy: 'key:abc',
  ...overrides,
});
const versionRecord = (type: ActivityTypeVersion, writeId = `w-${type.version}`): RegistryRecord => ({
  kind: 'version',
  writeId,
  type,
});

describe('ActivityTypeCatalog', () => {
  it('when nothing was written, then it holds the built-in types at version 1, with their old rules', () => {
    const catalog = new ActivityTypeCatalog();

    expect(catalog.list().map((t) => [t.name, t.version, t.createdBy])).toEqual(
      [...BUILT_IN_ACTIVITY_TYPES].sort().map((name) => [name, 1, 'built-in']),
    );
    expect(catalog.check('SEARCH', { query: 'shoes' })).toEqual({
      kind: 'planned',
      name: 'SEARCH',
      version: 1,
      status: 'active',
    });
    expect(catalog.check('SEARCH', { query: '𝒒'.repeat(512) }).kind).toBe('planned');
    expect(catalog.check('LOGIN', { method: '🔑'.repeat(64), success: true }).kind).toBe('planned');
    expect(catalog.check('PAGE_VIEW', { anything: { goes: [1, 'two'] } }).kind).toBe('planned');
  });

  it('when nothing was written, then the twelve built-ins include the Segment calls and accept any metadata there', () => {
    const catalog = new ActivityTypeCatalog();

    expect(catalog.list()).toHaveLength(12);
    for (const name of ['SCREEN', 'IDENTIFY', 'GROUP', 'ALIAS']) {
      expect(catalog.check(name, { plan: 'pro', nested: { ok: true } })).toMatchObject({ kind: 'planned', version: 1 });
    }
  });

  it.each([
    ['a SEARCH without query', 'SEARCH', {}, '/metadata/query', 'is required'],
    [
      'a SEARCH with a 513-character query',
      'SEARCH',
      { query: '𝒒'.repeat(513) },
      '/metadata/query',
      'must NOT have more than 512 characters',
    ],
    [
      'a SEARCH with an empty query',
      'SEARCH',
      { query: '' },
      '/metadata/query',
      'must NOT have fewer than 1 characters',
    ],
    ['a LOGIN with a non-boolean success', 'LOGIN', { success: 'yes' }, '/metadata/success', 'must be boolean'],
    [
      'a LOGIN with a 65-character method',
      'LOGIN',
      { method: 'm'.repeat(65) },
      '/metadata/method',
      'must NOT have more than 64 characters',
    ],
  ])('when %s, then it is invalid at its pointer', (_label, type, metadata, pointer, message) => {
    expect(new ActivityTypeCatalog().check(type, metadata)).toEqual({
      kind: 'invalid',
      name: type,
      version: 1,
      status: 'active',
      violations: [{ pointer, message }],
    });
  });

  it('when a type is not in the registry, then it is unknown', () => {
    expect(new ActivityTypeCatalog().check('VIDEO_PLAY', {})).toEqual({ kind: 'unknown', name: 'VIDEO_PLAY' });
  });

  it('when versions are applied in order, then the latest validates and the history keeps every version', () => {
    const catalog = new ActivityTypeCatalog();
    catalog.apply(versionRecord(aVersion()), 0);
    catalog.apply(versionRecord(aVersion({ version: 2, status: 'deprecated', metadataSchema: { type: 'object' } })), 1);

    expect(catalog.position).toBe(2);
    expect(catalog.history('VIDEO_PLAY').map((v) => v.version)).toEqual([1, 2]);
    expect(catalog.check('VIDEO_PLAY', {})).toMatchObject({ kind: 'planned', version: 2, status: 'deprecated' });
  });

  it('when two writers race for the same version, then the first in log order wins on every replica', () => {
    const records = [
      versionRecord(aVersion(), 'first'),
      versionRecord(aVersion({ description: 'the loser' }), 'second'),
    ];
    const replicas = [new ActivityTypeCatalog(), new ActivityTypeCatalog()];
    for (const replica of replicas) records.forEach((record, offset) => replica.apply(record, offset));

    for (const replica of replicas) {
      expect(replica.writerOf('VIDEO_PLAY', 1)).toBe('first');
      expect(replica.current('VIDEO_PLAY')?.description).toBe('A video started');
    }
  });

  it('when a record skips a version or carries a hostile schema, then it changes nothing', () => {
    const catalog = new ActivityTypeCatalog();

    expect(catalog.apply(versionRecord(aVersion({ version: 3 })), 0)).toBe(false);
    expect(catalog.apply(versionRecord(aVersion({ metadataSchema: { $ref: 'https://evil.example/s.json' } })), 1)).toBe(
      false,
    );
    expect(catalog.apply(versionRecord(aVersion({ name: 'SEARCH', version: 1 })), 2)).toBe(false);
    expect(catalog.current('VIDEO_PLAY')).toBeUndefined();
    expect(catalog.position).toBe(3);
  });

  it('when a type is retired, then its events are refused as retired', () => {
    const catalog = new ActivityTypeCatalog();
    catalog.apply(
      versionRecord(aVersion({ name: 'CLICK', version: 2, status: 'retired', metadataSchema: { type: 'object' } })),
      0,
    );

    expect(catalog.check('CLICK', {})).toEqual({ kind: 'retired', name: 'CLICK', version: 2 });
  });

  it('when a policy is recorded, then it replaces the environment’s, and the latest one holds', () => {
    const catalog = new ActivityTypeCatalog({ unknownTypes: 'accept', invalidMetadata: 'reject' });
    const policy = (unknownTypes: 'reject' | 'dead-letter', writeId: string): RegistryRecord => ({
      kind: 'policy',
      writeId,
      policy: { unknownTypes, invalidMetadata: 'accept-and-flag' },
      createdAt: '2026-12-05T10:00:00.000Z',
      createdBy: 'key:abc',
    });

    expect(catalog.policy().unknownTypes).toBe('accept');
    catalog.apply(policy('reject', 'a'), 0);
    catalog.apply(policy('dead-letter', 'b'), 1);

    expect(catalog.policy()).toEqual({ unknownTypes: 'dead-letter', invalidMetadata: 'accept-and-flag' });
  });

  describe('event names', () => {
    it('when nothing was written, then Segment’s semantic names map to the built-ins and other names to nothing', () => {
      const catalog = new ActivityTypeCatalog();

      expect(catalog.typeOfEventName('Order Completed')).toBe('PURCHASE');
      expect(catalog.typeOfEventName('Products Searched')).toBe('SEARCH');
      expect(catalog.typeOfEventName('Signed Up')).toBe('SIGNUP');
      expect(catalog.typeOfEventName('Signed In')).toBe('LOGIN');
      expect(catalog.typeOfEventName('Signed Out')).toBe('LOGOUT');
      expect(catalog.typeOfEventName('order completed')).toBeUndefined();
      expect(catalog.typeOfEventName('PURCHASE')).toBeUndefined();
    });

    it('when a version claims names, then each maps to its type, exactly as spelled', () => {
      const catalog = new ActivityTypeCatalog();
      catalog.apply(versionRecord(aVersion({ eventNames: ['Video Playback Started', 'video_play'] })), 0);

      expect(catalog.typeOfEventName('Video Playback Started')).toBe('VIDEO_PLAY');
      expect(catalog.typeOfEventName('video_play')).toBe('VIDEO_PLAY');
      expect(catalog.typeOfEventName('Video playback started')).toBeUndefined();
    });

    it('when a new version drops a name and adds another, then only the current version’s names map', () => {
      const catalog = new ActivityTypeCatalog();
      catalog.apply(versionRecord(aVersion({ eventNames: ['Video Started'] })), 0);
      catalog.apply(versionRecord(aVersion({ version: 2, eventNames: ['Video Playback Started'] })), 1);

      expect(catalog.typeOfEventName('Video Started')).toBeUndefined();
      expect(catalog.typeOfEventName('Video Playback Started')).toBe('VIDEO_PLAY');
      expect(catalog.current('VIDEO_PLAY')?.eventNames).toEqual(['Video Playback Started']);
    });

    it('when a type is retired, then its names are free again, and another type may claim them', () => {
      const catalog = new ActivityTypeCatalog();
      catalog.apply(
        versionRecord(aVersion({ name: 'PURCHASE', version: 2, status: 'retired', eventNames: ['Order Completed'] })),
        0,
      );

      expect(catalog.typeOfEventName('Order Completed')).toBeUndefined();
      expect(
        catalog.eventNamesHeldElsewhere({ name: 'ORDER', eventNames: ['Order Completed'], status: 'active' }),
      ).toEqual([]);
      expect(catalog.apply(versionRecord(aVersion({ name: 'ORDER', eventNames: ['Order Completed'] })), 1)).toBe(true);
      expect(catalog.typeOfEventName('Order Completed')).toBe('ORDER');
    });

    it('when a retired type comes back claiming a name another type took meanwhile, then that version does not apply', () => {
      const catalog = new ActivityTypeCatalog();
      catalog.apply(
        versionRecord(aVersion({ name: 'PURCHASE', version: 2, status: 'retired', eventNames: ['Order Completed'] })),
        0,
      );
      catalog.apply(versionRecord(aVersion({ name: 'ORDER', eventNames: ['Order Completed'] })), 1);

      expect(
        catalog.apply(versionRecord(aVersion({ name: 'PURCHASE', version: 3, eventNames: ['Order Completed'] })), 2),
      ).toBe(false);
      expect(catalog.current('PURCHASE')?.status).toBe('retired');
      expect(catalog.typeOfEventName('Order Completed')).toBe('ORDER');
    });

    it('when a record claims a name another type holds (a raw producer, a race), then the first claim in log order keeps it on every replica', () => {
      const records = [
        versionRecord(aVersion({ eventNames: ['Video Playback Started'] }), 'first'),
        versionRecord(
          aVersion({ name: 'VIDEO_START', eventNames: ['Video Playback Started', 'Video Resumed'] }),
          'second',
        ),
      ];
      const replicas = [new ActivityTypeCatalog(), new ActivityTypeCatalog()];
      for (const replica of replicas) {
        expect(records.map((record, offset) => replica.apply(record, offset))).toEqual([true, false]);
      }

      for (const replica of replicas) {
        expect(replica.typeOfEventName('Video Playback Started')).toBe('VIDEO_PLAY');
        // The losing version applies not at all, so none of its names map either.
        expect(replica.typeOfEventName('Video Resumed')).toBeUndefined();
        expect(replica.current('VIDEO_START')).toBeUndefined();
        expect(replica.position).toBe(2);
      }
    });

    it('when a version claims a name a built-in holds, then it is named as the holder; a retiring version claims nothing', () => {
      const catalog = new ActivityTypeCatalog();

      expect(
        catalog.eventNamesHeldElsewhere({
          name: 'ORDER',
          eventNames: ['Order Completed', 'Order Refunded'],
          status: 'active',
        }),
      ).toEqual([{ eventName: 'Order Completed', heldBy: 'PURCHASE' }]);
      expect(
        catalog.eventNamesHeldElsewhere({ name: 'PURCHASE', eventNames: ['Order Completed'], status: 'active' }),
      ).toEqual([]);
      expect(
        catalog.eventNamesHeldElsewhere({ name: 'ORDER', eventNames: ['Order Completed'], status: 'retired' }),
      ).toEqual([]);
    });

    it('when a deprecated type holds a name, then the name still maps to it', () => {
      const catalog = new ActivityTypeCatalog();
      catalog.apply(
        versionRecord(
          aVersion({ name: 'PURCHASE', version: 2, status: 'deprecated', eventNames: ['Order Completed'] }),
        ),
        0,
      );

      expect(catalog.typeOfEventName('Order Completed')).toBe('PURCHASE');
    });
  });
});
