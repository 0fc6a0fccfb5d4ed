import type { Connection, Model } from 'mongoose';
import type { Lease, RetentionStore } from '../../application/ports/retention.port';
import { StoreUnavailableError } from '../../application/retriable.errors';
import type { ActivityDocument } from './activity.model';

const LEASES_COLLECTION = 'leases';
const DUPLICATE_KEY = 11000;
export const TTL_INDEX_NAME = 'occurredAt_ttl';

/** MongoDB: a TTL index on occurredAt does retention itself; an existing one gets the new period. */
export async function ensureRetentionTtl(model: Model<ActivityDocument>, retentionDays: number): Promise<void> {
  const seconds = retentionDays * 86_400;
  const existing = (await model.collection.indexes()).find((index) => index.name === TTL_INDEX_NAME);
  if (existing === undefined) {
    await model.collection.createIndex({ occurredAt: 1 }, { name: TTL_INDEX_NAME, expireAfterSeconds: seconds });
  } else if (existing.expireAfterSeconds !== seconds) {
    await model.db.db!.command({
      collMod: model.collection.collectionName,
      index: { name: TTL_INDEX_NAME, expireAfterSeconds: seconds },
    });
  }
}

/**
 * FerretDB without FERRETDB_POSTGRES_URL (MongoDB has its TTL index; with the URL the sweeper deletes through
 * SQL, ferretdb-sql.store.ts): a chunk of the oldest, deleted by eventId (deleteMany has no limit). FerretDB
 * answers both through its wire by scanning the collection, so each chunk costs O(table); start-up warns.
 */
export class MongoRetentionStore implements RetentionStore {
  constructor(private readonly model: Model<ActivityDocument>) {}

  async deleteOlderThan(cutoff: Date, limit: number): Promise<number> {
    try {
      const old = await this.model
        .find({ occurredAt: { $lt: cutoff } }, { _id: 0, eventId: 1 })
        .sort({ occurredAt: 1 })
        .limit(limit)
        .lean<Array<{ eventId: string }>>();
      if (old.length === 0) return 0;
      const result = await this.model.deleteMany({ eventId: { $in: old.map((d) => d.eventId) } });
      return result.deletedCount;
    } catch (err) {
      throw new StoreUnavailableError(`retention delete failed: ${(err as Error).message}`, { cause: err });
    }
  }
}

/**
 * A lease document per name, taken with a conditional update (free, expired, or ours). The document is
 * created with a plain insert first: FerretDB answers an upsert that races on _id with InternalError.
 */
export class MongoLease implements Lease {
  constructor(
    private readonly connection: Connection,
    private readonly name: string,
  ) {}

  private get leases() {
    return this.connection.db!.collection<{ _id: string; owner: string | null; until: Date }>(LEASES_COLLECTION);
  }

  async acquire(owner: string, ttlMs: number): Promise<boolean> {
    const now = new Date();
    await this.leases.insertOne({ _id: this.name, owner: null, until: new Date(0) }).catch((err: { code?: number }) => {
      if (err.code !== DUPLICATE_KEY) throw err;
    });
    const taken = await this.leases.findOneAndUpdate(
      { _id: this.name, $or: [{ owner }, { owner: null }, { until: { $lt: now } }] },
      { $set: { owner, until: new Date(now.getTime() + ttlMs) } },
      { returnDocument: 'after' },
    );
    return taken?.owner === owner;
  }

  async release(owner: string): Promise<void> {
    await this.leases.updateOne({ _id: this.name, owner }, { $set: { owner: null, until: new Date(0) } });
  }
}
