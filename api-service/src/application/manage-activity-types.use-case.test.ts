import type { RegistryRecord } from '@uap/shared/activity-types';
import { aTypeVersion } from '../testing/activity-type.fixtures';
import { domainErrorOf } from '../testing/domain-error-of';
import { InMemoryActivityTypeRegistry } from '../testing/in-memory-activity-type.registry';
import { ManageActivityTypesUseCase, type TypeChange } from './manage-activity-types.use-case';

const SCHEMA = { type: 'object', required: ['videoId'], properties: { videoId: { type: 'string' } } };
const BY = { by: 'key:test' };

function setUp() {
  const registry = new InMemoryActivityTypeRegistry();
  let writes = 0;
  const types = new ManageActivityTypesUseCase({
    registry,
    now: () => new Date('2026-12-06T08:00:00.000Z'),
    newWriteId: () => `w${++writes}`,
  });
  return { registry, types };
}

const videoPlay = (overrides: Partial<TypeChange> = {}): TypeChange => ({ metadataSchema: SCHEMA, ...overrides });

describe('ManageActivityTypesUseCase: event names', () => {
  it('when a type is created with event names, then its version carries them and they map to it', async () => {
    const { registry, types } = setUp();

    const result = await types.put('VIDEO_PLAY', videoPlay({ eventNames: ['Video Playback Started'] }), BY);

    expect(result.outcome).toBe('created');
    expect(result.type).toMatchObject({ version: 1, eventNames: ['Video Playback Started'] });
    expect(registry.catalog.typeOfEventName('Video Playback Started')).toBe('VIDEO_PLAY');
  });

  it('when a type is created without event names, then its version has no eventNames field', async () => {
    const { types } = setUp();

    const { type } = await types.put('VIDEO_PLAY', videoPlay({ eventNames: [] }), BY);

    expect('eventNames' in type).toBe(false);
  });

  it('when only the event names change, then that is a new version, with no compatibility question', async () => {
    const { registry, types } = setUp();
    await types.put('VIDEO_PLAY', videoPlay({ eventNames: ['Video Started'] }), BY);

    const result = await types.put('VIDEO_PLAY', videoPlay({ eventNames: ['Video Playback Started'] }), {
      ...BY,
      expectedVersion: 1,
    });

    expect(result.outcome).toBe('changed');
    expect(result.versions.map((v) => v.eventNames)).toEqual([['Video Started'], ['Video Playback Started']]);
    expect(registry.catalog.typeOfEventName('Video Started')).toBeUndefined();
    expect(registry.catalog.typeOfEventName('Video Playback Started')).toBe('VIDEO_PLAY');
  });

  it('when a change leaves eventNames out, then the current names stay; [] gives them up', async () => {
    const { registry, types } = setUp();
    await types.put('VIDEO_PLAY', videoPlay({ eventNames: ['Video Started'] }), BY);

    const kept = await types.put('VIDEO_PLAY', videoPlay({ description: 'Played' }), { ...BY, expectedVersion: 1 });
    expect(kept.type).toMatchObject({ version: 2, eventNames: ['Video Started'] });

    const cleared = await types.put('VIDEO_PLAY', videoPlay({ description: 'Played', eventNames: [] }), {
      ...BY,
      expectedVersion: 2,
    });
    expect(cleared.type.version).toBe(3);
    expect(cleared.type.eventNames).toBeUndefined();
    expect(registry.catalog.typeOfEventName('Video Started')).toBeUndefined();
  });

  it('when the same names come in another order, then nothing is written', async () => {
    const { registry, types } = setUp();
    await types.put('VIDEO_PLAY', videoPlay({ eventNames: ['A', 'B'] }), BY);

    const result = await types.put('VIDEO_PLAY', videoPlay({ eventNames: ['B', 'A'] }), { ...BY, expectedVersion: 1 });

    expect(result.outcome).toBe('unchanged');
    expect(registry.log).toHaveLength(1);
  });

  it('when a PUT claims a name another type holds, then it is a 409 naming that type, and nothing is written', async () => {
    const { registry, types } = setUp();

    const err = await domainErrorOf(
      types.put('ORDER', videoPlay({ eventNames: ['Order Placed', 'Order Completed'] }), BY),
    );

    expect(err.code).toBe('CONFLICT');
    expect(err.message).toContain('"Order Completed" is the event name of PURCHASE');
    expect(err.errors).toEqual([{ path: 'eventNames.1', message: '"Order Completed" is already claimed by PURCHASE' }]);
    expect(registry.log).toHaveLength(0);
  });

  it('when a type’s new version keeps a name it holds and adds a free one, then there is no conflict', async () => {
    const { types } = setUp();
    const purchase = types.show('PURCHASE');

    const result = await types.put(
      'PURCHASE',
      { metadataSchema: purchase.type.metadataSchema, eventNames: ['Order Completed', 'Checkout Completed'] },
      { ...BY, expectedVersion: 1 },
    );

    expect(result.type.eventNames).toEqual(['Order Completed', 'Checkout Completed']);
  });

  it('when the holder is retired, then its names are free for another type', async () => {
    const { registry, types } = setUp();
    await types.retire('PURCHASE', BY);

    const result = await types.put('ORDER', videoPlay({ eventNames: ['Order Completed'] }), BY);

    expect(result.outcome).toBe('created');
    expect(registry.catalog.typeOfEventName('Order Completed')).toBe('ORDER');
    // The retired version keeps the names it had, as history; they map to nothing while it is retired.
    expect(registry.catalog.current('PURCHASE')).toMatchObject({ status: 'retired', eventNames: ['Order Completed'] });
  });

  it('when a retired type comes back with a name another type took meanwhile, then it is a 409', async () => {
    const { types } = setUp();
    await types.retire('PURCHASE', BY);
    await types.put('ORDER', videoPlay({ eventNames: ['Order Completed'] }), BY);
    const purchase = types.show('PURCHASE');

    const err = await domainErrorOf(
      types.put(
        'PURCHASE',
        { metadataSchema: purchase.type.metadataSchema, status: 'active' },
        { ...BY, expectedVersion: 2 },
      ),
    );

    expect(err.code).toBe('CONFLICT');
    expect(err.message).toContain('is the event name of ORDER');
  });

  it('when a racing write claimed the name first, then the write that lost answers 409 naming the winner', async () => {
    const { registry, types } = setUp();
    const racing: RegistryRecord = {
      kind: 'version',
      writeId: 'other-replica',
      type: aTypeVersion({ name: 'VIDEO_START', eventNames: ['Video Playback Started'] }),
    };
    registry.before = () => registry.append(racing);

    const err = await domainErrorOf(types.put('VIDEO_PLAY', videoPlay({ eventNames: ['Video Playback Started'] }), BY));

    expect(err.code).toBe('CONFLICT');
    expect(err.message).toContain('is the event name of VIDEO_START');
    expect(registry.catalog.current('VIDEO_PLAY')).toBeUndefined();
  });

  it('when a type is retired, then its names go with the retired version and no conflict is checked', async () => {
    const { types } = setUp();

    const result = await types.retire('SEARCH', BY);

    expect(result.type).toMatchObject({ version: 2, status: 'retired', eventNames: ['Products Searched'] });
  });
});

describe('ManageActivityTypesUseCase: rankable fields', () => {
  const PLAYED = { type: 'object', properties: { videoId: { type: 'string' } } };

  it('when only the rankable fields change, then that is a new version without breaking=true', async () => {
    const { registry, types } = setUp();
    await types.put('VIDEO_PLAY', videoPlay({ rankableFields: ['metadata.videoId'] }), BY);

    const result = await types.put('VIDEO_PLAY', videoPlay({ rankableFields: ['metadata.channel.name'] }), {
      ...BY,
      expectedVersion: 1,
    });

    expect(result.outcome).toBe('changed');
    expect(result.versions.map((v) => v.rankableFields)).toEqual([['metadata.videoId'], ['metadata.channel.name']]);
    expect(registry.catalog.current('VIDEO_PLAY')?.rankableFields).toEqual(['metadata.channel.name']);
  });

  it('when a change leaves rankableFields out, then the current ones stay; [] gives them up', async () => {
    const { types } = setUp();
    await types.put('VIDEO_PLAY', videoPlay({ rankableFields: ['metadata.videoId'] }), BY);

    const kept = await types.put('VIDEO_PLAY', videoPlay({ metadataSchema: PLAYED }), { ...BY, expectedVersion: 1 });
    expect(kept.type).toMatchObject({ version: 2, rankableFields: ['metadata.videoId'] });

    const cleared = await types.put('VIDEO_PLAY', videoPlay({ metadataSchema: PLAYED, rankableFields: [] }), {
      ...BY,
      expectedVersion: 2,
    });
    expect(cleared.type.version).toBe(3);
    expect('rankableFields' in cleared.type).toBe(false);
  });

  it('when the same fields come in another order, then nothing is written', async () => {
    const { types } = setUp();
    await types.put('VIDEO_PLAY', videoPlay({ rankableFields: ['metadata.a', 'metadata.b'] }), BY);

    const result = await types.put('VIDEO_PLAY', videoPlay({ rankableFields: ['metadata.b', 'metadata.a'] }), {
      ...BY,
      expectedVersion: 1,
    });

    expect(result.outcome).toBe('unchanged');
    expect(result.type.version).toBe(1);
  });

  it('when a built-in is changed without naming its fields, then the new version keeps them', async () => {
    const { registry, types } = setUp();
    const search = registry.catalog.current('SEARCH')!;

    const result = await types.put(
      'SEARCH',
      { metadataSchema: search.metadataSchema, description: 'Searched' },
      {
        ...BY,
        expectedVersion: 1,
      },
    );

    expect(result.type).toMatchObject({ version: 2, rankableFields: ['metadata.query'] });
  });

  it('when a type is retired, then its rankable fields go with the retired version', async () => {
    const { types } = setUp();

    const result = await types.retire('PAGE_VIEW', BY);

    expect(result.type).toMatchObject({ status: 'retired', rankableFields: ['metadata.path', 'metadata.url'] });
  });
});
