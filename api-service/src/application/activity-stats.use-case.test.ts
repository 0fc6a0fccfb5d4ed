import { BUILT_IN_ACTIVITY_TYPES, type ActivityType } from '@uap/shared/contract';
import {
  BUCKET_MS,
  bucketCountOf,
  STATS_BUCKETS,
  type ActivityStats,
  type StatsBucket,
  type StatsQuery,
} from '../domain/activity-stats';
import { anActivityRecord, InMemoryActivityReader } from '../testing/in-memory-activity.reader';
import { InMemoryRollupReader } from '../testing/in-memory-rollup.reader';
import { domainErrorOf } from '../testing/domain-error-of';
import type { ActivityRecord } from './ports/activity-reader.port';
import { ActivityStatsUseCase } from './activity-stats.use-case';

const START = Date.UTC(2026, 0, 1, 22, 0);

/** A small deterministic pseudo-random sequence, so a failure can be replayed. */
function sequence(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function seedRecords(count: number): ActivityRecord[] {
  const random = sequence(7);
  return Array.from({ length: count }, () =>
    anActivityRecord({
      userId: `user-${Math.floor(random() * 5)}`,
      type: BUILT_IN_ACTIVITY_TYPES[Math.floor(random() * 4)]!,
      // Three hours across a UTC midnight, millisecond precision.
      occurredAt: new Date(START + Math.floor(random() * 3 * 3_600_000)),
    }),
  );
}

/** The answer by definition: every record of [from, to), bucketed and counted one by one; only non-empty buckets. */
function bruteForce(records: readonly ActivityRecord[], query: StatsQuery) {
  const counts = new Map<string, Partial<Record<ActivityType, number>>>();
  for (const r of records) {
    if (r.occurredAt < query.from || r.occurredAt >= query.to) continue;
    if (query.userId !== undefined && r.userId !== query.userId) continue;
    if (query.sourceId !== undefined && r.sourceId !== query.sourceId) continue;
    if (query.types && !query.types.includes(r.type)) continue;
    const size = BUCKET_MS[query.bucket];
    const start = new Date(Math.floor(r.occurredAt.getTime() / size) * size).toISOString();
    const bucket = counts.get(start) ?? {};
    bucket[r.type] = (bucket[r.type] ?? 0) + 1;
    counts.set(start, bucket);
  }
  return [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
}

/** The answer's non-empty buckets, in bruteForce's shape. */
function nonEmptyBuckets(stats: ActivityStats) {
  const size = BUCKET_MS[stats.bucket];
  const result: Array<[string, Partial<Record<ActivityType, number>>]> = [];
  for (let i = 0; i < stats.bucketCount; i++) {
    const counts: Partial<Record<ActivityType, number>> = {};
    for (const type of stats.types) if (stats.series[type]![i]! > 0) counts[type] = stats.series[type]![i]!;
    if (Object.keys(counts).length > 0) result.push([new Date(stats.start.getTime() + i * size).toISOString(), counts]);
  }
  return result;
}

function setUp(records: ActivityRecord[], options: { retentionDays?: number; now?: Date; cap?: number } = {}) {
  const reader = new InMemoryActivityReader([...records]);
  const rollups = new InMemoryRollupReader(records);
  const useCase = new ActivityStatsUseCase(
    { retentionDays: options.retentionDays ?? 0, pageSize: 50, maxEventsCounted: options.cap ?? 100_000 },
    { reader, rollups, now: () => options.now ?? new Date(START + 4 * 3_600_000) },
  );
  return { reader, rollups, useCase };
}

describe('ActivityStatsUseCase', () => {
  const records = seedRecords(3_000);

  it.each(STATS_BUCKETS)(
    'when random ranges (aligned or not) are asked at %s buckets, then the counts equal a brute-force count',
    async (bucket: StatsBucket) => {
      const { useCase } = setUp(records);
      const random = sequence(bucket.length);
      for (let i = 0; i < 25; i++) {
        const a = START - 600_000 + Math.floor(random() * 4 * 3_600_000);
        const b = START - 600_000 + Math.floor(random() * 4 * 3_600_000);
        const aligned = i % 3 === 0 ? (ms: number) => Math.floor(ms / 60_000) * 60_000 : (ms: number) => ms;
        const from = new Date(aligned(Math.min(a, b)));
        const to = new Date(aligned(Math.max(a, b)) + 60_000);
        const types = i % 4 === 1 ? (['SEARCH', 'LOGOUT'] as ActivityType[]) : undefined;
        const query: StatsQuery = { from, to, bucket, ...(types ? { types } : {}) };

        const stats = await useCase.stats(query);

        expect(nonEmptyBuckets(stats)).toEqual(bruteForce(records, query));
        expect(stats.bucketCount).toBe(bucketCountOf(from, to, bucket));
        for (const type of stats.types) expect(stats.series[type]).toHaveLength(stats.bucketCount);
        expect(stats.total).toBe(stats.types.reduce((sum, type) => sum + stats.totals[type]!, 0));
        expect(stats.source).toBe('rollups');
      }
    },
  );

  it('when the range is whole minutes, then no event is read one by one', async () => {
    const { useCase, reader } = setUp(records);
    await useCase.stats({ from: new Date(START), to: new Date(START + 3_600_000), bucket: 'minute' });
    expect(reader.calls).toEqual([]);
  });

  it('when a userId is given, then its events are counted from the store, exactly', async () => {
    const { useCase, rollups } = setUp(records);
    const query: StatsQuery = {
      from: new Date(START + 1_234),
      to: new Date(START + 2 * 3_600_000),
      bucket: 'minute',
      userId: 'user-3',
    };
    const stats = await useCase.stats(query);
    expect(stats.source).toBe('events');
    expect(nonEmptyBuckets(stats)).toEqual(bruteForce(records, query));
    expect(rollups.calls).toEqual([]);
  });

  it('when a userId has more events in the range than can be counted one by one, then it is a 400 saying to narrow it', async () => {
    const many = Array.from({ length: 201 }, (_, i) =>
      anActivityRecord({ userId: 'busy', occurredAt: new Date(START + i) }),
    );
    const { useCase } = setUp(many, { cap: 200 });
    const error = await domainErrorOf(
      useCase.stats({ from: new Date(START), to: new Date(START + 3_600_000), bucket: 'hour', userId: 'busy' }),
    );
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.errors[0]).toMatchObject({ path: 'userId', message: expect.stringContaining('narrow from/to') });
    const justEnough = await setUp(many.slice(1), { cap: 200 }).useCase.stats({
      from: new Date(START),
      to: new Date(START + 3_600_000),
      bucket: 'hour',
      userId: 'busy',
    });
    expect(justEnough.total).toBe(200);
  });

  it('when a sourceId is given, then its events are counted from the store, exactly, without the rollups', async () => {
    const sourced = records.map((r, i) =>
      i % 3 === 0 ? { ...r, sourceId: 'web' } : i % 3 === 1 ? { ...r, sourceId: 'ios' } : r,
    );
    const { useCase, rollups, reader } = setUp(sourced);
    const query: StatsQuery = {
      from: new Date(START + 1_234),
      to: new Date(START + 2 * 3_600_000),
      bucket: 'minute',
      types: ['LOGIN', 'SEARCH'],
      sourceId: 'web',
    };
    const stats = await useCase.stats(query);
    expect(stats.source).toBe('events');
    expect(stats.exact).toBe(true);
    expect(stats.total).toBeGreaterThan(0);
    expect(nonEmptyBuckets(stats)).toEqual(bruteForce(sourced, query));
    expect(rollups.calls).toEqual([]);
    expect(reader.calls[0]).toMatchObject({ method: 'findPage', arg: { filters: { sourceId: 'web' }, sort: 'asc' } });
    const both = await useCase.stats({ ...query, userId: 'user-3' });
    expect(nonEmptyBuckets(both)).toEqual(bruteForce(sourced, { ...query, userId: 'user-3' }));
  });

  it('when a sourceId has more events in the range than can be counted one by one, then it is a 400 naming sourceId', async () => {
    const many = Array.from({ length: 201 }, (_, i) =>
      anActivityRecord({ sourceId: 'web', occurredAt: new Date(START + i) }),
    );
    const error = await domainErrorOf(
      setUp(many, { cap: 200 }).useCase.stats({
        from: new Date(START),
        to: new Date(START + 3_600_000),
        bucket: 'hour',
        sourceId: 'web',
      }),
    );
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.errors[0]).toMatchObject({
      path: 'sourceId',
      message: expect.stringContaining('for this sourceId in the range; narrow from/to'),
      rule: 'stats-count-cap',
    });
  });

  it('when a type registered at runtime was stored, then the rollups, the partial minutes and a userId all count it', async () => {
    const videos = [
      anActivityRecord({ type: 'VIDEO_PLAY', occurredAt: new Date(START + 10_000) }),
      anActivityRecord({ type: 'VIDEO_PLAY', occurredAt: new Date(START + 90_000) }),
      anActivityRecord({ type: 'VIDEO_PLAY', occurredAt: new Date(START + 3_600_000 + 5_000) }),
      anActivityRecord({ type: 'LOGIN', occurredAt: new Date(START + 90_000) }),
    ];
    const { useCase } = setUp(videos);
    const hours = { from: new Date(START), to: new Date(START + 2 * 3_600_000), bucket: 'hour' as const };
    const fromRollups = await useCase.stats(hours);
    expect(fromRollups).toMatchObject({
      source: 'rollups',
      types: ['LOGIN', 'VIDEO_PLAY'],
      series: { LOGIN: [1, 0], VIDEO_PLAY: [2, 1] },
      totals: { LOGIN: 1, VIDEO_PLAY: 3 },
      total: 4,
    });
    // Starts inside the first minute, so that minute's tail is counted per type from the events.
    const unaligned = await useCase.stats({ ...hours, from: new Date(START + 5_000), types: ['VIDEO_PLAY'] });
    expect(unaligned).toMatchObject({ types: ['VIDEO_PLAY'], series: { VIDEO_PLAY: [2, 1] }, total: 3 });
    const ofUser = await useCase.stats({ ...hours, userId: 'user-1' });
    expect(ofUser).toMatchObject({ source: 'events', totals: { LOGIN: 1, VIDEO_PLAY: 3 } });
  });

  it('when retention is on, then from is clamped to its horizon and the answer says so', async () => {
    const now = new Date(START + 2 * 86_400_000);
    const { useCase } = setUp(records, { retentionDays: 1, now });
    const stats = await useCase.stats({ from: new Date(START), to: now, bucket: 'hour' });
    expect(stats.from).toEqual(new Date(START + 86_400_000));
    expect(stats.total).toBe(0);
  });

  it('when the rollups started after events were stored, then the answer is marked inexact with the reason', async () => {
    const { useCase, rollups } = setUp(records);
    rollups.coverageValue = { complete: false, reason: 'events stored before the rollups are not counted' };
    const stats = await useCase.stats({ from: new Date(START), to: new Date(START + 3_600_000), bucket: 'hour' });
    expect(stats).toMatchObject({ exact: false, inexactReason: 'events stored before the rollups are not counted' });
  });
});
