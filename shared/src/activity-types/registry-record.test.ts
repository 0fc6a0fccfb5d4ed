import type { ActivityTypeVersion } from './activity-type';
import { BUILT_IN_TYPE_VERSIONS } from './built-in-types';
import {
  decodeRegistryRecord,
  encodeRegistryRecord,
  EventNamesSchema,
  RankableFieldsSchema,
  type RegistryRecord,
} from './registry-record';

const aVersion = (overrides: Partial<ActivityTypeVersion> = {}): ActivityTypeVersion => ({
  name: 'VIDEO_PLAY',
  version: 1,
  description: 'A video started',
  metadataSchema: { type: 'object' },
  status: 'active',
  createdAt: '2026-12-05T10:00:00.000Z',
  createdBy: 'key:abc',
  ...overrides,
});
const recordOf = (type: ActivityTypeVersion): RegistryRecord => ({ kind: 'version', writeId: 'w-1', type });
const roundTrip = (record: RegistryRecord) => decodeRegistryRecord(encodeRegistryRecord(record));

describe('registry records', () => {
  it('when a version carries event names, then they round-trip through the log', () => {
    const record = recordOf(aVersion({ eventNames: ['Video Playback Started', 'Vidéo lancée 🎬', 'x'.repeat(128)] }));

    expect(roundTrip(record)).toEqual(record);
  });

  it('when a version has no event names, then it decodes as written before they existed', () => {
    const record = recordOf(aVersion());

    const decoded = roundTrip(record);
    expect(decoded).toEqual(record);
    expect(decoded?.kind === 'version' && 'eventNames' in decoded.type).toBe(false);
  });

  it.each([
    ['an empty name', ['']],
    ['a name of 129 characters', ['x'.repeat(129)]],
    ['51 names', Array.from({ length: 51 }, (_, i) => `Event ${i}`)],
    ['the same name twice', ['Video Started', 'Video Started']],
    ['a NUL character', ['Video\u0000Started']],
    ['a newline', ['Video\nStarted']],
    ['an unpaired surrogate', ['Video \uD83C Started']],
    ['a name that is not a string', [42]],
  ])(
    'when a version’s event names hold %s, then the record is not one (a stray write changes nothing)',
    (_l, names) => {
      const text = encodeRegistryRecord(recordOf(aVersion({ eventNames: names as string[] })));

      expect(decodeRegistryRecord(text)).toBeUndefined();
    },
  );

  it('when names differ only in case or spacing, then they are distinct names', () => {
    expect(EventNamesSchema.safeParse(['Order Completed', 'order completed', 'Order  Completed']).success).toBe(true);
  });

  it('when 50 names are listed, then that is the most a type may claim', () => {
    expect(EventNamesSchema.safeParse(Array.from({ length: 50 }, (_, i) => `Event ${i}`)).success).toBe(true);
  });

  it('when the same name is listed twice, then the error points at the second', () => {
    const parsed = EventNamesSchema.safeParse(['A', 'B', 'A']);

    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues).toEqual([expect.objectContaining({ path: [2], message: '"A" is listed twice' })]);
  });

  it('when the built-ins are checked, then their event names are valid and no name is claimed twice', () => {
    for (const version of BUILT_IN_TYPE_VERSIONS) expect(roundTrip(recordOf(version))).toEqual(recordOf(version));
    const names = BUILT_IN_TYPE_VERSIONS.flatMap((v) => v.eventNames ?? []);
    expect(new Set(names).size).toBe(names.length);
  });

  it('when a version declares rankable fields, then they round-trip through the log', () => {
    const record = recordOf(
      aVersion({ rankableFields: ['metadata.query', 'metadata.page.path', `metadata.a.b.c.${'x'.repeat(64)}`] }),
    );

    expect(roundTrip(record)).toEqual(record);
  });

  it.each([
    ['a path outside metadata', ['userId']],
    ['metadata itself', ['metadata']],
    ['five segments', ['metadata.a.b.c.d.e']],
    ['a segment of 65 characters', [`metadata.${'x'.repeat(65)}`]],
    ['a segment starting with a digit', ['metadata.1st']],
    ['an operator-like segment', ['metadata.$where']],
    ['an array index', ['metadata.items[0]']],
    ['an empty segment', ['metadata..query']],
    ['11 fields', Array.from({ length: 11 }, (_, i) => `metadata.f${i}`)],
    ['the same field twice', ['metadata.query', 'metadata.query']],
    ['a field that is not a string', [42]],
  ])('when a version’s rankable fields hold %s, then the record is not one', (_l, fields) => {
    const text = encodeRegistryRecord(recordOf(aVersion({ rankableFields: fields as string[] })));

    expect(decodeRegistryRecord(text)).toBeUndefined();
  });

  it('when 10 fields are declared, then that is the most a type may rank', () => {
    expect(RankableFieldsSchema.safeParse(Array.from({ length: 10 }, (_, i) => `metadata.f${i}`)).success).toBe(true);
  });

  it('when the built-ins are read, then searches, pages and screens are rankable out of the box', () => {
    const fields = Object.fromEntries(BUILT_IN_TYPE_VERSIONS.map((v) => [v.name, v.rankableFields]));

    expect(fields).toMatchObject({
      SEARCH: ['metadata.query'],
      PAGE_VIEW: ['metadata.path', 'metadata.url'],
      SCREEN: ['metadata.name'],
      LOGIN: undefined,
    });
  });
});
