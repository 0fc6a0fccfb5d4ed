import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Admin, Consumer, ITopicConfig, Kafka, Producer } from 'kafkajs';
import {
  ActivityTypeCatalog,
  decodeRegistryRecord,
  encodeRegistryRecord,
  registryRecordKey,
  type RegistryRecord,
} from '../../activity-types';
import type { ActivityTypesEnv } from '../config/common-env';
import type { Logger } from '../logging/create-logger';
import { logConsumerCrash } from '../messaging/kafka-client';

export interface ActivityTypeRegistryConfig {
  /** The compacted, single-partition topic that is the registry's source of truth. */
  topic: string;
  /** How often a replica asks the broker where the registry's log ends. */
  refreshMs: number;
  /**
   * A replica's catalog counts as current while it has, within this long, read up to an end offset the broker
   * gave it. A write is answered only after this long (plus a margin), so every current replica holds it.
   */
  leaseMs: number;
  /** How long start() waits to read the registry's log up to its end before failing. */
  startTimeoutMs: number;
}

export interface RegistryStatus {
  /** The catalog is known to be at least as new as every write answered `leaseMs` ago. */
  current: boolean;
  /** Offset after the last record applied. */
  position: number;
  /** The registry log's end offset, as last fetched. */
  endOffset: number | undefined;
  /** Milliseconds since this replica last proved its catalog complete; undefined if it never did. */
  confirmedAgoMs: number | undefined;
  lastError: string | undefined;
}

export interface RegistryWrite {
  /** The record's offset; the catalog position that includes it is offset + 1. */
  offset: number;
  /** false when another writer made the same version first (a lost update). */
  won: boolean;
}

/** Clock rates differ a little between hosts; a write waits this much longer than the lease. */
const LEASE_MARGIN_MS = 100;

export class RegistryUnavailableError extends Error {
  readonly retriable = true;
}

/**
 * Follows the activity type registry's log into a catalog, and appends to it. Every replica reads the whole
 * single-partition topic in a consumer group of its own, so all of them apply the same records in the same
 * order and hold the same catalog at the same position.
 *
 * The promise a 2xx write makes (no replica validates against an older version once it is answered) rests on
 * a lease: every `refreshMs` a replica fetches the log's end offset and, once it has read up to it, records
 * when it asked. It is `current` while that moment is under `leaseMs` old. A write waits for the broker's
 * acknowledgement from all in-sync replicas (so the end offset any replica fetches after it includes it),
 * then `leaseMs` more: a replica still current by then fetched an end offset after the write, and read it.
 * A replica that cannot reach the broker stops being current: it keeps validating with what it has, and
 * says so in /readyz and its metrics.
 */
export class KafkaActivityTypeRegistry {
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private producer: Promise<Producer> | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private confirmedAt: number | undefined;
  private endOffset: number | undefined;
  private lastError: string | undefined;
  private readonly pending: Array<{ at: number; endOffset: number }> = [];
  private readonly waiters = new Set<() => void>();
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(
    private readonly config: ActivityTypeRegistryConfig,
    private readonly deps: { kafka: Kafka; catalog: ActivityTypeCatalog; logger: Logger; now?: () => number },
  ) {
    this.log = deps.logger.child({ component: 'activity-type-registry' });
    this.now = deps.now ?? Date.now;
  }

  get catalog(): ActivityTypeCatalog {
    return this.deps.catalog;
  }

  /** Reads the log up to its current end, then follows it; fails if that takes longer than startTimeoutMs. */
  async start(): Promise<void> {
    const { kafka, catalog } = this.deps;
    this.admin = kafka.admin();
    await this.admin.connect();
    const consumer = kafka.consumer({
      groupId: `uap-activity-types-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 1000,
    });
    this.consumer = consumer;
    // After a rejoin (a broker restart), carry on from where the catalog is instead of the log's start.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (catalog.position > 0)
        consumer.seek({ topic: this.config.topic, partition: 0, offset: String(catalog.position) });
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.lastError = payload.error.message;
      logConsumerCrash(this.log, payload, 'registry consumer crashed');
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [this.config.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const record = decodeRegistryRecord(message.value);
          const offset = Number(message.offset);
          if (record === undefined) catalog.skip(offset);
          else if (catalog.apply(record, offset)) this.log.info(describe(record), 'activity type registry changed');
        }
        this.settle();
      },
    });
    await this.refresh();
    this.refreshTimer = setInterval(() => void this.refresh(), this.config.refreshMs);
    this.refreshTimer.unref();
    const caughtUp = await this.until(() => this.confirmedAt !== undefined, this.config.startTimeoutMs);
    if (!caughtUp) {
      throw new RegistryUnavailableError(
        `could not read the activity type registry (topic ${this.config.topic}) to its end within ` +
          `${this.config.startTimeoutMs} ms: ${this.lastError ?? 'no progress'}`,
      );
    }
    this.log.info(
      { topic: this.config.topic, position: catalog.position, types: catalog.list().length },
      'activity types loaded',
    );
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

  status(): RegistryStatus {
    const now = this.now();
    const confirmedAgoMs = this.confirmedAt === undefined ? undefined : now - this.confirmedAt;
    return {
      current: confirmedAgoMs !== undefined && confirmedAgoMs <= this.config.leaseMs,
      position: this.deps.catalog.position,
      endOffset: this.endOffset,
      confirmedAgoMs,
      lastError: this.lastError,
    };
  }

  /**
   * Appends a record and answers once it is safe to: acknowledged by every in-sync replica, applied here (to
   * learn whether it won), and a lease old, so every current replica holds it.
   */
  async write(record: RegistryRecord): Promise<RegistryWrite> {
    const producer = await this.producerOnce();
    const [sent] = await producer.send({
      topic: this.config.topic,
      acks: -1,
      messages: [{ key: registryRecordKey(record), value: encodeRegistryRecord(record) }],
    });
    const ackedAt = this.now();
    const offset = Number(sent!.baseOffset);
    if (!(await this.until(() => this.deps.catalog.position > offset, this.config.startTimeoutMs))) {
      throw new RegistryUnavailableError(`the registry write at offset ${offset} was not read back in time`);
    }
    const won =
      record.kind === 'policy' || this.deps.catalog.writerOf(record.type.name, record.type.version) === record.writeId;
    if (won) await sleep(Math.max(0, ackedAt + this.config.leaseMs + LEASE_MARGIN_MS - this.now()));
    return { offset, won };
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

  /** Learns where the log ends; the catalog is confirmed as of the asking once it has read that far. */
  private async refresh(): Promise<void> {
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
    const position = this.deps.catalog.position;
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

function describe(record: RegistryRecord): Record<string, unknown> {
  return record.kind === 'policy'
    ? { policy: record.policy, by: record.createdBy }
    : { type: record.type.name, version: record.type.version, status: record.type.status, by: record.type.createdBy };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The registry's topic: one partition (one order for every replica), compacted (never deleted by time). */
export function activityTypesTopic(topic: string): ITopicConfig {
  return { topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] };
}

/** Loads the registry (the built-ins, then every change in its log) and follows it; the lifecycle stops it. */
export async function followActivityTypes(
  kafka: Kafka,
  env: ActivityTypesEnv,
  logger: Logger,
): Promise<KafkaActivityTypeRegistry> {
  const catalog = new ActivityTypeCatalog({
    unknownTypes: env.UNPLANNED_TYPE_POLICY,
    invalidMetadata: env.INVALID_METADATA_POLICY,
  });
  const registry = new KafkaActivityTypeRegistry(
    {
      topic: env.ACTIVITY_TYPES_TOPIC,
      refreshMs: env.ACTIVITY_TYPES_REFRESH_MS,
      leaseMs: env.ACTIVITY_TYPES_LEASE_MS,
      startTimeoutMs: env.ACTIVITY_TYPES_START_TIMEOUT_MS,
    },
    { kafka, catalog, logger },
  );
  try {
    await registry.start();
  } catch (err) {
    await registry.stop();
    throw err;
  }
  return registry;
}
