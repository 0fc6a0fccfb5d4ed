import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../../app';
import { IngestActivityUseCase } from '../../../application/ingest-activity.use-case';
import type { PartitionProgress, ProgressSnapshot } from '../../../application/ports/consumer-progress.port';
import { ReceiptsUseCase } from '../../../application/receipts.use-case';
import { InMemoryActivityReader } from '../../../testing/in-memory-activity.reader';
import { InMemoryDeadLetterStore } from '../../../testing/in-memory-dead-letters';
import { TEST_APP_CONFIG, TEST_INGEST_CONFIG, TEST_RECEIPTS } from '../../../testing/test-app';
import { FreshnessSchema } from './receipts.router';

const AT = new Date('2026-11-27T12:00:00.000Z');

const aPartition = (overrides: Partial<PartitionProgress>): PartitionProgress => ({
  partition: 0,
  committed: 100,
  end: 100,
  lag: 0,
  watermark: AT,
  stalledSince: null,
  ...overrides,
});

function appWith(partitions: PartitionProgress[]) {
  const snapshot: ProgressSnapshot = {
    at: AT,
    topic: 'user-activities',
    group: 'activity-worker',
    partitions,
    lag: partitions.reduce((sum, p) => sum + p.lag, 0),
    watermark: null,
  };
  const progress = { current: () => snapshot, next: async () => snapshot };
  return createApp({
    logger: pino({ level: 'silent' }),
    ingest: new IngestActivityUseCase(TEST_INGEST_CONFIG, {
      publisher: { publish: async () => [] },
      receipts: TEST_RECEIPTS,
    }),
    receipts: {
      receipts: new ReceiptsUseCase({
        codec: TEST_RECEIPTS,
        topic: 'user-activities',
        progress,
        reader: new InMemoryActivityReader([]),
        deadLetters: new InMemoryDeadLetterStore(),
      }),
      progress,
      refreshMs: 250,
    },
    readiness: [],
    config: TEST_APP_CONFIG,
  });
}

describe('GET /api/v1/freshness', () => {
  it('when partitions are stalled, then each says since when and the stalled ones are listed, longest first', async () => {
    const res = await request(
      appWith([
        aPartition({}),
        aPartition({
          partition: 2,
          committed: 480,
          end: 1000,
          lag: 520,
          watermark: null,
          stalledSince: new Date(AT.getTime() - 90_000),
        }),
        aPartition({ partition: 4, committed: 7, end: 9, lag: 2, stalledSince: new Date(AT.getTime() - 300_000) }),
      ]),
    )
      .get('/api/v1/freshness')
      .expect(200);

    const body = FreshnessSchema.parse(res.body);
    expect(body.stalled).toEqual([4, 2]);
    expect(body.partitions.map((p) => [p.partition, p.stalled, p.stalledSince])).toEqual([
      [0, false, null],
      [2, true, '2026-11-27T11:58:30.000Z'],
      [4, true, '2026-11-27T11:55:00.000Z'],
    ]);
    expect(body.worst).toMatchObject({ partition: 2, stalled: true });
  });

  it('when nothing is stalled, then the list is empty', async () => {
    const res = await request(appWith([aPartition({}), aPartition({ partition: 1, lag: 3, end: 103 })]))
      .get('/api/v1/freshness')
      .expect(200);

    expect(res.body).toMatchObject({ stalled: [], partitions: [{ stalled: false }, { stalled: false }] });
  });
});
