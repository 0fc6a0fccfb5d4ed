import { detectStoreServer, storeLabel } from '@uap/shared/runtime';
import { Client } from 'pg';

/** The slice of a driver Db used here (mongoose bundles its own driver version, so no class type). */
interface CommandDb {
  databaseName: string;
  command(command: Record<string, unknown>): Promise<Record<string, unknown>>;
  admin(): { command(command: Record<string, unknown>): Promise<Record<string, unknown>> };
}

export const REFUSED_KEY = 'refuseMe';

/**
 * Makes the real store refuse, for good, any activity whose metadata has `refuseMe`: a document the
 * contract accepts but the store cannot hold, like the NUL character PostgreSQL refused before the
 * contract caught it. MongoDB gets a collection validator (a per-document write error, code 121).
 * FerretDB has no validators, so its PostgreSQL table gets a CHECK constraint, and FerretDB then
 * fails the whole insert with InternalError, the way it failed on NUL.
 */
export async function makeStoreRefuseMarkedDocuments(
  db: CommandDb,
  collection: string,
  postgresUrl = process.env['FERRETDB_POSTGRES_URL'],
): Promise<string> {
  const server = await detectStoreServer(db);
  if (server.kind === 'MongoDB') {
    await db.command({
      collMod: collection,
      validator: { [`metadata.${REFUSED_KEY}`]: { $exists: false } },
      validationAction: 'error',
    });
    return `${storeLabel(server)} (collection validator)`;
  }
  if (!postgresUrl) {
    throw new Error(
      `the store is ${storeLabel(server)}: set FERRETDB_POSTGRES_URL to its PostgreSQL database ` +
        '(`npm run services:up` prints it) so this test can make PostgreSQL refuse a document',
    );
  }
  const pg = new Client({ connectionString: postgresUrl });
  await pg.connect();
  try {
    const schema = db.databaseName;
    const { rows } = await pg.query<{ table: string }>(
      `SELECT _jsonb->>'table' AS table FROM ${quote(schema)}._ferretdb_database_metadata WHERE _jsonb->>'_id' = $1`,
      [collection],
    );
    const table = rows[0]?.table;
    if (!table) throw new Error(`FerretDB has no table for ${schema}.${collection} yet`);
    await pg.query(
      `ALTER TABLE ${quote(schema)}.${quote(table)} ADD CONSTRAINT uap_test_refuse ` +
        `CHECK (NOT (_jsonb->'metadata' ? '${REFUSED_KEY}'))`,
    );
    return `${storeLabel(server)} (PostgreSQL CHECK constraint on ${schema}.${table})`;
  } finally {
    await pg.end();
  }
}

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;
