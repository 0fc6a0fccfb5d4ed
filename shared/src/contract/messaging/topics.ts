export const DEFAULT_TOPICS = {
  activities: 'user-activities',
  deadLetter: 'user-activities.dlq',
  /** The activity type registry's log: compacted, one partition, never deleted by time. */
  activityTypes: 'user-activities.types',
  /** The access log (runtime API keys, their revocations, sources): compacted, one partition. */
  access: 'uap-access',
} as const;

/** Kafka header names. Values are strings (kafkajs gives them back as Buffers). */
export const HEADERS = {
  eventType: 'event-type',
  schemaVersion: 'schema-version',
  requestId: 'request-id',
  contentType: 'content-type',
  dlqReason: 'dlq-reason',
  dlqError: 'dlq-error',
  sourceTopic: 'source-topic',
  sourcePartition: 'source-partition',
  sourceOffset: 'source-offset',
  failedAt: 'failed-at',
  /** Set on an event republished from the dead-letter index: which replay job, and how many times so far. */
  replayJob: 'replay-job',
  replayCount: 'replay-count',
  /** The event's sourceId (the sending key's source), only when it has one; not the `source-topic` of a DLQ copy. */
  sourceId: 'source-id',
} as const;

/** Headers the worker adds when dead-lettering; a replay strips them before republishing. */
export const DEAD_LETTER_HEADERS: readonly string[] = [
  HEADERS.dlqReason,
  HEADERS.dlqError,
  HEADERS.sourceTopic,
  HEADERS.sourcePartition,
  HEADERS.sourceOffset,
  HEADERS.failedAt,
];
