import { ACTIVITIES_COLLECTION, ACTIVITY_INDEXES, type ActivityEvent } from '@uap/shared/contract';
import type { Collection, Db } from 'mongodb';
import { Client as PgClient } from 'pg';
import { toActivityDocument } from '../../worker-service/src/infrastructure/mongo/mongo-activity.repository';
import type { BenchStack } from './bench-stack';

/** The activity indexes, as the worker declares them, on a database the bench seeds itself. */
export async function createIndexes(db: Db): Promise<void> {
  for (const index of ACTIVITY_INDEXES) {
    await db
      .collection(ACTIVITIES_COLLECTION)
      .createIndex(index.key, { name: index.name, ...(index.unique ? { unique: true } : {}) });
  }
}

/** Unordered insertMany of the worker's document shape, `writers` chunks of 1,000 in flight. */
export async function seedDocuments(
  collection: Collection,
  events: readonly ActivityEvent[],
  firstOffset: number,
  writers = 6,
): Promise<void> {
  const docs = events.map((event, i) =>
    toActivityDocument({ event, partition: 0, offset: String(firstOffset + i) }, new Date()),
  );
  let next = 0;
  const writer = async () => {
    for (let i = next; i < docs.length; i = next) {
      next += 1_000;
      await collection.insertMany(docs.slice(i, i + 1_000), { ordered: false });
    }
  };
  await Promise.all(Array.from({ length: writers }, writer));
}

/** VACUUM (ANALYZE) of FerretDB's PostgreSQL table of the activities, logged; nothing without FERRETDB_POSTGRES_URL. */
export async function vacuumIfSql(stack: BenchStack, db: string): Promise<void> {
  const url = stack.services.ferretdbPostgresUrl;
  if (!url) return;
  const pg = new PgClient({ connectionString: url });
  await pg.connect();
  try {
    const { rows } = await pg.query<{ table: string }>(
      `SELECT _jsonb ->> 'table' AS table FROM "${db}"._ferretdb_database_metadata WHERE _jsonb ->> '_id' = $1`,
      [ACTIVITIES_COLLECTION],
    );
    if (!rows[0]) return;
    const table = `"${db}"."${rows[0].table}"`;
    const visible = async () =>
      (
        await pg.query<{ v: string }>(
          `SELECT relallvisible || '/' || relpages AS v FROM pg_class WHERE oid = $1::regclass`,
          [table],
        )
      ).rows[0]!.v;
    const before = await visible();
    const started = performance.now();
    await pg.query(`VACUUM (ANALYZE) ${table}`);
    console.error(
      `[bench] reads: VACUUM (ANALYZE) in ${((performance.now() - started) / 1000).toFixed(1)} s; all-visible pages (pg_class, as of the last (auto)vacuum) ${before} → ${await visible()}`,
    );
  } finally {
    await pg.end();
  }
}
