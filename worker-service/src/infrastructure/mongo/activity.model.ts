import {
  ACTIVITIES_COLLECTION,
  ACTIVITY_INDEXES,
  ACTIVITY_TYPE_NAME_PATTERN,
  FLAG_KINDS,
  SOURCE_ID_PATTERN,
  type ActivityType,
  type FlagKind,
  type SchemaViolation,
  type SegmentFields,
} from '@uap/shared/contract';
import { Schema, type Connection, type Model } from 'mongoose';

/** The stored shape: the event with real Dates, plus when the worker wrote it (for end-to-end latency). */
export interface ActivityDocument {
  eventId: string;
  schemaVersion: number;
  /** At least one of userId and anonymousId (the event's actor); only those the event has. */
  userId?: string;
  anonymousId?: string;
  type: ActivityType;
  occurredAt: Date;
  receivedAt: Date;
  persistedAt: Date;
  /** Topic position of the copy that was stored (receipts compare it with their own). */
  sourcePartition: number;
  sourceOffset: number;
  sessionId?: string;
  metadata: Record<string, unknown>;
  context: { ip?: string; userAgent?: string };
  /** The registry version the event was validated against, when it says so (ActivityEvent). */
  typeVersion?: number;
  /** Stored only as `false`: an unplanned type the policy let in. */
  planned?: false;
  violations?: SchemaViolation[];
  /** Only on an unplanned or flagged event (flagOf): what the violations listing and its partial indexes select. */
  flagged?: FlagKind;
  /** The Segment envelope as sent, on events that came through `/v1` (SegmentFields). */
  segment?: SegmentFields;
  /** Only on a link (identityLinkOf: an IDENTIFY or ALIAS with both ids): the anonymous id it links. */
  identityLink?: string;
  /** The source of the key that sent it, only when it had one (ActivityEvent.sourceId). */
  sourceId?: string;
}

export const ActivitySchema = new Schema<ActivityDocument>(
  {
    eventId: { type: String, required: true },
    schemaVersion: { type: Number, required: true },
    userId: { type: String },
    anonymousId: { type: String },
    // Any well-formed name: the vocabulary is the registry's, defined at runtime.
    type: { type: String, required: true, match: ACTIVITY_TYPE_NAME_PATTERN },
    occurredAt: { type: Date, required: true },
    receivedAt: { type: Date, required: true },
    persistedAt: { type: Date, required: true },
    sourcePartition: { type: Number, required: true },
    sourceOffset: { type: Number, required: true },
    sessionId: { type: String },
    metadata: { type: Schema.Types.Mixed, required: true },
    context: { ip: String, userAgent: String },
    typeVersion: { type: Number },
    planned: { type: Boolean },
    violations: {
      type: [new Schema<SchemaViolation>({ pointer: String, message: String }, { _id: false })],
      default: undefined,
    },
    flagged: { type: String, enum: [...FLAG_KINDS] },
    // Kept as sent: SegmentFieldsSchema validated it on the way in, and its context, integrations and extras
    // are any storable objects, which a fixed sub-schema would reject or reorder.
    segment: { type: Schema.Types.Mixed },
    identityLink: { type: String },
    sourceId: { type: String, match: SOURCE_ID_PATTERN },
  },
  {
    collection: ACTIVITIES_COLLECTION,
    strict: 'throw',
    versionKey: false,
    // Empty metadata is still stored as {}, so readers always find the field.
    minimize: false,
    // Created explicitly at start-up (ensureCollection), not lazily in the background.
    autoIndex: false,
    autoCreate: false,
  },
);

// Declared once in @uap/shared, where the query API's read shapes are checked against them.
for (const index of ACTIVITY_INDEXES) {
  ActivitySchema.index(index.key, { name: index.name, ...(index.unique ? { unique: true } : {}) });
}

export function activityModel(connection: Connection): Model<ActivityDocument> {
  return (
    (connection.models['Activity'] as Model<ActivityDocument> | undefined) ??
    connection.model<ActivityDocument>('Activity', ActivitySchema)
  );
}
