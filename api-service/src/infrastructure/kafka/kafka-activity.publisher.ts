import { encodeActivityMessage, type ActivityEvent, type Logger } from '@uap/shared';
import { CompressionTypes, Partitioners, type Admin, type Kafka, type Producer } from 'kafkajs';
import { DomainError } from '../../domain/domain-error';
import type { ActivityPublisher, PublishMeta } from '../../application/ports/activity-publisher.port';

export interface KafkaPublisherConfig {
  topic: string;
  /** Upper bound for one publish, connect included; past it the client gets 503 + Retry-After. */
  publishTimeoutMs: number;
}

class PublishTimeoutError extends Error {
  override readonly name = 'PublishTimeoutError';
}

/**
 * Publishes activities with an idempotent producer and acks=all, so a 202 means every in-sync
 * replica has the events and broker-side retries cannot duplicate them.
 *
 * Every send is bounded by `publishTimeoutMs`. A send that timed out is not cancelled (kafkajs cannot
 * cancel): it may still land later. That is safe: the client was told 503, retries with the same
 * eventIds, and the worker deduplicates by eventId. What can never happen is a 202 for an event
 * that is not on the topic.
 */
export class KafkaActivityPublisher implements ActivityPublisher {
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly log: Logger;
  private brokerCheck: Promise<boolean> | undefined;
  private connecting: Promise<void> | undefined;
  private connected = false;
  private closing = false;

  constructor(
    private readonly config: KafkaPublisherConfig,
    deps: { kafka: Kafka; logger: Logger },
  ) {
    this.log = deps.logger.child({ component: 'kafka-activity-publisher' });
    this.producer = deps.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // Java-compatible murmur2 on the key: a userId lands on the same partition as with other clients.
      createPartitioner: Partitioners.DefaultPartitioner,
      // kafkajs retries an idempotent producer forever by default; a finite budget stops sends
      // that already timed out for the client from piling up while the broker is down.
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: Math.max(200, config.publishTimeoutMs / 2) },
    });
    this.admin = deps.kafka.admin();
    this.producer.on(this.producer.events.CONNECT, () => {
      this.connected = true;
    });
    this.producer.on(this.producer.events.DISCONNECT, () => {
      this.connected = false;
    });
  }

  /** The producer has a session with the cluster (it may still have lost the broker since). */
  isConnected(): boolean {
    return this.connected;
  }

  /**
   * Readiness: the producer is connected and a broker answers a metadata request within `timeoutMs`.
   * The connected flag alone stays true while the broker is gone; the round trip notices. Probes
   * share one in-flight check so a dead broker cannot make them pile up.
   */
  async isReady(timeoutMs: number): Promise<boolean> {
    if (!this.connected || this.closing) return false;
    this.brokerCheck ??= (async () => {
      await this.admin.connect();
      await this.admin.describeCluster();
      return true;
    })()
      .catch(() => false)
      .finally(() => {
        this.brokerCheck = undefined;
      });
    return withTimeout(this.brokerCheck, timeoutMs).catch(() => false);
  }

  /** Connects (once, shared by concurrent callers); bounded so start-up and requests cannot hang. */
  async connect(): Promise<void> {
    if (this.connected) return;
    this.connecting ??= this.producer.connect().finally(() => {
      this.connecting = undefined;
    });
    await this.connecting;
  }

  async publish(events: ActivityEvent[], meta: PublishMeta): Promise<void> {
    if (this.closing) {
      throw new DomainError('SERVICE_UNAVAILABLE', 'The service is shutting down; retry shortly', { retriable: true });
    }
    const messages = events.map((event) => encodeActivityMessage(event, meta.requestId));
    const attempt = (async () => {
      // A producer that lost (or never had) its session reconnects inside the same time budget.
      await this.connect();
      // GZIP keeps a 1 MB batch of one user (one partition, one record batch) below the broker's
      // default 1 MB message.max.bytes; kafkajs consumers decompress it transparently.
      await this.producer.send({ topic: this.config.topic, acks: -1, compression: CompressionTypes.GZIP, messages });
    })();
    try {
      await withTimeout(attempt, this.config.publishTimeoutMs);
    } catch (err) {
      throw this.toDomainError(err, events.length, meta);
    }
  }

  async disconnect(): Promise<void> {
    this.closing = true;
    await this.admin.disconnect();
    await this.producer.disconnect();
  }

  private toDomainError(err: unknown, count: number, meta: PublishMeta): DomainError {
    const error = err as Error & { type?: string };
    if (error.type === 'MESSAGE_TOO_LARGE' || error.type === 'RECORD_LIST_TOO_LARGE') {
      return new DomainError('PAYLOAD_TOO_LARGE', 'The events are too large for the stream; send smaller batches', {
        cause: err,
      });
    }
    this.log.warn(
      { err, events: count, requestId: meta.requestId, timedOut: err instanceof PublishTimeoutError },
      'publish failed; answering 503',
    );
    return new DomainError('SERVICE_UNAVAILABLE', 'The event stream is unavailable; retry with the same eventIds', {
      retriable: true,
      cause: err,
    });
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  // The abandoned attempt must not surface later as an unhandled rejection (which exits the process).
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PublishTimeoutError(`no broker acknowledgement within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
