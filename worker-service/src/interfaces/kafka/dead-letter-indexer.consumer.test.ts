import { HEADERS } from '@uap/shared/contract';
import type { Batch, Consumer, KafkaMessage } from 'kafkajs';
import pino from 'pino';
import { Registry } from 'prom-client';
import { IndexDeadLettersUseCase } from '../../application/index-dead-letters.use-case';
import { createWorkerMetrics } from '../../infrastructure/metrics/worker.metrics';
import { InMemoryDeadLetterIndex } from '../../testing/in-memory.fakes';
import { DeadLetterIndexer } from './dead-letter-indexer.consumer';

const logger = pino({ level: 'silent' });

function aLetterMessage(offset: number, headers: KafkaMessage['headers'] = {}): KafkaMessage {
  return {
    key: Buffer.from('user-1'),
    value: Buffer.from('{oops'),
    headers: { [HEADERS.dlqReason]: Buffer.from('invalid-json'), ...headers },
    offset: String(offset),
    timestamp: String(Date.parse('2026-11-28T10:00:00Z')),
    attributes: 0,
  } as KafkaMessage;
}

function aBatch(messages: KafkaMessage[]) {
  const calls: string[] = [];
  return {
    calls,
    payload: {
      batch: { topic: 'user-activities.dlq', partition: 0, messages } as unknown as Batch,
      resolveOffset: (offset: string) => void calls.push(`resolve ${offset}`),
      commitOffsetsIfNecessary: async () => void calls.push('commit'),
      heartbeat: async () => void calls.push('heartbeat'),
      isRunning: () => true,
      isStale: () => false,
    },
  };
}

function setUp(maxReplays = 3) {
  const index = new InMemoryDeadLetterIndex();
  const metrics = createWorkerMetrics(new Registry());
  const indexer = new DeadLetterIndexer(
    { topic: 'user-activities.dlq', chunkSize: 2, retryInitialMs: 10, retryMaxMs: 10 },
    {
      consumer: {} as Consumer,
      indexDeadLetters: new IndexDeadLettersUseCase({ index, logger, maxReplays }),
      logger,
      onFatal: () => undefined,
      metrics,
      sleep: async () => undefined,
    },
  );
  return { index, indexer, metrics };
}

describe('DeadLetterIndexer.handleBatch', () => {
  it('when letters arrive, then each is indexed by its DLQ position and offsets are committed per chunk after the write', async () => {
    const { index, indexer } = setUp();
    const { payload, calls } = aBatch([aLetterMessage(0), aLetterMessage(1), aLetterMessage(2)]);

    await indexer.handleBatch(payload);

    expect([...index.records.keys()]).toEqual(['0-0', '0-1', '0-2']);
    expect(index.records.get('0-1')).toMatchObject({ reason: 'invalid-json', status: 'dead', key: 'user-1' });
    expect(calls).toEqual(['resolve 1', 'commit', 'heartbeat', 'resolve 2', 'commit', 'heartbeat']);
  });

  it('when the same letters are delivered again, then nothing is indexed twice and the counter counts them once', async () => {
    const { index, indexer, metrics } = setUp();
    const messages = [aLetterMessage(5), aLetterMessage(6)];

    await indexer.handleBatch(aBatch(messages).payload);
    await indexer.handleBatch(aBatch(messages).payload);

    expect(index.records.size).toBe(2);
    expect(await metrics.registry.getSingleMetricAsString('uap_worker_dead_letters_indexed_total')).toContain(
      'uap_worker_dead_letters_indexed_total 2',
    );
  });

  it('when the store is down, then the chunk is retried without committing until it is indexed', async () => {
    const { index, indexer } = setUp();
    index.failNextWrites(2);
    const { payload, calls } = aBatch([aLetterMessage(9)]);

    await indexer.handleBatch(payload);

    expect(index.records.has('0-9')).toBe(true);
    expect(calls.filter((c) => c !== 'heartbeat')).toEqual(['resolve 9', 'commit']);
  });

  it('when a letter carries a replay count above MAX_REPLAYS, then it is indexed as parked', async () => {
    const { index, indexer } = setUp(1);

    await indexer.handleBatch(aBatch([aLetterMessage(3, { [HEADERS.replayCount]: Buffer.from('2') })]).payload);

    expect(index.records.get('0-3')).toMatchObject({ status: 'parked', replayCount: 2 });
  });
});
