import type { DeadLetterRecord } from '@uap/shared/contract';

/**
 * The dead-letter index in the store. Idempotent on letterId (the letter's DLQ partition and offset):
 * a letter already indexed counts as a duplicate. Rejects with a retriable StoreUnavailableError when
 * the outcome of any letter is unknown.
 */
export interface DeadLetterIndex {
  insertNew(records: readonly DeadLetterRecord[]): Promise<{ inserted: number; duplicates: number }>;
}
