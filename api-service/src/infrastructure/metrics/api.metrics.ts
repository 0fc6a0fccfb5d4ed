import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TypeVerdict } from '@uap/shared/activity-types';
import { SOURCE_LABELS } from '@uap/shared/contract';
import type { ActivityPublisher } from '../../application/ports/activity-publisher.port';

export interface ApiMetrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  eventsAccepted: Counter;
  eventsRejected: Counter<'reason'>;
  /** Events accepted or refused per source of the sending key (`none` when it has none). */
  sourceEvents: Counter<'source' | 'outcome'>;
  /**
   * The events of keys bound to no source, tallied as plain numbers and reported as source="none" at scrape time:
   * a deployment that uses no sources pays no label hashing per request for this series.
   */
  unsourcedEvents: { accepted: number; refused: number };
  publishDuration: Histogram<'outcome'>;
  deadLetters: Gauge<'reason' | 'status'>;
  replayJobs: Gauge;
  replayedEvents: Counter;
  readLag: Gauge;
  readWatermarkAge: Gauge;
  streamSubscribers: Gauge;
  streamBufferedEvents: Gauge;
  streamEventsSent: Counter;
  streamEventsDropped: Counter;
  typeVerdicts: Counter<'verdict'>;
  deprecatedTypeEvents: Counter<'type'>;
  /** Audit records lost after their retries (the error log holds each). */
  auditWriteFailures: Counter;
  /** Requests answered 401, by why (unknown, expired, revoked, rotated, missing, malformed). */
  authFailures: Counter<'reason'>;
  /** Client addresses locked out by the failed-auth limiter. */
  authLockouts: Counter;
  /** Counts what the registry let through unplanned or flagged, or refused; planned events cost nothing. */
  countVerdict(verdict: TypeVerdict): void;
}

export interface ApiMetricsOptions {
  defaultMetrics?: boolean;
  /** Asked at scrape time: letters in the dead-letter index per reason and status. */
  deadLetterCounts?: () => Promise<Array<{ reason: string; status: string; count: number }>>;
  /** Asked at scrape time: running replay jobs. */
  runningReplayJobs?: () => Promise<number>;
  /** Asked at scrape time: the latest consumer-progress snapshot (no broker round trip). */
  freshness?: () => Promise<{ at: Date; lag: number; watermark: Date | null } | undefined>;
  /** Asked at scrape time: the live stream's counters. */
  stream?: () => { subscribers: number; buffered: number; sent: number; dropped: number };
  /** Asked at scrape time: whether this replica's activity type catalog is current, and its position. */
  activityTypes?: () => { current: boolean; position: number; confirmedAgoMs: number | undefined };
  /** Asked at scrape time: whether this replica's access catalog (keys, sources) is current, and its position. */
  access?: () => { current: boolean; position: number; confirmedAgoMs: number | undefined };
}

/** A scrape must not hang on a slow store; past this a store-backed gauge is left out of that scrape. */
const SCRAPE_TIMEOUT_MS = 2_000;

function withinScrape<T>(work: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), SCRAPE_TIMEOUT_MS);
  });
  return Promise.race([work.catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
}

/** Seconds: from sub-millisecond probes up to the publish timeout and beyond. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The api's Prometheus series, on a registry of their own (main passes it in, tests make a fresh
 * one), so two apps in one process never share counters.
 */
export function createApiMetrics(registry: Registry = new Registry(), options: ApiMetricsOptions = {}): ApiMetrics {
  const { deadLetterCounts, runningReplayJobs, freshness, stream, activityTypes, access } = options;
  const unsourcedEvents = { accepted: 0, refused: 0 };
  const unsourcedReported = { accepted: 0, refused: 0 };
  // The hub keeps its own totals; these counters mirror them at scrape time.
  const mirror = (counter: Counter, total: number | undefined) => {
    if (total === undefined) return;
    counter.reset();
    counter.inc(total);
  };
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const typeVerdicts = new Counter({
    name: 'uap_activity_type_verdicts_total',
    help:
      'Events the activity type registry did not simply pass, by verdict: unknown (refused, dead-lettered or ' +
      'accepted, per the unplanned policy), invalid (metadata broke its schema: refused or flagged), retired (refused).',
    labelNames: ['verdict'],
    registers: [registry],
  });
  const deprecatedTypeEvents = new Counter({
    name: 'uap_deprecated_type_events_total',
    help: 'Events accepted with a deprecated activity type, by type (bounded by the registry).',
    labelNames: ['type'],
    registers: [registry],
  });
  if (activityTypes) {
    new Gauge({
      name: 'uap_activity_types_current',
      help: '1 while this replica has proved its activity type catalog complete within the lease; 0 when stale.',
      registers: [registry],
      collect() {
        this.set(activityTypes().current ? 1 : 0);
      },
    });
    new Gauge({
      name: 'uap_activity_types_confirmed_age_seconds',
      help: 'Seconds since this replica last proved its activity type catalog complete (-1: never).',
      registers: [registry],
      collect() {
        const ago = activityTypes().confirmedAgoMs;
        this.set(ago === undefined ? -1 : ago / 1000);
      },
    });
  }
  if (access) {
    new Gauge({
      name: 'uap_access_catalog_current',
      help:
        '1 while this replica has proved its access catalog (keys, sources) complete within the lease; 0 when stale: ' +
        'it refuses keys it never saw and /readyz fails its access-keys check.',
      registers: [registry],
      collect() {
        this.set(access().current ? 1 : 0);
      },
    });
    new Gauge({
      name: 'uap_access_catalog_position',
      help: 'The access log offset this replica has read up to; replicas that differ for long are not following.',
      registers: [registry],
      collect() {
        this.set(access().position);
      },
    });
    new Gauge({
      name: 'uap_access_catalog_confirmed_age_seconds',
      help: 'Seconds since this replica last proved its access catalog complete (-1: never).',
      registers: [registry],
      collect() {
        const ago = access().confirmedAgoMs;
        this.set(ago === undefined ? -1 : ago / 1000);
      },
    });
  }
  return {
    registry,
    unsourcedEvents,
    typeVerdicts,
    deprecatedTypeEvents,
    countVerdict(verdict) {
      if (verdict.kind === 'planned') {
        if (verdict.status === 'deprecated') deprecatedTypeEvents.inc({ type: verdict.name });
      } else typeVerdicts.inc({ verdict: verdict.kind });
    },
    httpDuration: new Histogram({
      name: 'uap_http_request_duration_seconds',
      help: 'HTTP request duration by route pattern (or "unmatched"), method and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    eventsAccepted: new Counter({
      name: 'uap_events_accepted_total',
      help: 'Activities accepted (202): published to Kafka and acknowledged by the broker.',
      registers: [registry],
    }),
    eventsRejected: new Counter({
      name: 'uap_events_rejected_total',
      help:
        'Activities refused by the ingest endpoints, by reason (the problem type slug, e.g. validation-failed, ' +
        'malformed-json, payload-too-large, unsupported-media-type, service-unavailable). Counts the events of the ' +
        'request body when it could be read, otherwise 1 per request.',
      labelNames: ['reason'],
      registers: [registry],
    }),
    sourceEvents: new Counter({
      name: 'uap_source_events_total',
      help:
        'Activities accepted or refused by the ingest endpoints, by the source of the sending API key (source="none" ' +
        'for keys bound to none, and requests without a valid key) and outcome (accepted, refused); counted as ' +
        'uap_events_accepted_total and uap_events_rejected_total are. Bounded by the sources created.',
      labelNames: ['source', 'outcome'],
      registers: [registry],
      collect() {
        for (const outcome of ['accepted', 'refused'] as const) {
          this.inc({ source: SOURCE_LABELS.none, outcome }, unsourcedEvents[outcome] - unsourcedReported[outcome]);
          unsourcedReported[outcome] = unsourcedEvents[outcome];
        }
      },
    }),
    publishDuration: new Histogram({
      name: 'uap_kafka_publish_duration_seconds',
      help: 'Time from handing events to the producer until the broker acknowledged them (or the publish failed).',
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    deadLetters: new Gauge({
      name: 'uap_dead_letters',
      help: 'Letters in the dead-letter index by reason and status (dead, replayed, parked), read from the store at scrape time.',
      labelNames: ['reason', 'status'],
      registers: [registry],
      async collect() {
        if (!deadLetterCounts) return;
        const counts = await withinScrape(deadLetterCounts());
        this.reset();
        for (const { reason, status, count } of counts ?? []) this.set({ reason, status }, count);
      },
    }),
    replayJobs: new Gauge({
      name: 'uap_replay_jobs_running',
      help: 'Dead-letter replay jobs running (all instances), read from the store at scrape time.',
      registers: [registry],
      async collect() {
        if (!runningReplayJobs) return;
        const running = await withinScrape(runningReplayJobs());
        this.reset();
        if (running !== undefined) this.set(running);
      },
    }),
    readLag: new Gauge({
      name: 'uap_read_lag',
      help: 'Events accepted but not yet processed by the worker group (the snapshot behind X-Read-Lag).',
      registers: [registry],
      async collect() {
        const snapshot = freshness && (await withinScrape(freshness()));
        if (snapshot) this.set(snapshot.lag);
      },
    }),
    readWatermarkAge: new Gauge({
      name: 'uap_read_watermark_age_seconds',
      help:
        'How far behind reads are: snapshot time minus the watermark (every event accepted before it is processed). ' +
        'Absent while the watermark is unknown.',
      registers: [registry],
      async collect() {
        this.reset();
        const snapshot = freshness && (await withinScrape(freshness()));
        if (snapshot?.watermark) this.set((snapshot.at.getTime() - snapshot.watermark.getTime()) / 1000);
      },
    }),
    streamSubscribers: new Gauge({
      name: 'uap_stream_subscribers',
      help: 'Open live streams (SSE) on this instance.',
      registers: [registry],
      collect() {
        const stats = stream?.();
        if (stats) this.set(stats.subscribers);
      },
    }),
    streamBufferedEvents: new Gauge({
      name: 'uap_stream_buffered_events',
      help:
        'Events the live stream keeps for resumes (Last-Event-ID), bounded by STREAM_WINDOW_* and ' +
        'STREAM_MAX_BUFFERED_EVENTS; 0 while nobody subscribes.',
      registers: [registry],
      collect() {
        const stats = stream?.();
        if (stats) this.set(stats.buffered);
      },
    }),
    streamEventsSent: new Counter({
      name: 'uap_stream_events_sent_total',
      help: 'Events written to live streams by this instance.',
      registers: [registry],
      collect() {
        mirror(this, stream?.().sent);
      },
    }),
    streamEventsDropped: new Counter({
      name: 'uap_stream_events_dropped_total',
      help: 'Events a slow live-stream client missed (its queue was full); it was told with `event: dropped`.',
      registers: [registry],
      collect() {
        mirror(this, stream?.().dropped);
      },
    }),
    auditWriteFailures: new Counter({
      name: 'uap_audit_write_failures_total',
      help: 'Audit records that could not be written after their retries; each is logged at error level.',
      registers: [registry],
    }),
    authFailures: new Counter({
      name: 'uap_auth_failures_total',
      help:
        'Requests answered 401 by this instance, by reason: missing (no key), malformed, unknown, expired, revoked, ' +
        'rotated (its grace period ended).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    authLockouts: new Counter({
      name: 'uap_auth_lockouts_total',
      help: 'Client addresses this instance locked out (429) for too many 401s within AUTH_FAILURE_WINDOW_MS.',
      registers: [registry],
    }),
    replayedEvents: new Counter({
      name: 'uap_replayed_events_total',
      help: 'Dead letters republished to the activities topic by replay jobs of this instance (broker-acknowledged).',
      registers: [registry],
    }),
  };
}

/**
 * Events accepted and refused per source label, read from uap_source_events_total itself: the numbers
 * GET /api/v1/sources shows are the ones this replica exports.
 */
export async function eventsBySource(
  metrics: Pick<ApiMetrics, 'sourceEvents'>,
): Promise<Map<string, { accepted: number; refused: number }>> {
  const counts = new Map<string, { accepted: number; refused: number }>();
  for (const { labels, value } of (await metrics.sourceEvents.get()).values) {
    const { source, outcome } = labels;
    if (source === undefined || (outcome !== 'accepted' && outcome !== 'refused')) continue;
    const entry = counts.get(String(source)) ?? { accepted: 0, refused: 0 };
    entry[outcome] += value;
    counts.set(String(source), entry);
  }
  return counts;
}

/** Wraps a publisher so every publish is timed; the use case never learns about metrics. */
export function timedPublisher(publisher: ActivityPublisher, metrics: Pick<ApiMetrics, 'publishDuration'>) {
  const timed: ActivityPublisher = {
    publish: async (events, meta) => {
      const end = metrics.publishDuration.startTimer();
      try {
        const positions = await publisher.publish(events, meta);
        end({ outcome: 'ok' });
        return positions;
      } catch (err) {
        end({ outcome: 'error' });
        throw err;
      }
    },
  };
  return timed;
}
