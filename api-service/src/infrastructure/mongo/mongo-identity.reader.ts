import { IDENTITY_LINK_FIELD, SEGMENT_CALL_TYPES } from '@uap/shared/contract';
import type { Connection, Model } from 'mongoose';
import type { IdentifyRecord, IdentityReader } from '../../application/ports/identity-reader.port';
import { activityReadModel, type MongoFindPlan } from './mongo-activity.reader';
import { guardStoreRead } from './guard-store-read';

/** The user's links (userId_identityLink): `$exists` states the partial index's own filter, so it qualifies. */
export function userLinksFilter(userId: string): Record<string, unknown> {
  return { userId, [IDENTITY_LINK_FIELD]: { $exists: true } };
}

/** The earliest link of an anonymous id, by (occurredAt, eventId): identityLink_occurredAt_eventId, one entry. */
export function firstLinkPlan(anonymousId: string): MongoFindPlan {
  return { filter: { [IDENTITY_LINK_FIELD]: anonymousId }, sort: { occurredAt: 1, eventId: 1 }, skip: 0, limit: 1 };
}

/** The user's latest IDENTIFY events: the partial index on IDENTIFY events alone, by user, newest first. */
export function latestIdentifiesPlan(userId: string, limit: number): MongoFindPlan {
  return {
    filter: { userId, type: SEGMENT_CALL_TYPES.identify },
    sort: { occurredAt: -1, eventId: -1 },
    skip: 0,
    limit,
  };
}

/**
 * Identity links and IDENTIFY traits through the Mongo wire, each query a walk of one of the partial identity indexes
 * the worker declares on MongoDB (activity-indexes.ts; activity-index-coverage.test.ts proves the shapes). On FerretDB
 * without FERRETDB_POSTGRES_URL the same queries are answered without an index, slower as the store grows.
 */
export class MongoIdentityReader implements IdentityReader {
  private readonly model: Model<unknown>;

  constructor(
    connection: Connection,
    private readonly options: { maxTimeMs: number } = { maxTimeMs: 5_000 },
  ) {
    this.model = activityReadModel(connection);
  }

  async linkedAnonymousIds(userId: string): Promise<string[]> {
    // $group, not distinct: FerretDB refuses distinct with maxTimeMS. MongoDB reads the group keys off the index.
    const links = await guardStoreRead(() =>
      this.model
        .aggregate<{ _id: unknown }>([
          { $match: userLinksFilter(userId) },
          { $group: { _id: `$${IDENTITY_LINK_FIELD}` } },
        ])
        .option({ maxTimeMS: this.options.maxTimeMs })
        .exec(),
    );
    // One indexed lookup per id the user linked: a user links one id per browser or device, so there are few.
    const mine = await Promise.all(
      links
        .map((link) => link._id)
        .filter((link): link is string => typeof link === 'string')
        .map(async (anonymousId) => {
          const plan = firstLinkPlan(anonymousId);
          const first = await guardStoreRead(() =>
            this.model
              .findOne(plan.filter, { _id: 0, userId: 1 })
              .sort(plan.sort)
              .maxTimeMS(this.options.maxTimeMs)
              .lean<{ userId?: unknown } | null>()
              .exec(),
          );
          return first?.userId === userId ? [anonymousId] : [];
        }),
    );
    return mine.flat().sort();
  }

  async latestIdentifies(userId: string, limit: number): Promise<IdentifyRecord[]> {
    const plan = latestIdentifiesPlan(userId, limit);
    const docs = await guardStoreRead(() =>
      this.model
        .find(plan.filter, { _id: 0, eventId: 1, occurredAt: 1, metadata: 1 })
        .sort(plan.sort)
        .limit(plan.limit)
        .maxTimeMS(this.options.maxTimeMs)
        .lean<Array<{ eventId: unknown; occurredAt: Date; metadata?: Record<string, unknown> }>>()
        .exec(),
    );
    return docs.map((doc) => ({
      eventId: String(doc.eventId),
      occurredAt: new Date(doc.occurredAt),
      traits: doc.metadata ?? {},
    }));
  }
}
