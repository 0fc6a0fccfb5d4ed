import { checkActivityType, type ActivityTypeChecker } from '@uap/shared/activity-types';
import { decodeActivityMessage, flagOf, HEADERS } from '@uap/shared/contract';
import type { Logger } from '@uap/shared/runtime';
import type { Consumer, KafkaMessage } from 'kafkajs';
import type { ConsumedMessage, DeadLetter, HeaderValue } from '../../application/ports/dead-letter.publisher.port';
import type {
  ConsumedEvent,
  RecordActivitiesInput,
  RecordActivitiesResult,
  RecordActivitiesUseCase,
} from '../../application/record-activities.use-case';
import type { WorkerMetrics } from '../../infrastructure/metrics/worker.metrics';
import { retryInBatch, startBatchConsumer, type BatchControl } from './batch-consumer';

export interface ActivityConsumerConfig {
  topic: string;
  writeChunkSize: number;
  /** Partitions handled at once; each partition's batches stay sequential, so per-user order holds. */
  partitionsConcurrency?: number;
  retryInitialMs: number;
  retryMaxMs: number;
  /** A chunk in hand longer than this is flagged `stalled` (readiness follows the group-wide stall monitor). */
  stallAfterMs: number;
}

/** The chunk a partition is recording right now. */
export interface ChunkInHand {
  topic: string;
  partition: number;
  firstOffset: string;
  /** Epoch ms when recording started. */
  since: number;
  attempts: number;
}

export interface ActivityConsumerDeps {
  consumer: Consumer;
  recordActivities: Pick<RecordActivitiesUseCase, 'execute'>;
  /** The activity type registry, as this replica follows it: raw producers' events are checked against it. */
  types: ActivityTypeChecker;
  logger: Logger;
  /** Called when kafkajs gives up on the consumer; the process must not live on without it. */
  onFatal: (error: Error) => void;
  sleep?: (ms: number) => Promise<void>;
  metrics?: WorkerMetrics;
  now?: () => number;
}

export interface ConsumerStats {
  inserted: number;
  duplicates: number;
  deadLettered: number;
  retries: number;
}

function copyHeaders(headers: KafkaMessage['headers']): Record<string, HeaderValue> {
  const copy: Record<string, HeaderValue> = {};
  for (const [name, value] of Object.entries(headers ?? {})) if (value !== undefined) copy[name] = value;
  return copy;
}

/** Sorts one chunk of messages into events to store and letters to dead-letter; nothing is thrown away. */
export function classifyMessages(
  messages: readonly KafkaMessage[],
  topic: string,
  partition: number,
  types: ActivityTypeChecker,
): RecordActivitiesInput {
  const events: ConsumedEvent[] = [];
  const deadLetters: DeadLetter[] = [];
  for (const message of messages) {
    const consumed: ConsumedMessage = {
      key: message.key,
      value: message.value,
      headers: copyHeaders(message.headers),
      source: { topic, partition, offset: message.offset },
    };
    const decoded = decodeActivityMessage(message.value);
    const checked = decoded.ok ? checkActivityType(decoded.event, types) : undefined;
    if (checked?.ok) events.push({ event: checked.event, message: consumed });
    else if (checked) deadLetters.push({ ...consumed, reason: 'schema-violation', error: checked.error });
    else if (!decoded.ok) deadLetters.push({ ...consumed, reason: decoded.reason, error: decoded.error });
  }
  return { events, deadLetters };
}

/**
 * Consumes the activities topic in a consumer group. Delivery is at least once: an offset is
 * resolved and committed only after its chunk is stored (or dead-lettered), so a crash, a kill or
 * a rebalance replays uncommitted messages, and the store's unique eventId turns replays into no-ops.
 */
export class ActivityConsumer {
  readonly stats: ConsumerStats = { inserted: 0, duplicates: 0, deadLettered: 0, retries: 0 };
  private joined = false;
  private readonly inHand = new Map<string, ChunkInHand>();
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly log: Logger;

  constructor(
    private readonly config: ActivityConsumerConfig,
    private readonly deps: ActivityConsumerDeps,
  ) {
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = deps.now ?? Date.now;
    this.log = deps.logger.child({ component: 'activity-consumer' });
  }

  /**
   * The chunk each busy partition is recording, oldest first. `stalled` marks one in hand past
   * `stallAfterMs`: a store outage, or a write that never returns. A document the store refuses no
   * longer holds a partition (it is dead-lettered), so a stall is worth a page.
   */
  chunksInHand(): Array<ChunkInHand & { stalled: boolean }> {
    const now = this.now();
    return [...this.inHand.values()]
      .sort((a, b) => a.since - b.since)
      .map((chunk) => ({ ...chunk, stalled: now - chunk.since > this.config.stallAfterMs }));
  }

  stalledPartitions(): ChunkInHand[] {
    return this.chunksInHand().filter((chunk) => chunk.stalled);
  }

  /** True once the group assigned this member its partitions, until it stops or crashes. */
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
      partitionsConcurrency: this.config.partitionsConcurrency ?? 1,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  async stop(): Promise<void> {
    this.joined = false;
    await this.deps.consumer.disconnect();
  }

  async handleBatch(payload: BatchControl): Promise<void> {
    const { batch } = payload;
    const size = this.config.writeChunkSize;
    for (let start = 0; start < batch.messages.length; start += size) {
      // Stopping or a rebalance: leave the rest unresolved, so it is fetched again by whoever owns it.
      if (!payload.isRunning() || payload.isStale()) return;
      const startedAt = this.now();
      const chunk = batch.messages.slice(start, start + size);
      const input = classifyMessages(chunk, batch.topic, batch.partition, this.deps.types);
      const key = `${batch.topic}:${batch.partition}`;
      const inHand: ChunkInHand = {
        topic: batch.topic,
        partition: batch.partition,
        firstOffset: chunk[0]!.offset,
        since: startedAt,
        attempts: 0,
      };
      this.inHand.set(key, inHand);
      const result = await this.recordWithRetry(input, payload, inHand).finally(() => this.inHand.delete(key));
      if (!result) return;
      const storedAt = this.now();
      payload.resolveOffset(chunk[chunk.length - 1]!.offset);
      await payload.commitOffsetsIfNecessary();
      await payload.heartbeat();
      this.observe(input, result, { size: chunk.length, startedAt, storedAt });
    }
  }

  private observe(
    input: RecordActivitiesInput,
    result: RecordActivitiesResult,
    chunk: { size: number; startedAt: number; storedAt: number },
  ): void {
    const metrics = this.deps.metrics;
    if (!metrics) return;
    metrics.eventsPersisted.inc(result.inserted);
    metrics.eventsDuplicate.inc(result.duplicates);
    metrics.eventsErased.inc(result.erased);
    for (const letter of result.deadLetters) {
      metrics.eventsDeadLettered.inc({ reason: letter.reason });
      metrics.countSourceDeadLetter(letter.headers[HEADERS.sourceId]);
    }
    for (const { event } of input.events) {
      const kind = flagOf(event);
      if (kind !== undefined) metrics.eventsFlagged.inc({ kind });
    }
    metrics.batchSize.observe(chunk.size);
    metrics.batchDuration.observe((this.now() - chunk.startedAt) / 1000);
    // The store acknowledged the write at storedAt; persistedAt was stamped just before that write.
    // Only when every event was new: otherwise which of them this write stored is not known.
    if (result.erased === 0 && result.inserted === input.events.length) {
      for (const { event } of input.events) {
        metrics.endToEndLag.observe(Math.max(0, chunk.storedAt - Date.parse(event.receivedAt)) / 1000);
      }
    }
  }

  /** Retries store or dead-letter outages forever, without committing; undefined if it had to give up the batch. */
  private async recordWithRetry(
    input: RecordActivitiesInput,
    payload: BatchControl,
    inHand: ChunkInHand,
  ): Promise<RecordActivitiesResult | undefined> {
    const result = await retryInBatch(() => this.deps.recordActivities.execute(input), payload, {
      ...this.config,
      sleep: (ms) => this.sleep(ms),
      log: this.log,
      onAttempt: (attempt) => {
        inHand.attempts = attempt;
        if (attempt > 1) this.stats.retries++;
      },
    });
    if (result) {
      this.stats.inserted += result.inserted;
      this.stats.duplicates += result.duplicates;
      this.stats.deadLettered += result.deadLetters.length;
    }
    return result;
  }
}
