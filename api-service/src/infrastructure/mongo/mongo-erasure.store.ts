import {
  ACTIVITIES_COLLECTION,
  byHour,
  changeRollup,
  DEAD_LETTERS_COLLECTION,
  ERASURES_COLLECTION,
  hourStartOf,
  removeEntries,
  ROLLUPS_COLLECTION,
  type ActivityType,
  type ErasureRecord,
  type LinkedErasureRecord,
  type RollupCollection,
  type RollupEntry,
} from '@uap/shared/contract';
import type { Connection } from 'mongoose';
import type { ErasureStore, UserDataEraser } from '../../application/ports/erasure.ports';
import { storeCall } from '../store/mongo-connection';
import type { RollupEraser } from '../../application/ports/rollup-eraser.port';

export class MongoErasureStore implements ErasureStore {
  constructor(private readonly connection: Connection) {}

  private get erasures() {
    return this.connection.db!.collection<ErasureRecord>(ERASURES_COLLECTION);
  }

  /** The api owns this collection; the worker reads it by userHash (the erasures' and their linked ids' alike). */
  async ensureIndexes(): Promise<void> {
    await this.erasures.createIndex({ erasureId: 1 }, { unique: true, name: 'erasureId_unique' });
    await this.erasures.createIndex({ userHash: 1 }, { name: 'userHash' });
  }

  /** Ordered, the erasure's own record first: a failure leaves no linked record without it, or only some. */
  async insert(record: ErasureRecord, linked: readonly LinkedErasureRecord[]): Promise<void> {
    const documents: Array<ErasureRecord | LinkedErasureRecord> = [{ ...record }, ...linked.map((l) => ({ ...l }))];
    await storeCall('insert erasure', () => this.collection.insertMany(documents, { ordered: true }));
  }

  async insertLinked(linked: readonly LinkedErasureRecord[]): Promise<void> {
    if (linked.length === 0) return;
    await storeCall('insert erasure', () =>
      this.collection.insertMany(
        linked.map((l) => ({ ...l })),
        { ordered: true },
      ),
    );
  }

  private get collection() {
    return this.connection.db!.collection<ErasureRecord | LinkedErasureRecord>(ERASURES_COLLECTION);
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

export interface ErasedActivity {
  eventId: string;
  type: ActivityType;
  occurredAt: Date;
  sourcePartition?: number;
  sourceOffset?: number;
}

export const ERASE_CHUNK = 500;

/**
 * Deletes by userId, which both collections hold at the top level, over their `userId_…` indexes on MongoDB, and
 * an anonymous id's events without a userId over `anonymousId_…` (IDENTITY_ACTIVITY_INDEXES, DEAD_LETTER_INDEXES).
 * Through FerretDB's wire every statement here scans the collection; with FERRETDB_POSTGRES_URL the api erases
 * with FerretDbPostgresUserDataEraser instead, and without it start-up says so.
 * The stats rollups lose the same events first: each is recorded as gone in its hour (decremented if it
 * was counted), idempotently, so a crash before the delete and the repeated DELETE count nothing twice.
 * Then exactly the events found are deleted (by eventId within the user); one stored meanwhile is left
 * for the second pass, which would otherwise delete it without taking it out of the rollups.
 */
export class MongoUserDataEraser implements UserDataEraser {
  /** `rollups` absent: no stats rollups are kept on this store. */
  constructor(
    private readonly connection: Connection,
    private readonly rollups?: RollupEraser,
  ) {}

  async deleteUser(userId: string, before: Date): Promise<ErasureRecord['deleted']> {
    return this.deleteActor({ userId }, before);
  }

  async deleteAnonymous(anonymousIds: readonly string[], before: Date): Promise<ErasureRecord['deleted']> {
    // $in without null implies the partial index's {anonymousId: {$exists: true}}; the userId test is residual.
    return this.deleteActor({ anonymousId: { $in: [...anonymousIds] }, userId: { $exists: false } }, before);
  }

  /** `actor`: the filter that selects one actor's events and letters, led by the field their index starts with. */
  private async deleteActor(actor: Record<string, unknown>, before: Date): Promise<ErasureRecord['deleted']> {
    const db = this.connection.db!;
    const activities = db.collection<ErasedActivity & { receivedAt: Date }>(ACTIVITIES_COLLECTION);
    const found = await storeCall('erase user', () =>
      activities
        .find(
          { ...actor, receivedAt: { $lt: before } },
          { projection: { _id: 0, eventId: 1, type: 1, occurredAt: 1, sourcePartition: 1, sourceOffset: 1 } },
        )
        .toArray(),
    );
    await removeFromRollups(this.rollups, found);
    let deletedActivities = 0;
    for (let start = 0; start < found.length; start += ERASE_CHUNK) {
      const eventIds = found.slice(start, start + ERASE_CHUNK).map((a) => a.eventId);
      const result = await storeCall('erase user', () =>
        activities.deleteMany({ ...actor, eventId: { $in: eventIds } }),
      );
      deletedActivities += result.deletedCount;
    }
    const deadLetters = await storeCall('erase user', () =>
      db.collection(DEAD_LETTERS_COLLECTION).deleteMany({ ...actor, failedAt: { $lt: before } }),
    );
    return { activities: deletedActivities, deadLetters: deadLetters.deletedCount };
  }
}

/** Takes the found events out of the stats rollups (when kept) before they are deleted. */
export async function removeFromRollups(
  rollups: RollupEraser | undefined,
  found: readonly ErasedActivity[],
): Promise<void> {
  if (!rollups) return;
  // Documents stored before the worker recorded positions cannot be told apart in the rollups (docs/guarantees.md: stats).
  const entries: RollupEntry[] = found.flatMap((a) =>
    a.sourcePartition === undefined || a.sourceOffset === undefined
      ? []
      : [{ partition: a.sourcePartition, offset: a.sourceOffset, occurredAt: a.occurredAt, type: a.type }],
  );
  await rollups.remove(entries);
}

/** The rollup documents of MongoDB, changed by the same compare-and-set the worker counts with. */
export class MongoRollupEraser implements RollupEraser {
  constructor(private readonly connection: Connection) {}

  async remove(entries: readonly RollupEntry[]): Promise<void> {
    await storeCall('erase user from stats', () => this.removeAll(entries));
  }

  private async removeAll(entries: readonly RollupEntry[]): Promise<void> {
    const rollups = this.connection.db!.collection(ROLLUPS_COLLECTION) as unknown as RollupCollection;
    for (const [hourId, inHour] of byHour(entries)) {
      await changeRollup(rollups, hourId, hourStartOf(inHour[0]!.occurredAt), (current) =>
        removeEntries(current, inHour),
      );
    }
  }
}
