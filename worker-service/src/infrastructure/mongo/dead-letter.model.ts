import {
  DEAD_LETTER_INDEXES,
  DEAD_LETTER_STATUSES,
  DEAD_LETTERS_COLLECTION,
  type DeadLetterRecord,
} from '@uap/shared/contract';
import { Schema, type Connection, type Model } from 'mongoose';

const DeadLetterSchema = new Schema<DeadLetterRecord>(
  {
    letterId: { type: String, required: true },
    reason: { type: String, required: true },
    error: { type: String },
    dlqTopic: { type: String, required: true },
    dlqPartition: { type: Number, required: true },
    dlqOffset: { type: Number, required: true },
    sourceTopic: String,
    sourcePartition: Number,
    sourceOffset: Number,
    failedAt: { type: Date, required: true },
    eventId: String,
    userId: String,
    anonymousId: String,
    type: { type: String },
    sourceId: String,
    status: { type: String, required: true, enum: DEAD_LETTER_STATUSES },
    replayCount: { type: Number, required: true },
    key: { type: String },
    headers: [{ _id: false, name: String, value: String }],
    payload: String,
    payloadEncoding: String,
    payloadBytes: Number,
    indexedAt: { type: Date, required: true },
    replayedAt: Date,
    replayJob: String,
  },
  { collection: DEAD_LETTERS_COLLECTION, strict: 'throw', versionKey: false, autoIndex: false, autoCreate: false },
);

// Declared once in @uap/shared, next to the activity indexes.
for (const index of DEAD_LETTER_INDEXES) {
  DeadLetterSchema.index(index.key, { name: index.name, ...(index.unique ? { unique: true } : {}) });
}

export function deadLetterModel(connection: Connection): Model<DeadLetterRecord> {
  return (
    (connection.models['DeadLetter'] as Model<DeadLetterRecord> | undefined) ??
    connection.model<DeadLetterRecord>('DeadLetter', DeadLetterSchema)
  );
}
