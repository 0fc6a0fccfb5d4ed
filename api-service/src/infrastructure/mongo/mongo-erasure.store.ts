import { ACTIVITIES_COLLECTION, DEAD_LETTERS_COLLECTION, ERASURES_COLLECTION, type ErasureRecord } from '@uap/shared';
import type { Connection } from 'mongoose';
import type { ErasureStore, UserDataEraser } from '../../application/ports/erasure.ports';
import { storeCall } from '../store/mongo-connection';

export class MongoErasureStore implements ErasureStore {
  constructor(private readonly connection: Connection) {}

  private get erasures() {
    return this.connection.db!.collection<ErasureRecord>(ERASURES_COLLECTION);
  }

  /** The api owns this collection; the worker reads it by userHash. */
  async ensureIndexes(): Promise<void> {
    await this.erasures.createIndex({ erasureId: 1 }, { unique: true, name: 'erasureId_unique' });
    await this.erasures.createIndex({ userHash: 1 }, { name: 'userHash' });
  }

  async insert(record: ErasureRecord): Promise<void> {
    await storeCall('insert erasure', () => this.erasures.insertOne({ ...record }));
  }

  async get(erasureId: string): Promise<ErasureRecord | null> {
    return storeCall('erasure', () => this.erasures.findOne({ erasureId }, { projection: { _id: 0 } }));
  }

  async finish(erasureId: string, deleted: ErasureRecord['deleted'], at: Date): Promise<void> {
    await storeCall('finish erasure', () =>
      this.erasures.updateOne({ erasureId }, { $set: { state: 'done', deleted, finishedAt: at } }),
    );
  }
}

/** Deletes by userId, which both collections hold at the top level (an equality FerretDB pushes down). */
export class MongoUserDataEraser implements UserDataEraser {
  constructor(private readonly connection: Connection) {}

  async deleteUser(userId: string, before: Date): Promise<ErasureRecord['deleted']> {
    const db = this.connection.db!;
    const [activities, deadLetters] = await storeCall('erase user', () =>
      Promise.all([
        db.collection(ACTIVITIES_COLLECTION).deleteMany({ userId, receivedAt: { $lt: before } }),
        db.collection(DEAD_LETTERS_COLLECTION).deleteMany({ userId, failedAt: { $lt: before } }),
      ]),
    );
    return { activities: activities.deletedCount, deadLetters: deadLetters.deletedCount };
  }
}
