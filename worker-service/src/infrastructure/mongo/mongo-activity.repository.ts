import type { Model, mongo } from 'mongoose';
import type {
  ActivityRepository,
  EventCopy,
  InsertOutcome,
  RejectedWrite,
  StoredPosition,
} from '../../application/ports/activity.repository.port';
import { StoreUnavailableError, StoreWriteError } from '../../application/retriable.errors';
import type { ActivityDocument } from './activity.model';
import { DUPLICATE_KEY, codeOf, messageOf, writeErrorsOf } from './write-errors';

/**
 * Server codes after which the same write can succeed unchanged: elections, shutdowns, timeouts,
 * lock and write contention. Never blamed on a document.
 */
const TRANSIENT_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  24, // LockTimeout
  46, // LockBusy
  50, // MaxTimeMSExpired
  64, // WriteConcernFailed
  89, // NetworkTimeout
  91, // ShutdownInProgress
  112, // WriteConflict
  133, // FailedToSatisfyReadPreference
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11601, // Interrupted
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);
const POSITION_LOOKUPS_IN_FLIGHT = 8;
const TRANSIENT_LABELS = ['RetryableWriteError', 'ResetPool', 'TransientTransactionError'];

type ServerErrorLike = {
  code?: unknown;
  errorLabels?: unknown;
  writeConcernError?: unknown;
  message?: string;
};

export function toActivityDocument({ event, partition, offset }: EventCopy, persistedAt: Date): ActivityDocument {
  return {
    eventId: event.eventId,
    schemaVersion: event.schemaVersion,
    userId: event.userId,
    type: event.type,
    occurredAt: new Date(event.occurredAt),
    receivedAt: new Date(event.receivedAt),
    persistedAt,
    sourcePartition: partition,
    sourceOffset: Number(offset),
    ...(event.sessionId === undefined ? {} : { sessionId: event.sessionId }),
    metadata: event.metadata,
    context: event.context,
  };
}

function isTransient(err: ServerErrorLike): boolean {
  const labels = Array.isArray(err.errorLabels) ? (err.errorLabels as unknown[]) : [];
  return (
    (typeof err.code === 'number' && TRANSIENT_CODES.has(err.code)) ||
    labels.some((l) => TRANSIENT_LABELS.includes(l as string))
  );
}

/**
 * Idempotent writes keyed by the unique eventId index. Duplicates are detected through E11000 on an
 * unordered insertMany, not upserts: FerretDB answers an upsert that hits a unique index with an
 * InternalError, which would be indistinguishable from a real failure.
 *
 * Failures are sorted by who is to blame. Per-document write errors name their document (MongoDB's
 * validation errors, for instance) and come back as `rejected`. A server error for the whole command
 * is a StoreWriteError, since the store answered; FerretDB on PostgreSQL reports a document it cannot
 * store that way, after writing the documents before it. Anything without a server code (refused
 * connections, timeouts, server selection) and the known transient codes are an outage.
 */
export class MongoActivityRepository implements ActivityRepository {
  private readonly writeOptions: { writeConcern?: mongo.WriteConcernSettings };

  /** `writeConcern`: w:"majority" on a replica set (store-topology.ts), else the server's default. */
  constructor(
    private readonly model: Model<ActivityDocument>,
    options: { writeConcern?: mongo.WriteConcernSettings } = {},
  ) {
    this.writeOptions = options.writeConcern ? { writeConcern: options.writeConcern } : {};
  }

  async insertNew(copies: readonly EventCopy[], persistedAt: Date): Promise<InsertOutcome> {
    const docs = copies.map((copy) => toActivityDocument(copy, persistedAt));
    try {
      // lean: the documents are built above from validated events; skip hydration and casting.
      const result = await this.model.insertMany(docs, {
        ordered: false,
        lean: true,
        rawResult: true,
        ...this.writeOptions,
      });
      return { inserted: result.insertedCount, duplicates: docs.length - result.insertedCount, rejected: [] };
    } catch (err) {
      return this.outcomeOfFailure(err as ServerErrorLike, docs.length);
    }
  }

  private outcomeOfFailure(err: ServerErrorLike, total: number): InsertOutcome {
    const writeErrors = writeErrorsOf(err);
    const cause = { cause: err };
    if (err.writeConcernError != null || isTransient(err)) {
      throw new StoreUnavailableError(`insert failed: ${err.message}`, cause);
    }
    if (writeErrors.length > 0) {
      // Unordered: every document without a write error was written.
      const transient = writeErrors.find((w) => TRANSIENT_CODES.has(codeOf(w) ?? -1));
      if (transient) {
        throw new StoreUnavailableError(`insert failed with code ${codeOf(transient)}: ${messageOf(transient)}`, cause);
      }
      const rejected: RejectedWrite[] = writeErrors
        .filter((w) => codeOf(w) !== DUPLICATE_KEY)
        .map((w) => ({ index: w.index ?? -1, error: `code ${codeOf(w)}: ${messageOf(w)}` }));
      if (rejected.some((r) => r.index < 0)) {
        throw new StoreWriteError(`insert refused without a document index: ${err.message}`, cause);
      }
      const duplicates = writeErrors.length - rejected.length;
      return { inserted: total - writeErrors.length, duplicates, rejected };
    }
    if (typeof err.code === 'number') {
      throw new StoreWriteError(`insert refused with code ${err.code}: ${err.message}`, cause);
    }
    throw new StoreUnavailableError(`insert failed: ${err.message}`, cause);
  }

  /**
   * One equality lookup per eventId, a few at a time: FerretDB pushes an equality down to PostgreSQL's
   * index but evaluates `$in` in memory over the whole collection.
   */
  async storedPositions(eventIds: readonly string[]): Promise<Map<string, StoredPosition>> {
    const positions = new Map<string, StoredPosition>();
    const queue = [...eventIds];
    const lookUp = async (): Promise<void> => {
      for (let eventId = queue.pop(); eventId !== undefined; eventId = queue.pop()) {
        const found = await this.model
          .findOne({ eventId }, { _id: 0, sourcePartition: 1, sourceOffset: 1 })
          .lean<Pick<ActivityDocument, 'sourcePartition' | 'sourceOffset'>>();
        if (found && typeof found.sourcePartition === 'number' && typeof found.sourceOffset === 'number') {
          positions.set(eventId, { partition: found.sourcePartition, offset: found.sourceOffset });
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(POSITION_LOOKUPS_IN_FLIGHT, queue.length) }, lookUp));
    } catch (err) {
      throw new StoreUnavailableError(`stored positions lookup failed: ${(err as Error).message}`, { cause: err });
    }
    return positions;
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
