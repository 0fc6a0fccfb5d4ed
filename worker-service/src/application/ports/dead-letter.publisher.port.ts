import type { DeadLetterReason } from '@uap/shared/contract';

/** Kafka allows a header key more than once; kafkajs then gives its values as an array. */
export type HeaderValue = Buffer | string | (Buffer | string)[];

/** A message as consumed, with enough context to dead-letter, inspect and replay it. */
export interface ConsumedMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, HeaderValue>;
  source: { topic: string; partition: number; offset: string };
}

/** A message the worker could not accept. */
export interface DeadLetter extends ConsumedMessage {
  reason: DeadLetterReason;
  error: string;
}

/** Rejects with a retriable DeadLetterUnavailableError unless every letter was acknowledged. */
export interface DeadLetterPublisher {
  publish(letters: readonly DeadLetter[], failedAt: Date): Promise<void>;
}
