import { ACTIVITIES_COLLECTION } from '@uap/shared';
import mongoose from 'mongoose';

/**
 * Every stored document's eventId, one entry per document, so the tally can count duplicates itself
 * instead of trusting the unique index. A projection scan: FerretDB v1 lacks parts of the aggregation
 * pipeline, and a scan is as exact as it gets.
 */
export async function scanStoredEventIds(mongoUrl: string, dbName: string): Promise<string[]> {
  const connection = await mongoose
    .createConnection(mongoUrl, { dbName, serverSelectionTimeoutMS: 10_000 })
    .asPromise();
  try {
    const ids: string[] = [];
    const cursor = connection
      .collection(ACTIVITIES_COLLECTION)
      .find({}, { projection: { _id: 0, eventId: 1 } })
      .batchSize(10_000);
    for await (const doc of cursor) ids.push(String(doc['eventId']));
    return ids;
  } finally {
    await connection.close();
  }
}

export async function countStored(mongoUrl: string, dbName: string): Promise<number> {
  const connection = await mongoose.createConnection(mongoUrl, { dbName, serverSelectionTimeoutMS: 5_000 }).asPromise();
  try {
    return await connection.collection(ACTIVITIES_COLLECTION).countDocuments({});
  } finally {
    await connection.close();
  }
}
