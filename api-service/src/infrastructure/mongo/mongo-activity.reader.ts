import { Schema, type Connection, type Model } from 'mongoose';
import {
  ACTIVITIES_COLLECTION,
  FLAG_KINDS,
  FLAGGED_FIELD,
  IDENTITY_LINK_FIELD,
  type ActivityType,
} from '@uap/shared/contract';
import type {
  ActivityCount,
  ActivityCountByType,
  ActivityReader,
  ActivityRecord,
  PageRequest,
} from '../../application/ports/activity-reader.port';
import type {
  ActivityViolationReader,
  ViolationPageRequest,
} from '../../application/ports/activity-violation-reader.port';
import type { ActivityFilters } from '../../domain/activity-query';
import { FLAG_OF_KIND } from '../../domain/violation-query';
import { actorOf, registryFieldsOf, segmentOf, sourceIdOf, storedFromOf } from '../store/stored-activity';
import { guardStoreRead } from './guard-store-read';

type MongoSort = { occurredAt: 1 | -1; eventId: 1 | -1 };

export interface MongoFindPlan {
  filter: Record<string, unknown>;
  sort: MongoSort;
  skip: number;
  limit: number;
}

/**
 * The Mongo filter for a set of query filters. Values are typed (strings, Dates, string arrays from the
 * activity-type enum), so nothing a client sent can turn into an operator here. A user's history is an `$or` of
 * clausesOf, which MongoDB plans clause by clause.
 */
export function buildFilter(filters: ActivityFilters): Record<string, unknown> {
  const clauses = clausesOf(filters);
  return clauses.length === 1 ? clauses[0]! : { $or: clauses };
}

/**
 * One clause per index walk: the filters; in a user's history, also the linked anonymous ids' events that name the
 * user or nobody (anonymousId_occurredAt_eventId, an `$in` MongoDB walks once per id and merges, up to its
 * internalQueryMaxScansToExplode of 200 ids; past that it sorts those ids' events). Those overlap the
 * user's own (analytics.js sends the anonymousId after login too), and the `$or` returns a document once; a clause
 * that skipped them (`userId: null` alone) would walk the user's whole logged-in history to find the events before.
 * "Names the user or nobody" is a `$nor`, which no index serves: as `userId: {$in: [user, null]}` it would also make
 * userId_occurredAt_eventId eligible, whose null bounds walk every anonymous event in the collection.
 */
function clausesOf(filters: ActivityFilters): Array<Record<string, unknown>> {
  const { linkedAnonymousIds, userId, ...rest } = filters;
  const own = clauseOf({ ...rest, ...(userId === undefined ? {} : { userId }) });
  // With an anonymousId filter too, only that one of the linked ids.
  const linked = [...new Set(linkedAnonymousIds ?? [])].filter(
    (id) => rest.anonymousId === undefined || id === rest.anonymousId,
  );
  if (userId === undefined || linked.length === 0) return [own];
  return [
    own,
    {
      ...clauseOf(rest),
      anonymousId: linked.length === 1 ? linked[0] : { $in: linked },
      $nor: [{ userId: { $exists: true, $ne: userId } }],
    },
  ];
}

function clauseOf(filters: Omit<ActivityFilters, 'linkedAnonymousIds'>): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  if (filters.userId !== undefined) filter['userId'] = filters.userId;
  if (filters.anonymousId !== undefined) filter['anonymousId'] = filters.anonymousId;
  if (filters.sourceId !== undefined) filter['sourceId'] = filters.sourceId;
  if (filters.types !== undefined) {
    const types = [...new Set(filters.types)];
    filter['type'] = types.length === 1 ? types[0] : { $in: types };
  }
  const range: Record<string, Date> = {};
  if (filters.from) range['$gte'] = filters.from;
  if (filters.to) range['$lt'] = filters.to;
  if (Object.keys(range).length > 0) filter['occurredAt'] = range;
  return filter;
}

/**
 * Filter, sort and window for one page. Keyset paging resumes strictly after (occurredAt, eventId):
 * the $or expresses the tuple comparison, and the extra bound on occurredAt outside it lets the planner
 * start the index scan at the cursor instead of filtering every earlier row of the walk.
 */
export function buildFindPlan(request: PageRequest): MongoFindPlan {
  const direction = request.sort === 'asc' ? 1 : -1;
  const after = request.after;
  // Each clause of a user's history carries the keyset itself, so each stays one walk of its index.
  const clauses = clausesOf(request.filters).map((filter) => {
    if (!after) return filter;
    const t = after.occurredAt;
    const past = direction === 1 ? '$gt' : '$lt';
    const range = { ...((filter['occurredAt'] as Record<string, Date> | undefined) ?? {}) };
    if (direction === 1) {
      if (!range['$gte'] || range['$gte'] < t) range['$gte'] = t;
    } else if (!range['$lt'] || t < range['$lt']) {
      delete range['$lt'];
      range['$lte'] = t;
    }
    return {
      ...filter,
      occurredAt: range,
      $or: [{ occurredAt: { [past]: t } }, { occurredAt: t, eventId: { [past]: after.eventId } }],
    };
  });
  return {
    filter: clauses.length === 1 ? clauses[0]! : { $or: clauses },
    sort: { occurredAt: direction, eventId: direction },
    skip: request.skip ?? 0,
    limit: request.limit,
  };
}

/**
 * The violations page: the list's plan (one type at most, newest first, the same keyset resumption) plus the
 * stored flag. An equality on it, or `$in` of both flags (which MongoDB explodes into one ordered walk per flag,
 * merged), implies the partial filter `{flagged: {$exists: true}}`, so FLAGGED_ACTIVITY_INDEXES are eligible.
 */
export function buildViolationFindPlan(request: ViolationPageRequest): MongoFindPlan {
  const { type, kind } = request.filters;
  const plan = buildFindPlan({
    filters: type === undefined ? {} : { types: [type] },
    sort: 'desc',
    limit: request.limit,
    ...(request.after ? { after: request.after } : {}),
  });
  plan.filter[FLAGGED_FIELD] = kind === undefined ? { $in: [...FLAG_KINDS] } : FLAG_OF_KIND[kind];
  return plan;
}

const PROJECTION = {
  _id: 0,
  eventId: 1,
  userId: 1,
  anonymousId: 1,
  type: 1,
  occurredAt: 1,
  receivedAt: 1,
  persistedAt: 1,
  sourcePartition: 1,
  sourceOffset: 1,
  sessionId: 1,
  metadata: 1,
  context: 1,
  schemaVersion: 1,
  typeVersion: 1,
  planned: 1,
  violations: 1,
  segment: 1,
  sourceId: 1,
} as const;

// Read-only view of the worker's documents: no indexes or collection creation from the API side
// (the worker owns both), and no buffering, so a request fails fast instead of hanging while Mongo is down.
const activityReadSchema = new Schema(
  {
    eventId: String,
    userId: String,
    anonymousId: String,
    type: String,
    occurredAt: Date,
    receivedAt: Date,
    persistedAt: Date,
    sourcePartition: Number,
    sourceOffset: Number,
    sessionId: String,
    metadata: Schema.Types.Mixed,
    context: Schema.Types.Mixed,
    schemaVersion: Number,
    typeVersion: Number,
    planned: Boolean,
    violations: Schema.Types.Mixed,
    segment: Schema.Types.Mixed,
    sourceId: String,
    [FLAGGED_FIELD]: String,
    [IDENTITY_LINK_FIELD]: String,
  },
  {
    collection: ACTIVITIES_COLLECTION,
    autoIndex: false,
    autoCreate: false,
    bufferCommands: false,
    versionKey: false,
    strictQuery: 'throw',
  },
);

type StoredActivity = Partial<ActivityRecord> & Record<string, unknown>;

function toRecord(doc: StoredActivity): ActivityRecord {
  return {
    eventId: String(doc.eventId),
    ...actorOf(doc),
    type: doc.type as ActivityRecord['type'],
    occurredAt: new Date(doc.occurredAt as Date),
    receivedAt: new Date(doc.receivedAt as Date),
    ...(doc.persistedAt ? { persistedAt: new Date(doc.persistedAt) } : {}),
    ...storedFromOf(doc),
    ...(typeof doc.sessionId === 'string' ? { sessionId: doc.sessionId } : {}),
    metadata: (doc.metadata as Record<string, unknown> | undefined) ?? {},
    context: (doc.context as ActivityRecord['context'] | undefined) ?? {},
    schemaVersion: Number(doc.schemaVersion),
    ...registryFieldsOf(doc),
    ...segmentOf(doc),
    ...sourceIdOf(doc),
  };
}

export interface MongoActivityReaderOptions {
  /** Server-side time limit per query, so a slow store answers 503 instead of holding the request. */
  maxTimeMs: number;
}

/** The read-only model of the activities collection, one per connection (the identity reader shares it). */
export function activityReadModel(connection: Connection): Model<unknown> {
  return (
    (connection.models['ActivityRead'] as Model<unknown> | undefined) ??
    connection.model<unknown>('ActivityRead', activityReadSchema)
  );
}

export class MongoActivityReader implements ActivityReader, ActivityViolationReader {
  private readonly model: Model<unknown>;

  constructor(
    connection: Connection,
    private readonly options: MongoActivityReaderOptions = { maxTimeMs: 5_000 },
  ) {
    this.model = activityReadModel(connection);
  }

  async findPage(request: PageRequest): Promise<ActivityRecord[]> {
    return this.find(buildFindPlan(request));
  }

  async findViolations(request: ViolationPageRequest): Promise<ActivityRecord[]> {
    return this.find(buildViolationFindPlan(request));
  }

  private async find(plan: MongoFindPlan): Promise<ActivityRecord[]> {
    const docs = await guardStoreRead(() =>
      this.model
        .find(plan.filter, PROJECTION)
        .sort(plan.sort)
        .skip(plan.skip)
        .limit(plan.limit)
        .maxTimeMS(this.options.maxTimeMs)
        .lean<StoredActivity[]>()
        .exec(),
    );
    return docs.map(toRecord);
  }

  // MongoDB counts from the index, so the total stays exact whatever `upTo` says.
  async count(filters: ActivityFilters): Promise<ActivityCount> {
    const total = await guardStoreRead(() =>
      this.model.countDocuments(buildFilter(filters)).maxTimeMS(this.options.maxTimeMs).exec(),
    );
    return { total, exact: true };
  }

  // MongoDB groups from the index too; FerretDB v1 has $group with $sum (it lacks $avg, $min and $max).
  async countByType(filters: ActivityFilters): Promise<ActivityCountByType> {
    const rows = await guardStoreRead(() =>
      this.model
        .aggregate<{ _id: ActivityType; n: number }>([
          { $match: buildFilter(filters) },
          { $group: { _id: '$type', n: { $sum: 1 } } },
        ])
        .option({ maxTimeMS: this.options.maxTimeMs })
        .exec(),
    );
    return { counts: Object.fromEntries(rows.map((row) => [row._id, row.n])), exact: true };
  }

  async findByEventId(eventId: string): Promise<ActivityRecord | null> {
    const doc = await guardStoreRead(() =>
      this.model
        .findOne({ eventId }, PROJECTION)
        .maxTimeMS(this.options.maxTimeMs)
        .lean<StoredActivity | null>()
        .exec(),
    );
    return doc ? toRecord(doc) : null;
  }
}
