import { createHmac } from 'node:crypto';

/**
 * Erasure records: which users' activities were erased, and when. A record keeps a keyed hash of the
 * userId (never the userId), so the worker can recognise that user's events still in the topic and
 * drop those accepted before the erasure, while the record itself names nobody.
 */
export const ERASURES_COLLECTION = 'erasures';

export const DEVELOPMENT_ERASURE_KEY = 'uap-development-erasure-key-not-for-production';

export function erasureHash(key: string, userId: string): string {
  return createHmac('sha256', key || DEVELOPMENT_ERASURE_KEY)
    .update(userId, 'utf8')
    .digest('base64url');
}

export interface ErasureRecord {
  erasureId: string;
  userHash: string;
  /** Events of this user received (by the api) before this time are erased; later ones are kept. */
  erasedAt: Date;
  state: 'running' | 'done';
  deleted: { activities: number; deadLetters: number };
  finishedAt?: Date;
}
