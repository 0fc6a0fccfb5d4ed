import { RANKABLE_FIELD_PATTERN } from '@uap/shared/activity-types';
import type { ActivityType } from '@uap/shared/contract';
import type { Connection, Model, PipelineStage } from 'mongoose';
import type {
  ActiveUsersCounts,
  ActiveUsersRequest,
  BucketUsers,
  FunnelEvent,
  FunnelEventsRequest,
  InsightsReader,
  InsightValue,
  RankableField,
  TopValuesCounts,
  TopValuesRequest,
} from '../../application/ports/insights-reader.port';
import { guardStoreRead } from './guard-store-read';
import { activityReadModel } from './mongo-activity.reader';

type Document = Record<string, unknown>;

/**
 * The two calls this reader makes on the activities collection: a mongoose model in production
 * (MongoInsightsReader.fromConnection), mingo over generated events in the unit test.
 */
export interface ActivityCollectionQueries {
  aggregate(pipeline: PipelineStage[]): Promise<Document[]>;
  find(filter: Document, projection: Record<string, 0 | 1>, limit: number): Promise<Document[]>;
}

/** `$type` names of what a value may be to be ranked. JSON numbers are stored as int or double, never decimal. */
const SCALAR_TYPES = ['string', 'int', 'long', 'double', 'bool'];
/** mingo does not know the name `UTC`; MongoDB takes an offset as well. */
const UTC = '+00:00';
/** Funnel events come in batches this large: a funnel reads up to a million of them. */
const FUNNEL_BATCH_SIZE = 10_000;

/**
 * What every insight reads first: the range, the types, and the user if one is asked for, else (`users`) any event
 * with a userId, or (`everyone`, top values of metadata and type) anonymous-only events too. Only occurredAt and type
 * bound an index walk (occurredAt_eventId, type_occurredAt_eventId; a given userId, userId_occurredAt_eventId); the
 * `$type` test is a residual filter. activity-index-coverage.test.ts proves each shape.
 */
export function insightsMatch(
  request: { from: Date; to: Date; types?: readonly ActivityType[] | undefined; userId?: string | undefined },
  who: 'users' | 'everyone' = 'users',
): Document {
  const filter: Document = { occurredAt: { $gte: request.from, $lt: request.to } };
  if (request.types !== undefined) {
    const types = [...new Set(request.types)];
    filter['type'] = types.length === 1 ? types[0] : { $in: types };
  }
  if (request.userId !== undefined) filter['userId'] = request.userId;
  else if (who === 'users') filter['userId'] = { $type: 'string' };
  return filter;
}

/**
 * Distinct users per UTC day, per calendar bucket and over the range, in one walk: the (day, user) pairs first,
 * then each count from those pairs. `$dateTrunc` is MongoDB 5.0+ (FerretDB has none: this reader is MongoDB's).
 */
export function activeUsersPipeline(request: ActiveUsersRequest): PipelineStage[] {
  const day = { $dateTrunc: { date: '$occurredAt', unit: 'day', timezone: UTC } };
  const perBucket: PipelineStage.FacetPipelineStage[] =
    request.bucket === 'day'
      ? []
      : [
          {
            $group: {
              _id: {
                b: {
                  $dateTrunc: {
                    date: '$_id.d',
                    unit: request.bucket,
                    ...(request.bucket === 'week' ? { startOfWeek: 'monday' } : {}),
                    timezone: UTC,
                  },
                },
                u: '$_id.u',
              },
            },
          },
          { $group: { _id: '$_id.b', users: { $sum: 1 } } },
          { $sort: { _id: 1 } },
        ];
  return [
    { $match: insightsMatch(request) },
    { $group: { _id: { d: day, u: '$userId' } } },
    {
      $facet: {
        days: [{ $group: { _id: '$_id.d', users: { $sum: 1 } } }, { $sort: { _id: 1 } }],
        ...(perBucket.length > 0 ? { buckets: perBucket } : {}),
        total: [{ $group: { _id: '$_id.u' } }, { $count: 'users' }],
      },
    },
  ];
}

/** The aggregation path of a rankable field (`$metadata.query`); checked again here, as it becomes an expression. */
function fieldPath(field: RankableField): string {
  if (field !== 'userId' && field !== 'type' && !RANKABLE_FIELD_PATTERN.test(field)) {
    throw new Error(`${field} is not a rankable field`);
  }
  return `$${field}`;
}

/**
 * The counts per value of the field. `$project` then `$type`, not a query `$type` in the `$match`: a query would
 * also take an array holding a string, and an array is not counted. A path crossing an array yields an array too.
 */
function valueCounts(request: TopValuesRequest): PipelineStage[] {
  return [
    { $match: insightsMatch(request, request.field === 'userId' ? 'users' : 'everyone') },
    { $project: { _id: 0, v: fieldPath(request.field) } },
    { $match: { $expr: { $in: [{ $type: '$v' }, SCALAR_TYPES] } } },
    { $group: { _id: '$v', n: { $sum: 1 } } },
  ];
}

/**
 * Top values, first of two walks: how many events are counted, how many values, and the `limit`-th count (the
 * sort keeps only the top `limit` counts in memory). The second walk takes every value counted at least that often.
 */
export function topValuesBoundaryPipeline(request: TopValuesRequest): PipelineStage[] {
  return [
    ...valueCounts(request),
    {
      $facet: {
        totals: [{ $group: { _id: null, counted: { $sum: '$n' }, distinct: { $sum: 1 } } }],
        boundary: [{ $sort: { n: -1 } }, { $skip: request.limit - 1 }, { $limit: 1 }],
      },
    },
  ];
}

/** Top values, second walk: every value counted at least `boundary` times (the ties at the boundary included). */
export function topValuesPipeline(request: TopValuesRequest, boundary: number): PipelineStage[] {
  return [...valueCounts(request), { $match: { n: { $gte: boundary } } }];
}

/**
 * The projection of a funnel's events: the fields the steps compare, each path once (MongoDB refuses a path and its
 * prefix in one projection, so `metadata.page` alone covers `metadata.page.path`).
 */
export function funnelProjection(fields: readonly string[]): Record<string, 0 | 1> {
  const unique = [...new Set(fields)];
  const kept = unique.filter((field) => !unique.some((other) => field.startsWith(`${other}.`)));
  return {
    _id: 0,
    userId: 1,
    type: 1,
    occurredAt: 1,
    eventId: 1,
    ...Object.fromEntries(kept.map((field) => [field, 1])),
  };
}

/** The value at a dotted path of a document, when it is a string, number or boolean; nothing through an array. */
export function scalarAt(document: unknown, path: string): InsightValue | undefined {
  let value: unknown = document;
  for (const segment of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, segment)) {
      return undefined;
    }
    value = (value as Document)[segment];
  }
  return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && isFinite(value))
    ? value
    : undefined;
}

const asDate = (value: unknown) => new Date(value as Date);

/**
 * Insights for a real MongoDB, by aggregation over the stored events (no rollup): every query starts with a
 * `$match` a declared index serves (insightsMatch), and each answer is exact. Erased users' events are deleted, so
 * they are in no answer. FerretDB cannot run `$dateTrunc`: there, the PostgreSQL insights reader answers.
 */
export class MongoInsightsReader implements InsightsReader {
  constructor(private readonly queries: ActivityCollectionQueries) {}

  /** Over the activities collection, each call limited to maxTimeMs on the server (a slow store answers 503). */
  static fromConnection(connection: Connection, options: { maxTimeMs: number }): MongoInsightsReader {
    const model: Model<unknown> = activityReadModel(connection);
    return new MongoInsightsReader({
      aggregate: (pipeline) =>
        model.aggregate<Document>(pipeline).allowDiskUse(true).option({ maxTimeMS: options.maxTimeMs }).exec(),
      find: (filter, projection, limit) =>
        model
          .find(filter, projection)
          .limit(limit)
          .batchSize(FUNNEL_BATCH_SIZE)
          .maxTimeMS(options.maxTimeMs)
          .lean<Document[]>()
          .exec(),
    });
  }

  async activeUsers(request: ActiveUsersRequest): Promise<ActiveUsersCounts> {
    const pipeline = activeUsersPipeline(request);
    const [result] = await guardStoreRead(() => this.queries.aggregate(pipeline));
    const facets = result as
      | { days: Array<{ _id: Date; users: number }>; buckets?: Array<{ _id: Date; users: number }>; total: Document[] }
      | undefined;
    const counts = (rows: Array<{ _id: Date; users: number }> = []): BucketUsers[] =>
      rows
        .map((row) => ({ start: asDate(row._id), users: row.users }))
        .sort((a, b) => a.start.getTime() - b.start.getTime());
    const days = counts(facets?.days);
    return {
      buckets: request.bucket === 'day' ? days : counts(facets?.buckets),
      days,
      total: Number(facets?.total[0]?.['users'] ?? 0),
      exact: true,
    };
  }

  async topValues(request: TopValuesRequest): Promise<TopValuesCounts> {
    const pipeline = topValuesBoundaryPipeline(request);
    const [first] = await guardStoreRead(() => this.queries.aggregate(pipeline));
    const { totals, boundary } = first as { totals: Document[]; boundary: Document[] };
    const counted = Number(totals[0]?.['counted'] ?? 0);
    const distinct = Number(totals[0]?.['distinct'] ?? 0);
    if (distinct === 0) return { values: [], counted: 0, distinct: 0 };
    // Fewer values than the limit: every one of them is in the top.
    const least = Number(boundary[0]?.['n'] ?? 1);
    const rows = await guardStoreRead(() => this.queries.aggregate(topValuesPipeline(request, least)));
    const values = rows
      .map((row) => ({ value: row['_id'] as InsightValue, count: Number(row['n']) }))
      .sort((a, b) => b.count - a.count);
    return { values, counted, distinct };
  }

  async funnelEvents(request: FunnelEventsRequest): Promise<FunnelEvent[]> {
    const [filter, projection] = [insightsMatch(request), funnelProjection(request.fields)];
    const docs = await guardStoreRead(() => this.queries.find(filter, projection, request.upTo + 1));
    return docs.map((doc) => {
      const values: Record<string, InsightValue> = {};
      for (const field of request.fields) {
        const value = scalarAt(doc, field);
        if (value !== undefined) values[field] = value;
      }
      return {
        userId: String(doc['userId']),
        type: doc['type'] as ActivityType,
        occurredAt: asDate(doc['occurredAt']).getTime(),
        eventId: String(doc['eventId']),
        values,
      };
    });
  }
}
