import { SOURCE_ID_PATTERN, SOURCE_LABELS } from '@uap/shared/contract';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { HeaderValue } from '../../application/ports/dead-letter.publisher.port';
import type { PartitionLag } from '../kafka/consumer-lag';

export interface WorkerMetrics {
  registry: Registry;
  eventsPersisted: Counter;
  eventsDuplicate: Counter;
  eventsDeadLettered: Counter<'reason'>;
  sourceDeadLetters: Counter<'source'>;
  /** Counts one dead letter under the source its `source-id` header names (see sourceLabels). */
  countSourceDeadLetter(header: HeaderValue | undefined): void;
  eventsFlagged: Counter<'kind'>;
  batchSize: Histogram;
  batchDuration: Histogram;
  endToEndLag: Histogram;
  consumerLag: Gauge<'topic' | 'partition'>;
  chunkInHand: Gauge<'topic' | 'partition'>;
  partitionsStalled: Gauge;
  groupRejoins: Counter<'group'>;
  deadLettersIndexed: Counter;
  eventsErased: Counter;
  retentionDeleted: Counter;
}

/** Distinct source labels one process reports at most; a header is client-controlled when a raw producer wrote it. */
export const MAX_SOURCE_LABELS = 200;

/**
 * The label of a message's `source-id` header: `none` without one, the id when it is one (SOURCE_ID_PATTERN), and
 * `other` for anything else or for ids beyond the first `max` seen, so no producer can grow the series unbounded.
 */
export function sourceLabels(max = MAX_SOURCE_LABELS): (header: HeaderValue | undefined) => string {
  const seen = new Set<string>();
  return (header) => {
    if (header === undefined) return SOURCE_LABELS.none;
    const last = Array.isArray(header) ? header[header.length - 1] : header;
    const id = last?.toString();
    if (id === undefined || !SOURCE_ID_PATTERN.test(id)) return SOURCE_LABELS.other;
    if (!seen.has(id)) {
      if (seen.size >= max) return SOURCE_LABELS.other;
      seen.add(id);
    }
    return id;
  };
}

/** A chunk a partition is recording, and since when. */
export interface ChunkWatch {
  topic: string;
  partition: number;
  since: number;
}

export interface WorkerMetricsOptions {
  defaultMetrics?: boolean;
  /** Asked on every scrape; absent, the consumer lag gauge stays empty. */
  consumerLag?: () => Promise<PartitionLag[]>;
  /** Asked on every scrape: the chunks this process's partitions are recording now. */
  chunksInHand?: () => ChunkWatch[];
  /** Asked on every scrape: the group's stalled partitions, as the stall monitor last saw them. */
  stalledPartitions?: () => readonly unknown[];
  /** Asked on every scrape: whether this replica's activity type catalog is current. */
  activityTypes?: () => { current: boolean; confirmedAgoMs: number | undefined };
  now?: () => number;
}

/**
 * The worker's Prometheus series on a registry of their own (main passes the process one, tests a
 * fresh one). Counters are per process; the consumer lag gauge is the whole group's, so every
 * replica reports the same numbers: aggregate it with max, not sum.
 */
export function createWorkerMetrics(registry: Registry = new Registry(), options: WorkerMetricsOptions = {}) {
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const lagSource = options.consumerLag;
  const chunksInHand = options.chunksInHand ?? (() => []);
  const stalledPartitions = options.stalledPartitions ?? (() => []);
  const now = options.now ?? Date.now;
  const activityTypes = options.activityTypes;
  const sourceLabelOf = sourceLabels();
  const sourceDeadLetters = new Counter({
    name: 'uap_source_dead_letters_total',
    help:
      'Messages sent to the dead-letter topic, by the source their `source-id` header names: none without one, ' +
      `other when it is malformed or past the first ${MAX_SOURCE_LABELS} sources this process saw.`,
    labelNames: ['source'],
    registers,
  });
  if (activityTypes) {
    new Gauge({
      name: 'uap_worker_activity_types_current',
      help: '1 while this worker has proved its activity type catalog complete within the lease; 0 when stale.',
      registers,
      collect() {
        this.set(activityTypes().current ? 1 : 0);
      },
    });
    new Gauge({
      name: 'uap_worker_activity_types_confirmed_age_seconds',
      help: 'Seconds since this worker last proved its activity type catalog complete (-1: never).',
      registers,
      collect() {
        const ago = activityTypes().confirmedAgoMs;
        this.set(ago === undefined ? -1 : ago / 1000);
      },
    });
  }
  const metrics: WorkerMetrics = {
    registry,
    eventsPersisted: new Counter({
      name: 'uap_worker_events_persisted_total',
      help: 'Activities newly written to the store.',
      registers,
    }),
    eventsDuplicate: new Counter({
      name: 'uap_worker_events_duplicate_total',
      help: 'Activities skipped because their eventId was already stored (redeliveries, client retries).',
      registers,
    }),
    eventsDeadLettered: new Counter({
      name: 'uap_worker_events_dead_lettered_total',
      help: 'Messages sent to the dead-letter topic, by reason (invalid-json, schema-violation, unknown-schema-version).',
      labelNames: ['reason'],
      registers,
    }),
    sourceDeadLetters,
    countSourceDeadLetter: (header) => sourceDeadLetters.inc({ source: sourceLabelOf(header) }),
    eventsFlagged: new Counter({
      name: 'uap_worker_events_flagged_total',
      help:
        'Events stored as violations, by kind: unplanned (a type the registry does not plan, let in by the policy) ' +
        'or metadata (broke its type’s schema, accepted and flagged). Counted per stored chunk, so a redelivered ' +
        'chunk counts its events again (as uap_worker_events_duplicate_total shows). GET /api/v1/activity-types/violations lists them.',
      labelNames: ['kind'],
      registers,
    }),
    batchSize: new Histogram({
      name: 'uap_worker_batch_size',
      help: 'Messages per stored chunk (one store write and one offset commit).',
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
      registers,
    }),
    batchDuration: new Histogram({
      name: 'uap_worker_batch_duration_seconds',
      help: 'Time to store (or dead-letter) one chunk and commit its offset, store retries included.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    endToEndLag: new Histogram({
      name: 'uap_worker_end_to_end_lag_seconds',
      help:
        'persistedAt - receivedAt per newly stored activity: from the API receiving it to the store acknowledging ' +
        'it. Chunks with duplicates are left out (which of their events were new is not known).',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers,
    }),
    consumerLag: new Gauge({
      name: 'uap_worker_consumer_lag',
      help:
        'Messages not yet committed by the consumer group, per partition (high watermark - committed offset), ' +
        'read from the broker at scrape time. Missing when the broker did not answer in time.',
      labelNames: ['topic', 'partition'],
      registers,
      async collect() {
        if (!lagSource) return;
        this.reset();
        const lags = await lagSource().catch(() => []);
        for (const { topic, partition, lag } of lags) this.set({ topic, partition: String(partition) }, lag);
      },
    }),
    chunkInHand: new Gauge({
      name: 'uap_worker_chunk_in_hand_seconds',
      help:
        'How long each partition has been recording its current chunk (store retries included); absent when ' +
        'the partition is idle. A value that keeps growing is a stuck partition.',
      labelNames: ['topic', 'partition'],
      registers,
      collect() {
        this.reset();
        for (const chunk of chunksInHand()) {
          this.set({ topic: chunk.topic, partition: String(chunk.partition) }, (now() - chunk.since) / 1000);
        }
      },
    }),
    eventsErased: new Counter({
      name: 'uap_worker_events_erased_total',
      help: 'Events dropped because their user was erased after the api received them.',
      registers,
    }),
    retentionDeleted: new Counter({
      name: 'uap_worker_retention_deleted_total',
      help: 'Activities deleted by the retention sweeper (FerretDB; MongoDB expires them with a TTL index).',
      registers,
    }),
    deadLettersIndexed: new Counter({
      name: 'uap_worker_dead_letters_indexed_total',
      help: 'Letters from the dead-letter topic newly added to the dead-letter index (redeliveries not counted).',
      registers,
    }),
    partitionsStalled: new Gauge({
      name: 'uap_worker_partitions_stalled',
      help:
        'Partitions whose committed group offset has not moved for longer than STALL_AFTER_MS while they have ' +
        'lag, whichever member owns them (also in /readyz). Every replica reports the whole group: aggregate with max.',
      registers,
      collect() {
        this.set(stalledPartitions().length);
      },
    }),
    groupRejoins: new Counter({
      name: 'uap_worker_group_rejoins_total',
      help:
        'Joins of a consumer group after its first, by group: rebalances, or the coordinator having dropped the ' +
        'member. Rising while a partition is stalled is a rejoin loop.',
      labelNames: ['group'],
      registers,
    }),
  };
  return metrics;
}
