import type { Logger } from '@uap/shared/runtime';
import type { Consumer } from 'kafkajs';
import type { IndexDeadLettersUseCase } from '../../application/index-dead-letters.use-case';
import type { WorkerMetrics } from '../../infrastructure/metrics/worker.metrics';
import { retryInBatch, startBatchConsumer, type BatchControl } from './batch-consumer';

export interface DeadLetterIndexerConfig {
  topic: string;
  chunkSize: number;
  retryInitialMs: number;
  retryMaxMs: number;
}

export interface DeadLetterIndexerDeps {
  consumer: Consumer;
  indexDeadLetters: Pick<IndexDeadLettersUseCase, 'execute'>;
  logger: Logger;
  onFatal: (error: Error) => void;
  metrics?: Pick<WorkerMetrics, 'deadLettersIndexed' | 'groupRejoins'>;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Reads the dead-letter topic in a group of its own and projects every letter into the store's index.
 * Like the activity consumer, offsets are resolved and committed only after the chunk is in the
 * store, so a crash replays letters, and the unique letterId (DLQ partition and offset) makes the
 * replay a no-op. A new group starts at the beginning, so letters written before it existed, by
 * older workers or other tools, are indexed too.
 */
export class DeadLetterIndexer {
  private joined = false;
  private readonly log: Logger;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly config: DeadLetterIndexerConfig,
    private readonly deps: DeadLetterIndexerDeps,
  ) {
    this.log = deps.logger.child({ component: 'dead-letter-indexer' });
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  hasJoinedGroup(): boolean {
    return this.joined;
  }

  async start(): Promise<void> {
    await startBatchConsumer(this.deps.consumer, {
      topic: this.config.topic,
      log: this.log,
      onMembership: (joined) => (this.joined = joined),
      onRejoin: (group) => this.deps.metrics?.groupRejoins.inc({ group }),
      onFatal: this.deps.onFatal,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  async stop(): Promise<void> {
    this.joined = false;
    await this.deps.consumer.disconnect();
  }

  async handleBatch(payload: BatchControl): Promise<void> {
    const { batch } = payload;
    for (let start = 0; start < batch.messages.length; start += this.config.chunkSize) {
      if (!payload.isRunning() || payload.isStale()) return;
      const chunk = batch.messages.slice(start, start + this.config.chunkSize);
      const letters = chunk.map((m) => ({
        ...m,
        headers: m.headers ?? {},
        topic: batch.topic,
        partition: batch.partition,
      }));
      const result = await retryInBatch(() => this.deps.indexDeadLetters.execute(letters), payload, {
        ...this.config,
        sleep: this.sleep,
        log: this.log,
      });
      if (!result) return;
      payload.resolveOffset(chunk[chunk.length - 1]!.offset);
      await payload.commitOffsetsIfNecessary();
      await payload.heartbeat();
      this.deps.metrics?.deadLettersIndexed.inc(result.inserted);
    }
  }
}
