import { createHmac } from 'node:crypto';
import { actorKeyOf, type ActivityActor } from './activity.types';

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

/**
 * What erasures are filed under and the worker looks up: the keyed hash of an actor's key (actorKeyOf), i.e. of
 * the userId of an event that has one, else of `anonymous:<anonymousId>`. One key per event, so an event of an
 * anonymous id and another user is that user's, and is not erased with the user who linked the anonymous id first.
 */
export function actorErasureHash(key: string, actor: ActivityActor): string {
  return erasureHash(key, actorKeyOf(actor));
}

export interface ErasureRecord {
  erasureId: string;
  /** actorErasureHash of the user: the hash of the userId. */
  userHash: string;
  /** Events of this user received (by the api) before this time are erased; later ones are kept. */
  erasedAt: Date;
  state: 'running' | 'done';
  deleted: { activities: number; deadLetters: number };
  finishedAt?: Date;
}

/**
 * An anonymous id an erasure also covers (one the user had linked first): its events without a userId are erased
 * with the user's. Filed beside the erasure's record, in the same collection and under the same `userHash` field
 * (here the hash of `anonymous:<id>`), so that the worker's one lookup per chunk finds both kinds alike.
 */
export interface LinkedErasureRecord {
  /** `<erasureId>.<n>`: unique beside the records, and never the id of an erasure the api answers for. */
  erasureId: string;
  userHash: string;
  erasedAt: Date;
  /** The erasure this anonymous id was erased with. */
  linkedTo: string;
}

/**
 * The records of the anonymous ids an erasure covers, by their hashes (actorErasureHash of each id), numbered from
 * `first` (an erasure that finds more later numbers them after those it filed).
 */
export function linkedErasureRecords(
  record: Pick<ErasureRecord, 'erasureId' | 'erasedAt'>,
  anonymousHashes: readonly string[],
  first = 1,
): LinkedErasureRecord[] {
  return anonymousHashes.map((userHash, n) => ({
    erasureId: `${record.erasureId}.${first + n}`,
    userHash,
    erasedAt: record.erasedAt,
    linkedTo: record.erasureId,
  }));
}
