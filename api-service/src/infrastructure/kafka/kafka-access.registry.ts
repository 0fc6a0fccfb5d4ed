import { LeasedLogFollower, type LeasedLogConfig, type LeasedLogStatus, type Logger } from '@uap/shared/runtime';
import type { Kafka } from 'kafkajs';
import type { AccessRegistry } from '../../application/ports/access-registry.port';
import type { ApiKeyEntry } from '../../domain/api-key';
import { AccessCatalog } from '../../domain/access/access-catalog';
import {
  accessRecordKey,
  decodeAccessRecord,
  encodeAccessRecord,
  type AccessRecord,
} from '../../domain/access/access-record';
import { DomainError } from '../../domain/domain-error';

export interface AccessRegistryConfig extends LeasedLogConfig {
  /** A key's last use is written to the log at most this often per key by this replica. */
  usageFlushMs: number;
}

/** How long stop() gives the last flush of key uses before it lets them go. */
const FINAL_FLUSH_MS = 1_000;

/**
 * The access log (runtime keys, their revocations and rotations, last uses, sources) followed into an
 * AccessCatalog through a LeasedLogFollower, and appended to. Every replica holds the same keys at the same
 * position; a write answers once this replica applied it (so the replica that took the request enforces it at
 * once) with `inForceBy`, a lease after the broker's acknowledgement: by then every current replica has it. A
 * replica that loses the log keeps its last keys and sources, refuses ids it never saw, still applies expiry and
 * rotation grace by the clock, and reports `current: false` (readiness check `access-keys`).
 *
 * Last use is noted in memory on the request path (a Map set, no I/O) and written as `key-used` records by a
 * timer, once per `usageFlushMs` for all keys used since the last flush: a per-key lastUsedAt as fresh as that,
 * at a cost of one small send per replica and interval.
 */
export class KafkaAccessRegistry implements AccessRegistry {
  readonly catalog: AccessCatalog;
  private readonly follower: LeasedLogFollower;
  private readonly log: Logger;
  private readonly now: () => number;
  /** keyId → latest use not yet written. */
  private readonly unflushed = new Map<string, number>();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly config: AccessRegistryConfig,
    deps: { kafka: Kafka; bootstrap: readonly ApiKeyEntry[]; logger: Logger; now?: () => number },
  ) {
    this.log = deps.logger.child({ component: 'access-registry' });
    this.now = deps.now ?? Date.now;
    const catalog = new AccessCatalog(deps.bootstrap, { onUse: (keyId, now) => this.noteUse(keyId, now) });
    this.catalog = catalog;
    this.follower = new LeasedLogFollower(config, {
      kafka: deps.kafka,
      logger: this.log,
      what: 'the access log',
      groupIdPrefix: 'uap-access',
      ...(deps.now === undefined ? {} : { now: deps.now }),
      reader: {
        position: () => catalog.position,
        apply: ({ offset, value }) => {
          const record = decodeAccessRecord(value);
          if (record === undefined) {
            catalog.skip(offset);
            this.log.warn({ offset }, 'skipped an access log record this replica cannot read');
          } else if (catalog.apply(record, offset) && record.kind !== 'key-used') {
            this.log.info({ offset, ...describe(record) }, 'access changed');
          }
        },
      },
    });
  }

  /** Reads the log to its end, then follows it; fails if that takes longer than startTimeoutMs. */
  async start(): Promise<void> {
    await this.follower.start();
    const { catalog } = this;
    this.log.info(
      {
        topic: this.config.topic,
        position: catalog.position,
        bootstrapKeys: catalog.keys().length - catalog.runtimeKeyCount(),
        runtimeKeys: catalog.runtimeKeyCount(),
        sources: catalog.sources().length,
      },
      'access log loaded',
    );
    this.flushTimer = setInterval(() => void this.flushUsage(), this.config.usageFlushMs);
    this.flushTimer.unref();
  }

  /** Stops following; the uses noted since the last flush get one bounded try. */
  async stop(): Promise<void> {
    clearInterval(this.flushTimer);
    await Promise.race([this.flushUsage(), new Promise((resolve) => setTimeout(resolve, FINAL_FLUSH_MS).unref())]);
    await this.follower.stop();
  }

  status(): LeasedLogStatus {
    return this.follower.status();
  }

  async write(records: AccessRecord[]): Promise<{ offset: number; inForceBy: Date }> {
    let appended: { offset: number; ackedAt: number };
    try {
      appended = await this.follower.append(
        records.map((record) => ({ key: accessRecordKey(record), value: encodeAccessRecord(record) })),
      );
    } catch (err) {
      throw new DomainError('SERVICE_UNAVAILABLE', 'The access log could not be written; retry shortly', {
        retriable: true,
        cause: err,
      });
    }
    if (!(await this.follower.untilApplied(appended.offset))) {
      // Durable, so it will apply everywhere; only this replica is behind. The client retries (idempotent writes).
      throw new DomainError('SERVICE_UNAVAILABLE', 'The access change is stored but not read back yet; retry shortly', {
        retriable: true,
      });
    }
    return { offset: appended.offset, inForceBy: new Date(this.follower.inForceBy(appended.ackedAt)) };
  }

  /** On every successful authentication: O(1), no I/O. */
  noteUse(keyId: string, now: number): void {
    if ((this.unflushed.get(keyId) ?? -Infinity) < now) this.unflushed.set(keyId, now);
  }

  /** Writes the uses noted since the last flush as key-used records; those that fail wait for the next one. */
  flushUsage(): Promise<void> {
    this.flushing ??= this.flushOnce().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    if (this.unflushed.size === 0) return;
    const uses = [...this.unflushed];
    this.unflushed.clear();
    const records: AccessRecord[] = uses.map(([keyId, at]) => ({
      kind: 'key-used',
      keyId,
      at: new Date(at).toISOString(),
    }));
    try {
      await this.follower.append(records.map((r) => ({ key: accessRecordKey(r), value: encodeAccessRecord(r) })));
    } catch (err) {
      for (const [keyId, at] of uses) this.noteUse(keyId, at);
      this.log.warn({ err: (err as Error).message, keys: uses.length }, 'could not record the last use of keys');
    }
  }
}

/** What a change says in the log: ids, labels and actors, never a hash. */
function describe(record: AccessRecord): Record<string, unknown> {
  switch (record.kind) {
    case 'key':
      return {
        kind: record.kind,
        keyId: record.key.id,
        label: record.key.label,
        scopes: record.key.scopes,
        sourceId: record.key.sourceId,
        by: record.key.createdBy.keyId,
      };
    case 'key-revoked':
      return { kind: record.kind, keyId: record.keyId, at: record.at, by: record.by.keyId };
    case 'key-ends':
      return {
        kind: record.kind,
        keyId: record.keyId,
        at: record.at,
        successorId: record.successorId,
        by: record.by.keyId,
      };
    case 'key-used':
      return { kind: record.kind, keyId: record.keyId, at: record.at };
    case 'source':
      return {
        kind: record.kind,
        sourceId: record.source.id,
        status: record.source.status,
        by: record.source.updatedBy.keyId,
      };
  }
}

/** Follows the access log (bootstrap keys first, then every record) and returns once it has read it to its end. */
export async function followAccess(
  kafka: Kafka,
  config: {
    ACCESS_TOPIC: string;
    ACCESS_REFRESH_MS: number;
    ACCESS_LEASE_MS: number;
    ACCESS_START_TIMEOUT_MS: number;
    KEY_USAGE_FLUSH_MS: number;
  },
  bootstrap: readonly ApiKeyEntry[],
  logger: Logger,
): Promise<KafkaAccessRegistry> {
  const registry = new KafkaAccessRegistry(
    {
      topic: config.ACCESS_TOPIC,
      refreshMs: config.ACCESS_REFRESH_MS,
      leaseMs: config.ACCESS_LEASE_MS,
      startTimeoutMs: config.ACCESS_START_TIMEOUT_MS,
      usageFlushMs: config.KEY_USAGE_FLUSH_MS,
    },
    { kafka, bootstrap, logger },
  );
  try {
    await registry.start();
  } catch (err) {
    await registry.stop();
    throw err;
  }
  return registry;
}
