import { ERASURES_COLLECTION, type ErasureRecord } from '@uap/shared/contract';
import type { Connection } from 'mongoose';
import type { ErasureLookup } from '../../application/ports/erasure.lookup.port';
import { StoreUnavailableError } from '../../application/retriable.errors';

/**
 * Reads the api's erasure records (the api writes them; the worker only looks): the erasures' own and those of the
 * anonymous ids they cover, all filed under `userHash`, which the `userHash` index serves with one `$in`.
 */
export class MongoErasureLookup implements ErasureLookup {
  constructor(private readonly connection: Connection) {}

  async erasedAt(actorHashes: readonly string[]): Promise<Map<string, Date>> {
    if (actorHashes.length === 0) return new Map();
    try {
      const records = await this.connection
        .db!.collection<ErasureRecord>(ERASURES_COLLECTION)
        .find({ userHash: { $in: [...actorHashes] } }, { projection: { _id: 0, userHash: 1, erasedAt: 1 } })
        .toArray();
      const latest = new Map<string, Date>();
      for (const { userHash, erasedAt } of records) {
        const at = new Date(erasedAt);
        if (!(latest.get(userHash)! >= at)) latest.set(userHash, at);
      }
      return latest;
    } catch (err) {
      throw new StoreUnavailableError(`erasure lookup failed: ${(err as Error).message}`, { cause: err });
    }
  }
}
