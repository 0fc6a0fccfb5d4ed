import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import mongoose, { type Connection } from 'mongoose';

export function requiredEnv(name: 'KAFKA_BROKERS' | 'MONGO_URL'): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; integration tests must run through jest's integration project`);
  return value;
}

/** Names unique to one suite run, so suites never see each other's topics, groups or databases. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export function testKafka(clientId = uniqueName('test')): Kafka {
  return new Kafka({
    clientId,
    brokers: requiredEnv('KAFKA_BROKERS').split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    retry: { retries: 3, initialRetryTime: 200 },
  });
}

export async function createTopic(admin: Admin, topic: string, numPartitions = 3): Promise<void> {
  const created = await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
  if (!created) throw new Error(`topic ${topic} already existed`);
}

/** A connection to a database of the suite's own; FerretDB wants names without `-`. */
export async function testDatabase(prefix: string): Promise<Connection> {
  const dbName = uniqueName(prefix).replace(/-/g, '_');
  return mongoose.createConnection(requiredEnv('MONGO_URL'), { dbName, serverSelectionTimeoutMS: 5_000 }).asPromise();
}

export async function dropDatabase(connection: Connection): Promise<void> {
  await connection.dropDatabase();
  await connection.close();
}

/** What answers on MONGO_URL, as global-setup found it: `FerretDB v1.24.2`, `MongoDB 7.0.14`. */
export function integrationStore(): string {
  const store = process.env['INTEGRATION_STORE'];
  if (!store)
    throw new Error("INTEGRATION_STORE is not set; integration tests must run through jest's integration project");
  return store;
}

export const storeIsFerretDb = (): boolean => integrationStore().startsWith('FerretDB ');

/** FerretDB's PostgreSQL database; on FerretDB its absence is a setup error, never a reason to skip. */
export function requiredFerretDbPostgresUrl(): string {
  const url = process.env['FERRETDB_POSTGRES_URL'];
  if (!url) {
    throw new Error(
      `the store is ${integrationStore()}, but FERRETDB_POSTGRES_URL is not set, so the api's SQL reader cannot be tested. ` +
        "Set FERRETDB_POSTGRES_URL=postgres://<user>@<host>:<port>/<FerretDB's database> next to MONGO_URL, or let the " +
        'integration setup start the local services (`npm run services:up` prints it when FerretDB runs on PostgreSQL)',
    );
  }
  return url;
}

/**
 * The store settings a service process gets, as `npm run stack` gives them: on FerretDB/PostgreSQL the api's SQL
 * reader and both services' stats rollups (a worker without the URL keeps none, and the api's stats say inexact).
 */
export function storeEnv(): Record<string, string> {
  const url = process.env['FERRETDB_POSTGRES_URL'];
  return { MONGO_URL: requiredEnv('MONGO_URL'), ...(url ? { FERRETDB_POSTGRES_URL: url } : {}) };
}
