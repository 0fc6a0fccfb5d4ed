import type { ActivityEvent } from '@uap/shared';
import type { Model } from 'mongoose';
import type { ActivityRepository, InsertOutcome } from '../../application/ports/activity.repository.port';
import { StoreUnavailableError } from '../../application/retriable.errors';
import type { ActivityDocument } from './activity.model';

const DUPLICATE_KEY = 11000;

type WriteErrorLike = { code?: number; err?: { code?: number }; errmsg?: string };

export function toActivityDocument(event: ActivityEvent, persistedAt: Date): ActivityDocument {
  return {
    eventId: event.eventId,
    schemaVersion: event.schemaVersion,
    userId: event.userId,
    type: event.type,
    occurredAt: new Date(event.occurredAt),
    receivedAt: new Date(event.receivedAt),
    persistedAt,
    ...(event.sessionId === undefined ? {} : { sessionId: event.sessionId }),
    metadata: event.metadata,
    context: event.context,
  };
}

/** Mongoose copies the driver's WriteErrors into plain objects, losing the `code` getter; `err.code` survives. */
function writeErrorsOf(err: unknown): WriteErrorLike[] | undefined {
  const list = (err as { writeErrors?: WriteErrorLike | WriteErrorLike[] } | null)?.writeErrors;
  if (list === undefined || list === null) return undefined;
  return Array.isArray(list) ? list : [list];
}

const codeOf = (w: WriteErrorLike) => w.code ?? w.err?.code;

/**
 * Idempotent writes keyed by the unique eventId index. Duplicates are detected through E11000 on an
 * unordered insertMany, not upserts: FerretDB answers an upsert that hits a unique index with an
 * InternalError, which would be indistinguishable from a real failure.
 */
export class MongoActivityRepository implements ActivityRepository {
  constructor(private readonly model: Model<ActivityDocument>) {}

  async insertNew(events: readonly ActivityEvent[], persistedAt: Date): Promise<InsertOutcome> {
    const docs = events.map((event) => toActivityDocument(event, persistedAt));
    try {
      // lean: the documents are built above from validated events; skip hydration and casting.
      const result = await this.model.insertMany(docs, { ordered: false, lean: true, rawResult: true });
      return { inserted: result.insertedCount, duplicates: docs.length - result.insertedCount };
    } catch (err) {
      const writeErrors = writeErrorsOf(err);
      const hasWriteConcernError = (err as { writeConcernError?: unknown }).writeConcernError != null;
      // Every other document was written (unordered), so all-duplicates means the chunk is fully stored.
      if (writeErrors && writeErrors.length > 0 && !hasWriteConcernError) {
        const other = writeErrors.find((w) => codeOf(w) !== DUPLICATE_KEY);
        if (!other) return { inserted: docs.length - writeErrors.length, duplicates: writeErrors.length };
        throw new StoreUnavailableError(`insert failed with code ${codeOf(other)}: ${other.errmsg ?? 'write error'}`, {
          cause: err,
        });
      }
      throw new StoreUnavailableError(`insert failed: ${(err as Error).message}`, { cause: err });
    }
  }

  async ping(): Promise<void> {
    const db = this.model.db.db;
    if (!db) throw new StoreUnavailableError('not connected to the store');
    try {
      await db.admin().ping();
    } catch (err) {
      throw new StoreUnavailableError(`store ping failed: ${(err as Error).message}`, { cause: err });
    }
  }
}
