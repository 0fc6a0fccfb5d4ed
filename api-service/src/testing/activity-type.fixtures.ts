import type { ActivityTypeCatalog, ActivityTypeVersion } from '@uap/shared/activity-types';

/** A version of VIDEO_PLAY, a type the built-ins do not have; override what the test is about. */
export const aTypeVersion = (overrides: Partial<ActivityTypeVersion> = {}): ActivityTypeVersion => ({
  name: 'VIDEO_PLAY',
  version: 1,
  description: 'A video started playing.',
  metadataSchema: { type: 'object', required: ['videoId'], properties: { videoId: { type: 'string' } } },
  status: 'active',
  createdAt: '2026-12-05T10:00:00.000Z',
  createdBy: 'key:test',
  ...overrides,
});

/** Applies the next version of a type as the registry's log would deliver it; fails if the catalog refused it. */
export function planType(catalog: ActivityTypeCatalog, overrides: Partial<ActivityTypeVersion> = {}): void {
  const name = overrides.name ?? 'VIDEO_PLAY';
  const current = catalog.current(name);
  const version = aTypeVersion({
    ...(current ? { metadataSchema: current.metadataSchema, description: current.description } : {}),
    name,
    version: (current?.version ?? 0) + 1,
    ...overrides,
  });
  if (!catalog.apply({ kind: 'version', writeId: `w-${name}-${version.version}`, type: version }, catalog.position)) {
    throw new Error(`the catalog refused ${name} v${version.version}`);
  }
}
