import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Admin, Consumer, ITopicConfig, Kafka, Producer } from 'kafkajs';
import type { Logger } from '../logging/create-logger';
import { logConsumerCrash } from './kafka-client';

export interface LeasedLogConfig {
  /** The compacted, single-partition topic that is the source of truth. */
  topic: string;
  /** How often a replica asks the broker where the log ends. */
  refreshMs: number;
  /**
   * A replica's state counts as current while it has, within this long, read up to an end offset the broker
   * gave it. A write is in force everywhere this long (plus a margin) after the broker acknowledged it.
   */
  leaseMs: number;
  /** How long start() waits to read the log up to its end before failing (and a write to be read back). */
  startTimeoutMs: number;
}

export interface LeasedLogStatus {
  /** The state is known to be at least as new as every write acknowledged `leaseMs` ago. */
  current: boolean;
  /** Offset after the last record applied. */
  position: number;
  /** The log's end offset, as last fetched. */
  endOffset: number | undefined;
  /** Milliseconds since this replica last proved its state complete; undefined if it never did. */
  confirmedAgoMs: number | undefined;
  lastError: string | undefined;
}

/** What the follower feeds: it applies each message in log order and says where it is. */
export interface LeasedLogReader {
  /** Applies one message; one it cannot read it skips (it must not throw), moving its position past it. */
  apply(message: { offset: number; value: Buffer | null }): void;
  /** The offset after the last message applied. */
  position(): number;
}

/** A followed log's topic: one partition (one order for every replica), compacted (never deleted by time). */
export function compactedLogTopic(topic: string): ITopicConfig {
  return { topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] };
}

/** Clock rates differ a little between hosts; a write waits this much longer than the lease. */
export const LEASE_MARGIN_MS = 100;

export class LogUnavailableError extends Error {
  readonly retriable = true;
}

/**
 * Follows a single-partition log into a reader's state, and appends to it. Every replica reads the whole topic
 * in a consumer group of its own, so all of them apply the same records in the same order and hold the same
 * state at the same position.
 *
 * The promise a write makes (no replica acts on older state once the write is in force) rests on a lease:
 * every `refreshMs` a replica fetches the log's end offset and, once it has read up to it, records when it
 * asked. It is `current` while that moment is under `leaseMs` old. A write waits for the broker's
 * acknowledgement from all in-sync replicas (so the end offset any replica fetches after it includes it); a
 * replica still current `leaseMs` later fetched an end offset after the write, and read it. A replica that
 * cannot reach the broker stops being current: it keeps the state it has, and says so through `status()`.
 */
export class LeasedLogFollower {
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private producer: Promise<Producer> | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private confirmedAt: number | undefined;
  private endOffset: number | undefined;
  private lastError: string | undefined;
  private readonly pending: Array<{ at: number; endOffset: number }> = [];
  private readonly waiters = new Set<() => void>();
  private readonly now: () => number;

  constructor(
    readonly config: LeasedLogConfig,
    private readonly deps: {
      kafka: Kafka;
      reader: LeasedLogReader;
      /** The owner's logger (its component names the log). */
      logger: Logger;
      /** Names the log in errors, e.g. "the activity type registry". */
      what: string;
      /** The consumer group's prefix; each replica adds its host, pid and a random suffix. */
      groupIdPrefix: string;
      now?: () => number;
    },
  ) {
    this.now = deps.now ?? Date.now;
  }

  /** Reads the log up to its current end, then follows it; fails if that takes longer than startTimeoutMs. */
  async start(): Promise<void> {
    const { kafka, reader } = this.deps;
    this.admin = kafka.admin();
    await this.admin.connect();
    const consumer = kafka.consumer({
      groupId: `${this.deps.groupIdPrefix}-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 1000,
      // The group has this one member. After an outage that kept it from leaving, its next join waits for the
      // coordinator to drop the old member: a short session bounds how long the replica stays behind (30 s default).
      sessionTimeout: 10_000,
    });
    this.consumer = consumer;
    // After a rejoin (a broker restart), carry on from where the state is instead of the log's start.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (reader.position() > 0)
        consumer.seek({ topic: this.config.topic, partition: 0, offset: String(reader.position()) });
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.lastError = payload.error.message;
      logConsumerCrash(this.deps.logger, payload, `${this.deps.what} consumer crashed`);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [this.config.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) reader.apply({ offset: Number(message.offset), value: message.value });
        this.settle();
      },
    });
    await this.refresh();
    this.refreshTimer = setInterval(() => void this.refresh(), this.config.refreshMs);
    this.refreshTimer.unref();
    const caughtUp = await this.until(() => this.confirmedAt !== undefined, this.config.startTimeoutMs);
    if (!caughtUp) {
      throw new LogUnavailableError(
        `could not read ${this.deps.what} (topic ${this.config.topic}) to its end within ` +
          `${this.config.startTimeoutMs} ms: ${this.lastError ?? 'no progress'}`,
      );
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.refreshTimer);
    for (const wake of this.waiters) wake();
    await Promise.allSettled([
      this.consumer?.disconnect(),
      this.admin?.disconnect(),
      this.producer?.then((producer) => producer.disconnect()),
    ]);
  }

  status(): LeasedLogStatus {
    const now = this.now();
    const confirmedAgoMs = this.confirmedAt === undefined ? undefined : now - this.confirmedAt;
    return {
      current: confirmedAgoMs !== undefined && confirmedAgoMs <= this.config.leaseMs,
      position: this.deps.reader.position(),
      endOffset: this.endOffset,
      confirmedAgoMs,
      lastError: this.lastError,
    };
  }

  /**
   * Appends the messages in one send, acknowledged by every in-sync replica. Resolves with the last message's
   * offset and when the acknowledgement came (the lease counts from then).
   */
  async append(messages: Array<{ key: string; value: string }>): Promise<{ offset: number; ackedAt: number }> {
    const producer = await this.producerOnce();
    const [sent] = await producer.send({ topic: this.config.topic, acks: -1, messages });
    return { offset: Number(sent!.baseOffset) + messages.length - 1, ackedAt: this.now() };
  }

  /** Resolves true once the reader applied the record at `offset`; false if that did not happen in time. */
  untilApplied(offset: number, timeoutMs = this.config.startTimeoutMs): Promise<boolean> {
    return this.until(() => this.deps.reader.position() > offset, timeoutMs);
  }

  /** When every replica current by then holds a write acknowledged at `ackedAt`. */
  inForceBy(ackedAt: number): number {
    return ackedAt + this.config.leaseMs + LEASE_MARGIN_MS;
  }

  /** Waits until inForceBy(ackedAt). */
  async untilInForce(ackedAt: number): Promise<void> {
    await sleep(Math.max(0, this.inForceBy(ackedAt) - this.now()));
  }

  /** One producer, made on the first write (most replicas never write); concurrent first writes share it. */
  private producerOnce(): Promise<Producer> {
    this.producer ??= (async () => {
      const producer = this.deps.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
      });
      await producer.connect();
      return producer;
    })().catch((err: unknown) => {
      this.producer = undefined;
      throw err;
    });
    return this.producer;
  }

  /**
   * Learns where the log ends; the state is confirmed as of the asking once it has read that far. The timer
   * calls it every refreshMs; a test calls it to step the lease.
   */
  async refresh(): Promise<void> {
    const at = this.now();
    try {
      const offsets = await this.admin!.fetchTopicOffsets(this.config.topic);
      const end = Number(offsets.find((p) => p.partition === 0)?.high ?? 0);
      this.endOffset = end;
      this.lastError = undefined;
      this.pending.push({ at, endOffset: end });
      if (this.pending.length > 20) this.pending.shift();
      this.settle();
    } catch (err) {
      this.lastError = (err as Error).message;
    }
  }

  private settle(): void {
    const position = this.deps.reader.position();
    while (this.pending.length > 0 && this.pending[0]!.endOffset <= position) {
      this.confirmedAt = Math.max(this.confirmedAt ?? 0, this.pending.shift()!.at);
    }
    for (const wake of this.waiters) wake();
  }

  private until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    if (condition()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        if (!condition()) return;
        finish(true);
      };
      const finish = (result: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(result);
      };
      const timer = setTimeout(() => finish(condition()), timeoutMs);
      this.waiters.add(wake);
    });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
