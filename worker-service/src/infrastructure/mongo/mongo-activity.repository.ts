import { flagOf, identityLinkOf, IDENTITY_LINK_FIELD } from '@uap/shared/contract';
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
const TRANSIENT_LABELS = ['RetryableWriteError', 'ResetPool', 'TransientTransactionError'];

/** Looks up stored positions by another route than the Mongo wire. */
export type PositionLookup = Pick<ActivityRepository, 'storedPositions'>;

type ServerErrorLike = {
  code?: unknown;
  errorLabels?: unknown;
  writeConcernError?: unknown;
  message?: string;
};

export function toActivityDocument({ event, partition, offset }: EventCopy, persistedAt: Date): ActivityDocument {
  const document: ActivityDocument = {
    eventId: event.eventId,
    schemaVersion: event.schemaVersion,
    // The actor: the ids the event has, at least one (ActivityEventSchema).
    ...(event.userId === undefined ? {} : { userId: event.userId }),
    ...(event.anonymousId === undefined ? {} : { anonymousId: event.anonymousId }),
    type: event.type,
    occurredAt: new Date(event.occurredAt),
    receivedAt: new Date(event.receivedAt),
    persistedAt,
    sourcePartition: partition,
    sourceOffset: Number(offset),
    ...(event.sessionId === undefined ? {} : { sessionId: event.sessionId }),
    metadata: event.metadata,
    context: event.context,
    // Each only when the event has it: events from before the registry, and raw producers', store none.
    ...(event.typeVersion === undefined ? {} : { typeVersion: event.typeVersion }),
    ...(event.planned === undefined ? {} : { planned: event.planned }),
    ...(event.violations === undefined ? {} : { violations: event.violations }),
    ...(event.segment === undefined ? {} : { segment: event.segment }),
    ...(event.sourceId === undefined ? {} : { sourceId: event.sourceId }),
  };
  // Markers written only on the events they select, so the partial indexes over them hold those alone:
  // the violations listing's flag, and the anonymous id a link (an IDENTIFY or ALIAS with both ids) links.
  const flagged = flagOf(event);
  const link = identityLinkOf(event);
  return {
    ...document,
    ...(flagged === undefined ? {} : { flagged }),
    ...(link === undefined ? {} : { [IDENTITY_LINK_FIELD]: link }),
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
  private readonly positions: PositionLookup | undefined;

  /**
   * `writeConcern`: w:"majority" on a replica set (store-topology.ts), else the server's default.
   * `positions`: where to look stored positions up instead of the Mongo wire (FerretDB's SQL, ferretdb-sql.store.ts).
   */
  constructor(
    private readonly model: Model<ActivityDocument>,
    options: { writeConcern?: mongo.WriteConcernSettings; positions?: PositionLookup } = {},
  ) {
    this.writeOptions = options.writeConcern ? { writeConcern: options.writeConcern } : {};
    this.positions = options.positions;
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
   * One `$in` query, served on MongoDB by the unique eventId index (an IXSCAN of one key per id). Through
   * FerretDB's wire it is one scan of the collection (better than one scan per id, still O(table)): there
   * the worker passes `positions`, SQL over the same index.
   */
  async storedPositions(eventIds: readonly string[]): Promise<Map<string, StoredPosition>> {
    if (this.positions) return this.positions.storedPositions(eventIds);
    const positions = new Map<string, StoredPosition>();
    if (eventIds.length === 0) return positions;
    try {
      const found = await this.model
        .find({ eventId: { $in: [...eventIds] } }, { _id: 0, eventId: 1, sourcePartition: 1, sourceOffset: 1 })
        .lean<Array<Pick<ActivityDocument, 'eventId' | 'sourcePartition' | 'sourceOffset'>>>();
      for (const { eventId, sourcePartition, sourceOffset } of found) {
        if (typeof sourcePartition === 'number' && typeof sourceOffset === 'number') {
          positions.set(eventId, { partition: sourcePartition, offset: sourceOffset });
        }
      }
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
