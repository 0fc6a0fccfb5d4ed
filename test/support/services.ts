import { Kafka, logLevel } from 'kafkajs';
// A relative path, not @uap/shared: jest's global setup runs before anything is built or mapped.
import { detectStoreServer, storeLabel } from '../../shared/src/runtime/store/ferretdb-tables';
import mongoose from 'mongoose';
import { Client } from 'pg';

export interface ServiceEndpoints {
  kafkaBrokers: string;
  mongoUrl: string;
  /** FerretDB's own PostgreSQL database, when the store is FerretDB on PostgreSQL (the api's SQL reader). */
  ferretdbPostgresUrl?: string;
  /** What answers on mongoUrl, from buildInfo: `FerretDB v1.24.2`, `MongoDB 7.0.14`. */
  store?: string;
  /** Where they came from: `env`, `testcontainers` or `local`. */
  source: string;
}

const PROBE_TIMEOUT_MS = 10_000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Proves both services answer, within a bound, so a stopped broker fails fast instead of hanging a suite. */
export async function probeServices(
  endpoints: Pick<ServiceEndpoints, 'kafkaBrokers' | 'mongoUrl' | 'ferretdbPostgresUrl'>,
): Promise<{ store: string }> {
  const kafka = new Kafka({
    clientId: 'probe',
    brokers: endpoints.kafkaBrokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    retry: { retries: 2, initialRetryTime: 300 },
  });
  const admin = kafka.admin();
  try {
    await withTimeout(
      admin.connect().then(() => admin.listTopics()),
      PROBE_TIMEOUT_MS,
      `Kafka at ${endpoints.kafkaBrokers}`,
    );
  } catch (err) {
    throw new Error(`Kafka at ${endpoints.kafkaBrokers} is not reachable: ${(err as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }

  const connection = mongoose.createConnection(endpoints.mongoUrl, { serverSelectionTimeoutMS: 5_000 });
  let store: string;
  try {
    const server = await withTimeout(
      connection.asPromise().then((c) => detectStoreServer(c.db!)),
      PROBE_TIMEOUT_MS,
      `MongoDB at ${endpoints.mongoUrl}`,
    );
    store = storeLabel(server);
  } catch (err) {
    throw new Error(`MongoDB-compatible store at ${endpoints.mongoUrl} is not reachable: ${(err as Error).message}`);
  } finally {
    await connection.close().catch(() => undefined);
  }

  if (endpoints.ferretdbPostgresUrl) {
    const pg = new Client({ connectionString: endpoints.ferretdbPostgresUrl, connectionTimeoutMillis: 5_000 });
    try {
      await withTimeout(
        pg.connect().then(() => pg.query('SELECT 1')),
        PROBE_TIMEOUT_MS,
        `PostgreSQL at ${endpoints.ferretdbPostgresUrl}`,
      );
    } catch (err) {
      throw new Error(
        `FerretDB's PostgreSQL at ${endpoints.ferretdbPostgresUrl} is not reachable: ${(err as Error).message}`,
      );
    } finally {
      await pg.end().catch(() => undefined);
    }
  }
  return { store };
}

export const HOW_TO_PROVIDE_SERVICES = `Integration tests need a Kafka broker and a MongoDB-compatible store. Provide them in one of three ways:
  1. set KAFKA_BROKERS (host:port[,host:port]) and MONGO_URL (mongodb://…) to running services, and, when that
     store is FerretDB on PostgreSQL, FERRETDB_POSTGRES_URL (postgres://…/ferretdb) for the api's SQL reader;
  2. run a Docker engine, so Testcontainers can start apache/kafka (KRaft) and mongo:7;
  3. install a JDK 17+, Maven and Go, so that \`npm run services:up\` can start a local Kafka broker and FerretDB.`;
