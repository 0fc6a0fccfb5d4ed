import type { Connection, mongo } from 'mongoose';
import type { AuditLog, AuditQuery, AuditRecord } from '../../application/ports/audit-log.port';
import { storeCall } from '../store/mongo-connection';

export const AUDIT_COLLECTION = 'audit_records';

/** The listing's shapes: newest first, whole or by action; retention walks `at` too. */
export const AUDIT_INDEXES = [
  { key: { at: -1, _id: -1 }, name: 'at_id' },
  { key: { action: 1, at: -1, _id: -1 }, name: 'action_at_id' },
] as const;

type AuditDocument = Omit<AuditRecord, 'id'> & { _id: string };

const DUPLICATE_KEY = 11000;

function toRecord({ _id, ...rest }: AuditDocument): AuditRecord {
  return { id: _id, ...rest };
}

/** The filter of a listing: equalities, the [from, to) range, and the keyset (strictly after the cursor). */
export function auditFilter(query: Omit<AuditQuery, 'limit'>): mongo.Filter<AuditDocument> {
  const and: mongo.Filter<AuditDocument>[] = [];
  if (query.action !== undefined) and.push({ action: query.action });
  if (query.actorKeyId !== undefined) and.push({ 'actor.keyId': query.actorKeyId });
  if (query.outcome !== undefined) and.push({ outcome: query.outcome });
  if (query.targetId !== undefined) and.push({ 'target.id': query.targetId });
  if (query.from !== undefined) and.push({ at: { $gte: query.from } });
  if (query.to !== undefined) and.push({ at: { $lt: query.to } });
  const { cursor } = query;
  if (cursor !== undefined) {
    and.push({ $or: [{ at: { $lt: cursor.at } }, { at: cursor.at, _id: { $lt: cursor.id } }] });
  }
  return and.length === 0 ? {} : { $and: and };
}

/**
 * The audit trail in the api's store, one document per record with the record's id as `_id`: appending is an
 * insert, and a retry of one that did land meets the duplicate key and is taken as done (idempotent on id).
 */
export class MongoAuditLog implements AuditLog {
  constructor(
    private readonly connection: Connection,
    private readonly options: { maxTimeMs: number },
  ) {}

  private get records(): mongo.Collection<AuditDocument> {
    return this.connection.db!.collection<AuditDocument>(AUDIT_COLLECTION);
  }

  /**
   * MongoDB only (api-store decides). FerretDB uses no index through its wire and sorts in memory, so there an
   * index would only cost writes: the trail holds admin actions (a few a day, swept after AUDIT_RETENTION_DAYS)
   * and is read one page per admin request, so a scan of it stays small.
   */
  async ensureIndexes(): Promise<void> {
    for (const { key, name } of AUDIT_INDEXES) await this.records.createIndex({ ...key }, { name });
  }

  async append(record: AuditRecord): Promise<void> {
    const { id, ...rest } = record;
    await storeCall('append audit record', async () => {
      try {
        await this.records.insertOne({ _id: id, ...rest });
      } catch (err) {
        if ((err as { code?: unknown }).code !== DUPLICATE_KEY) throw err;
      }
    });
  }

  async list(query: AuditQuery): Promise<AuditRecord[]> {
    const docs = await storeCall('audit records', () =>
      this.records
        .find(auditFilter(query))
        .sort({ at: -1, _id: -1 })
        .limit(query.limit)
        .maxTimeMS(this.options.maxTimeMs)
        .toArray(),
    );
    return docs.map(toRecord);
  }

  async deleteBefore(cutoff: Date): Promise<number> {
    const result = await storeCall('sweep audit records', () => this.records.deleteMany({ at: { $lt: cutoff } }));
    return result.deletedCount;
  }
}
