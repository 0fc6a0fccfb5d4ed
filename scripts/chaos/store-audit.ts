import { ACTIVITIES_COLLECTION } from '@uap/shared/contract';
import { FerretDbTables, fieldExpression, jsonbString } from '@uap/shared/runtime';
import { MongoClient, type Db } from 'mongodb';
import mongoose from 'mongoose';
import { Pool } from 'pg';

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

/** Ids per lookup: through FerretDB's wire each `$in` reads the whole collection, so few and large. */
const LOOKUP_CHUNK = 5_000;

/**
 * Counts in a store too large to list (a million seeded events): only the ids asked about, plus the total.
 * On FerretDB with its PostgreSQL database, SQL over the btree FerretDB keeps for the unique eventId index
 * (`= ANY`, about a millisecond per id); otherwise `$in` through the Mongo wire, exact but a scan per chunk on FerretDB.
 */
export class StoreAudit {
  private constructor(
    private readonly mongo: MongoClient,
    private readonly dbName: string,
    private readonly sql: { pool: Pool; tables: FerretDbTables } | undefined,
  ) {}

  static async open(mongoUrl: string, dbName: string, postgresUrl?: string): Promise<StoreAudit> {
    const mongo = await MongoClient.connect(mongoUrl, { serverSelectionTimeoutMS: 10_000 });
    if (postgresUrl === undefined) return new StoreAudit(mongo, dbName, undefined);
    const pool = new Pool({ connectionString: postgresUrl, max: 2, application_name: 'chaos-audit' });
    pool.on('error', () => undefined);
    return new StoreAudit(mongo, dbName, { pool, tables: new FerretDbTables(pool) });
  }

  get method(): string {
    return this.sql ? "SQL on FerretDB's PostgreSQL table (eventId = ANY)" : 'Mongo wire ($in)';
  }

  get db(): Db {
    return this.mongo.db(this.dbName);
  }

  /** The eventIds of `ids` that are stored, one entry per stored document (so repeats are duplicates). */
  async storedEventIds(ids: Iterable<string>): Promise<string[]> {
    const all = [...ids];
    const found: string[] = [];
    for (let start = 0; start < all.length; start += LOOKUP_CHUNK) {
      const chunk = all.slice(start, start + LOOKUP_CHUNK);
      if (this.sql) {
        const rows = await this.sql.tables.query<{ id: string }>(this.dbName, ACTIVITIES_COLLECTION, (table) => ({
          text: `SELECT _jsonb ->> 'eventId' AS id FROM ${table} WHERE ${fieldExpression('eventId')} = ANY($1::jsonb[])`,
          values: [chunk.map(jsonbString)],
        }));
        for (const row of rows) found.push(row.id);
      } else {
        const cursor = this.db
          .collection(ACTIVITIES_COLLECTION)
          .find({ eventId: { $in: chunk } }, { projection: { _id: 0, eventId: 1 } });
        for await (const doc of cursor) found.push(String(doc['eventId']));
      }
    }
    return found;
  }

  /** Every document in the collection. */
  async total(): Promise<number> {
    if (!this.sql) return this.db.collection(ACTIVITIES_COLLECTION).countDocuments({});
    const [row] = await this.sql.tables.query<{ n: number }>(this.dbName, ACTIVITIES_COLLECTION, (table) => ({
      text: `SELECT count(*)::int AS n FROM ${table}`,
      values: [],
    }));
    return row?.n ?? 0;
  }

  /**
   * What autovacuum does after a bulk insert, done now so the run does not depend on its timing: planner
   * statistics and the visibility map. Nothing to do without SQL. Returns the ms it took, if it ran.
   */
  async vacuum(): Promise<number | undefined> {
    if (!this.sql) return undefined;
    const table = await this.sql.tables.tableOf(this.dbName, ACTIVITIES_COLLECTION);
    if (table === undefined) return undefined;
    const began = Date.now();
    await this.sql.pool.query(`VACUUM (ANALYZE) ${table}`);
    return Date.now() - began;
  }

  async close(): Promise<void> {
    await Promise.all([this.mongo.close(), this.sql?.pool.end()]);
  }
}
