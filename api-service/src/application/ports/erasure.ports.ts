import type { ErasureRecord } from '@uap/shared';

/** Erasure records (keyed hashes, never userIds), read by the worker to drop events still in the topic. */
export interface ErasureStore {
  insert(record: ErasureRecord): Promise<void>;
  get(erasureId: string): Promise<ErasureRecord | null>;
  finish(erasureId: string, deleted: ErasureRecord['deleted'], at: Date): Promise<void>;
}

/** Deletes one user's stored activities and dead-letter index entries. */
export interface UserDataEraser {
  deleteUser(userId: string): Promise<ErasureRecord['deleted']>;
}
