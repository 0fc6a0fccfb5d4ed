import type { ErasureRecord } from '@uap/shared/contract';

/** Erasure records (keyed hashes, never userIds), read by the worker to drop events still in the topic. */
export interface ErasureStore {
  insert(record: ErasureRecord): Promise<void>;
  get(erasureId: string): Promise<ErasureRecord | null>;
  finish(erasureId: string, deleted: ErasureRecord['deleted'], at: Date): Promise<void>;
}

/**
 * Deletes one user's stored activities received before `before`, and their dead-letter index entries
 * from before it. What the user did after the erasure is theirs to keep.
 */
export interface UserDataEraser {
  deleteUser(userId: string, before: Date): Promise<ErasureRecord['deleted']>;
}
