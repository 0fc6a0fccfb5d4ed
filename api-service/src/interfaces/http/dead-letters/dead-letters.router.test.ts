import { DEAD_LETTER_INDEXES, type DeadLetterRecord } from '@uap/shared/contract';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../../app';
import { DeadLettersUseCase } from '../../../application/dead-letters.use-case';
import { IngestActivityUseCase } from '../../../application/ingest-activity.use-case';
import type { ReplayDeadLettersUseCase } from '../../../application/replay-dead-letters.use-case';
import { letterFilter } from '../../../infrastructure/mongo/mongo-dead-letter.store';
import { InMemoryActivityPublisher } from '../../../testing/in-memory-activity.publisher';
import { InMemoryDeadLetterStore } from '../../../testing/in-memory-dead-letters';
import { TEST_APP_CONFIG, TEST_INGEST_CONFIG, TEST_RECEIPTS } from '../../../testing/test-app';

function aLetter(n: number, sourceId?: string): DeadLetterRecord {
  return {
    letterId: `0-${n}`,
    reason: 'schema-violation',
    error: 'metadata.query: must be string',
    dlqTopic: 'user-activities.dlq',
    dlqPartition: 0,
    dlqOffset: n,
    failedAt: new Date(Date.UTC(2026, 0, 1, 0, n)),
    ...(sourceId === undefined ? {} : { sourceId }),
    status: 'dead',
    replayCount: 0,
    key: 'user-1',
    headers: [],
    payloadBytes: 0,
    indexedAt: new Date(Date.UTC(2026, 0, 1, 1)),
  };
}

function appOver(letters: DeadLetterRecord[]) {
  return createApp({
    logger: pino({ level: 'silent' }),
    ingest: new IngestActivityUseCase(TEST_INGEST_CONFIG, {
      publisher: new InMemoryActivityPublisher(),
      receipts: TEST_RECEIPTS,
    }),
    deadLetters: {
      deadLetters: new DeadLettersUseCase({ store: new InMemoryDeadLetterStore().add(...letters) }),
      replays: {} as ReplayDeadLettersUseCase,
    },
    readiness: [],
    config: TEST_APP_CONFIG,
  });
}

type LetterPage = { data: Array<{ letterId: string; sourceId: string | null }>; page: { nextCursor: string | null } };

describe('GET /api/v1/dead-letters?sourceId=', () => {
  const letters = [aLetter(1, 'web'), aLetter(2), aLetter(3, 'ios'), aLetter(4, 'web'), aLetter(5, 'web')];

  it('when a source is asked for, then only its letters come, newest first, and paging keeps to it', async () => {
    const app = appOver(letters);

    const first = (await request(app).get('/api/v1/dead-letters?sourceId=web&limit=2').expect(200)).body as LetterPage;
    const next = (
      await request(app).get(`/api/v1/dead-letters?sourceId=web&limit=2&cursor=${first.page.nextCursor}`).expect(200)
    ).body as LetterPage;

    expect([...first.data, ...next.data].map((l) => [l.letterId, l.sourceId])).toEqual([
      ['0-5', 'web'],
      ['0-4', 'web'],
      ['0-1', 'web'],
    ]);
    expect(next.page.nextCursor).toBeNull();
  });

  it('when no source is asked for, then every letter comes, sourceId null on those without one', async () => {
    const page = (await request(appOver(letters)).get('/api/v1/dead-letters').expect(200)).body as LetterPage;

    expect(page.data.map((l) => l.sourceId)).toEqual(['web', 'web', 'ios', null, 'web']);
  });

  it.each(['Web', 'web_app', 'a'.repeat(41)])('when sourceId is malformed (%s), then 400 names it', async (value) => {
    const res = await request(appOver(letters)).get(`/api/v1/dead-letters?sourceId=${value}`).expect(400);

    expect(JSON.parse(res.text)).toMatchObject({ errors: [expect.objectContaining({ path: 'sourceId' })] });
  });

  it('when the store is asked for a source, then the filter names it and an index leads with it', () => {
    expect(letterFilter({ sourceId: 'web', reason: 'invalid-json' })).toEqual({
      reason: 'invalid-json',
      sourceId: 'web',
    });
    expect(DEAD_LETTER_INDEXES.map((index) => Object.keys(index.key)[0])).toContain('sourceId');
  });
});
