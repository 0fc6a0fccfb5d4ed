export const DEFAULT_TOPICS = {
  activities: 'user-activities',
  deadLetter: 'user-activities.dlq',
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
} as const;
