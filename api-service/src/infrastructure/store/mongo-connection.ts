import mongoose, { type Connection } from 'mongoose';
import { DomainError } from '../../domain/domain-error';

export interface MongoConnectionConfig {
  url: string;
  dbName: string;
  serverSelectionTimeoutMs?: number;
}

/** Opens the store connection; fails fast at start-up, after which the driver reconnects on its own. */
export async function connectMongo(config: MongoConnectionConfig): Promise<Connection> {
  const connection = mongoose.createConnection(config.url, {
    dbName: config.dbName,
    serverSelectionTimeoutMS: config.serverSelectionTimeoutMs ?? 5_000,
    // Queries fail fast while the store is away instead of queueing behind a reconnect.
    bufferCommands: false,
  });
  return connection.asPromise();
}

/** Readiness: the store answers a ping within the bound. */
export async function pingMongo(connection: Connection, timeoutMs: number): Promise<boolean> {
  const db = connection.db;
  if (db === undefined || connection.readyState !== mongoose.ConnectionStates.connected) return false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const ping = db
    .admin()
    .ping()
    .then(() => true)
    .catch(() => false);
  return Promise.race([ping, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs one store call; any failure is infrastructure trouble (the input was validated before), so it
 * surfaces as a retriable SERVICE_UNAVAILABLE DomainError: a 503 for the client.
 */
export async function storeCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw new DomainError('SERVICE_UNAVAILABLE', `the store did not answer (${what})`, { retriable: true, cause: err });
  }
}
