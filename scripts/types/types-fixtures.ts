import type { ActivityTypeVersion, TypeDetail, TypeList } from './types-client';

/** Test fixture builders for the registry's documents. */
export function aTypeVersion(overrides: Partial<ActivityTypeVersion> = {}): ActivityTypeVersion {
  return {
    name: 'VIDEO_PLAY',
    version: 1,
    description: 'A user started a video.',
    metadataSchema: { type: 'object', required: ['videoId'], properties: { videoId: { type: 'string' } } },
    status: 'active',
    createdAt: '2026-12-05T10:00:00.000Z',
    createdBy: 'key:ops',
    ...overrides,
  };
}

/** A type with its history: version 1 up to `current.version`, each made an hour after the one before. */
export function aTypeDetail(overrides: Partial<ActivityTypeVersion> = {}, registryPosition = 42): TypeDetail {
  const current = aTypeVersion(overrides);
  const versions = Array.from({ length: current.version }, (_, i) =>
    i + 1 === current.version
      ? current
      : {
          ...current,
          version: i + 1,
          status: 'active' as const,
          createdAt: `2026-12-0${Math.min(i + 1, 4)}T09:00:00.000Z`,
        },
  );
  return { ...current, versions, registryPosition };
}

export function aTypeList(types: ActivityTypeVersion[], registryPosition = 42): TypeList {
  return { types, policy: { unknownTypes: 'reject', invalidMetadata: 'reject' }, registryPosition };
}
