import type { ITopicConfig, Kafka } from 'kafkajs';
import {
  ActivityTypeCatalog,
  decodeRegistryRecord,
  encodeRegistryRecord,
  registryRecordKey,
  type RegistryRecord,
} from '../../activity-types';
import type { ActivityTypesEnv } from '../config/common-env';
import type { Logger } from '../logging/create-logger';
import {
  compactedLogTopic,
  LeasedLogFollower,
  LogUnavailableError,
  type LeasedLogConfig,
  type LeasedLogStatus,
} from '../messaging/leased-log-follower';

export type ActivityTypeRegistryConfig = LeasedLogConfig;

export type RegistryStatus = LeasedLogStatus;

export interface RegistryWrite {
  /** The record's offset; the catalog position that includes it is offset + 1. */
  offset: number;
  /** false when another writer made the same version first (a lost update). */
  won: boolean;
}

export { LogUnavailableError as RegistryUnavailableError };

/**
 * Follows the activity type registry's log into a catalog, and appends to it, through a LeasedLogFollower:
 * every replica holds the same catalog at the same position, and a write is answered once every current
 * replica holds it (the follower's comment says how the lease makes that so).
 */
export class KafkaActivityTypeRegistry {
  private readonly follower: LeasedLogFollower;
  private readonly log: Logger;

  constructor(
    private readonly config: ActivityTypeRegistryConfig,
    private readonly deps: { kafka: Kafka; catalog: ActivityTypeCatalog; logger: Logger; now?: () => number },
  ) {
    this.log = deps.logger.child({ component: 'activity-type-registry' });
    const { catalog } = deps;
    this.follower = new LeasedLogFollower(config, {
      kafka: deps.kafka,
      logger: this.log,
      what: 'the activity type registry',
      groupIdPrefix: 'uap-activity-types',
      ...(deps.now === undefined ? {} : { now: deps.now }),
      reader: {
        position: () => catalog.position,
        apply: ({ offset, value }) => {
          const record = decodeRegistryRecord(value);
          if (record === undefined) catalog.skip(offset);
          else if (catalog.apply(record, offset)) this.log.info(describe(record), 'activity type registry changed');
        },
      },
    });
  }

  get catalog(): ActivityTypeCatalog {
    return this.deps.catalog;
  }

  /** Reads the log up to its current end, then follows it; fails if that takes longer than startTimeoutMs. */
  async start(): Promise<void> {
    await this.follower.start();
    const { catalog } = this.deps;
    this.log.info(
      { topic: this.config.topic, position: catalog.position, types: catalog.list().length },
      'activity types loaded',
    );
  }

  stop(): Promise<void> {
    return this.follower.stop();
  }

  status(): RegistryStatus {
    return this.follower.status();
  }

  /**
   * Appends a record and answers once it is safe to: acknowledged by every in-sync replica, applied here (to
   * learn whether it won), and a lease old, so every current replica holds it.
   */
  async write(record: RegistryRecord): Promise<RegistryWrite> {
    const { offset, ackedAt } = await this.follower.append([
      { key: registryRecordKey(record), value: encodeRegistryRecord(record) },
    ]);
    if (!(await this.follower.untilApplied(offset))) {
      throw new LogUnavailableError(`the registry write at offset ${offset} was not read back in time`);
    }
    const won =
      record.kind === 'policy' || this.deps.catalog.writerOf(record.type.name, record.type.version) === record.writeId;
    if (won) await this.follower.untilInForce(ackedAt);
    return { offset, won };
  }
}

function describe(record: RegistryRecord): Record<string, unknown> {
  return record.kind === 'policy'
    ? { policy: record.policy, by: record.createdBy }
    : { type: record.type.name, version: record.type.version, status: record.type.status, by: record.type.createdBy };
}

/** The registry's topic: one partition (one order for every replica), compacted (never deleted by time). */
export function activityTypesTopic(topic: string): ITopicConfig {
  return compactedLogTopic(topic);
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
