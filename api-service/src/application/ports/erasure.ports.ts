import type { ErasureRecord, LinkedErasureRecord } from '@uap/shared/contract';

/** Erasure records (keyed hashes, never ids), read by the worker to drop events still in the topic. */
export interface ErasureStore {
  /** The erasure's record with those of the anonymous ids it covers, which the worker looks up alike. */
  insert(record: ErasureRecord, linked: readonly LinkedErasureRecord[]): Promise<void>;
  /** More anonymous ids the erasure covers, found after it started. */
  insertLinked(linked: readonly LinkedErasureRecord[]): Promise<void>;
  get(erasureId: string): Promise<ErasureRecord | null>;
  finish(erasureId: string, deleted: ErasureRecord['deleted'], at: Date): Promise<void>;
}

/**
 * Deletes stored activities received before `before`, and their dead-letter index entries from before it. What
 * was sent after the erasure is kept.
 */
export interface UserDataEraser {
  /** The user's: every event and letter whose userId is this user. */
  deleteUser(userId: string, before: Date): Promise<ErasureRecord['deleted']>;
  /**
   * What these anonymous ids did without a userId: the events and letters with one of them and no userId. An event
   * with an anonymous id and another user's userId is that user's, and stays.
   */
  deleteAnonymous(anonymousIds: readonly string[], before: Date): Promise<ErasureRecord['deleted']>;
}
