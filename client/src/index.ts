export { UapClient, type UapClientOptions } from './uap-client';
export type {
  AttemptInfo,
  BatcherHooks,
  BatcherOptions,
  BatcherStats,
  BatchOutcome,
  Clock,
  DropReason,
  RejectedBatch,
} from './event-batcher';
export {
  HttpTransport,
  UapHttpError,
  type FetchLike,
  type JsonInit,
  type QueryValue,
  type SendInit,
  type TransportOptions,
} from './http-transport';
export { isRetriable, parseRetryAfter, retryDelayMs, type AttemptOutcome, type RetryOptions } from './retry-policy';
export type { StreamOptions } from './activity-stream';
export { SseParser, type SseEvent, type SseItem } from './sse-parser';
export type * from './types';
