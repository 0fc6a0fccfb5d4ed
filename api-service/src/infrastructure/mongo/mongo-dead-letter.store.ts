import { DEAD_LETTERS_COLLECTION, type DeadLetterRecord } from '@uap/shared/contract';
import type { Connection, mongo } from 'mongoose';
import type { DeadLetterCount, DeadLetterStore } from '../../application/ports/dead-letter-store.port';
import type { DeadLetterFilters, LetterPosition } from '../../domain/dead-letter-query';
import type { ReplayFilter } from '../../domain/replay-job';
import { storeCall } from '../store/mongo-connection';

/** The Mongo filter for dead-letter filters; values are typed, so nothing a client sent becomes an operator. */
export function letterFilter(
  filters: Omit<DeadLetterFilters, 'statuses'> & { statuses?: readonly string[]; letterIds?: readonly string[] },
) {
  const filter: Record<string, unknown> = {};
  if (filters.reason !== undefined) filter['reason'] = filters.reason;
  if (filters.type !== undefined) filter['type'] = filters.type;
  if (filters.userId !== undefined) filter['userId'] = filters.userId;
  if (filters.sourceId !== undefined) filter['sourceId'] = filters.sourceId;
  if (filters.statuses !== undefined) {
    filter['status'] = filters.statuses.length === 1 ? filters.statuses[0] : { $in: [...filters.statuses] };
  }
  if (filters.letterIds !== undefined) filter['letterId'] = { $in: [...filters.letterIds] };
  const range: Record<string, Date> = {};
  if (filters.from) range['$gte'] = filters.from;
  if (filters.to) range['$lt'] = filters.to;
  if (Object.keys(range).length > 0) filter['failedAt'] = range;
  return filter;
}

/**
 * Letters per source in one `$group` (FerretDB runs $match/$group/$sum). `$type: 'string'` rather than `$exists`:
 * on MongoDB its bounds ["", {}) over sourceId_failedAt_letterId read only the letters that carry a source, where
 * the index (not partial: FerretDB refuses that) keeps every other letter under null, which `$exists` would walk.
 */
export function lettersBySourcePipeline(sourceId?: string) {
  return [
    { $match: { sourceId: sourceId ?? { $type: 'string' } } },
    { $group: { _id: '$sourceId', count: { $sum: 1 } } },
  ];
}

/** The worker's dead-letter index, read and marked by the API (the worker creates it and its indexes). */
export class MongoDeadLetterStore implements DeadLetterStore {
  constructor(
    private readonly connection: Connection,
    private readonly options: { maxTimeMs: number },
  ) {}

  private get letters(): mongo.Collection<DeadLetterRecord> {
    return this.connection.db!.collection<DeadLetterRecord>(DEAD_LETTERS_COLLECTION);
  }

  list(filters: DeadLetterFilters, limit: number, after?: LetterPosition): Promise<DeadLetterRecord[]> {
    const filter = letterFilter(filters);
    if (after) {
      filter['$or'] = [
        { failedAt: { $lt: after.failedAt } },
        { failedAt: after.failedAt, letterId: { $lt: after.letterId } },
      ];
    }
    return storeCall(
      'dead letters',
      () =>
        this.letters
          .find(filter, { projection: { _id: 0 }, maxTimeMS: this.options.maxTimeMs })
          .sort({ failedAt: -1, letterId: -1 })
          .limit(limit)
          .toArray() as Promise<DeadLetterRecord[]>,
    );
  }

  get(letterId: string): Promise<DeadLetterRecord | null> {
    return storeCall('dead letter', () =>
      this.letters.findOne({ letterId }, { projection: { _id: 0 }, maxTimeMS: this.options.maxTimeMs }),
    ) as Promise<DeadLetterRecord | null>;
  }

  findBySource(topic: string, partition: number, offset: number): Promise<DeadLetterRecord | null> {
    return storeCall('dead letter by source', () =>
      this.letters.findOne(
        { sourceTopic: topic, sourcePartition: partition, sourceOffset: offset },
        { projection: { _id: 0 }, maxTimeMS: this.options.maxTimeMs },
      ),
    ) as Promise<DeadLetterRecord | null>;
  }

  async counts(range: { from?: Date; to?: Date }): Promise<DeadLetterCount[]> {
    const rows = await storeCall('dead-letter counts', () =>
      this.letters
        .aggregate<{ _id: { reason: string; status: DeadLetterCount['status'] }; count: number }>(
          [
            { $match: letterFilter(range) },
            { $group: { _id: { reason: '$reason', status: '$status' }, count: { $sum: 1 } } },
          ],
          { maxTimeMS: this.options.maxTimeMs },
        )
        .toArray(),
    );
    return rows
      .map((row) => ({ reason: row._id.reason, status: row._id.status, count: row.count }))
      .sort((a, b) => a.reason.localeCompare(b.reason) || a.status.localeCompare(b.status));
  }

  async countsBySource(sourceId?: string): Promise<Map<string, number>> {
    const rows = await storeCall('dead-letter counts by source', () =>
      this.letters
        .aggregate<{ _id: string; count: number }>(lettersBySourcePipeline(sourceId), {
          maxTimeMS: this.options.maxTimeMs,
        })
        .toArray(),
    );
    return new Map(rows.map((row) => [row._id, row.count]));
  }

  async partitions(filter: ReplayFilter): Promise<number[]> {
    const { statuses: _statuses, ...rest } = filter;
    const partitions = await storeCall('dead-letter partitions', () =>
      // No maxTimeMS here: FerretDB refuses it on distinct ("unknown field").
      this.letters.distinct('dlqPartition', letterFilter(rest)),
    );
    return (partitions as number[]).sort((a, b) => a - b);
  }

  scan(filter: ReplayFilter, partition: number, afterOffset: number, limit: number): Promise<DeadLetterRecord[]> {
    const { statuses: _statuses, ...rest } = filter;
    return storeCall(
      'dead letters to replay',
      () =>
        this.letters
          .find(
            { ...letterFilter(rest), dlqPartition: partition, dlqOffset: { $gt: afterOffset } },
            { projection: { _id: 0 }, maxTimeMS: this.options.maxTimeMs },
          )
          .sort({ dlqOffset: 1 })
          .limit(limit)
          .toArray() as Promise<DeadLetterRecord[]>,
    );
  }

  async markReplayed(letterIds: readonly string[], jobId: string, at: Date): Promise<void> {
    await storeCall('mark replayed', () =>
      this.letters.updateMany(
        { letterId: { $in: [...letterIds] } },
        { $set: { status: 'replayed', replayJob: jobId, replayedAt: at } },
      ),
    );
  }
}
