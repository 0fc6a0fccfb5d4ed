import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  erasureHash,
  FLAGGED_ACTIVITY_INDEXES,
  IDENTITY_ACTIVITY_INDEXES,
  SOURCE_ACTIVITY_INDEXES,
} from '@uap/shared/contract';
import {
  assertSupportedFerretDb,
  detectStoreServer,
  redactedUrl,
  storeLabel,
  type Lifecycle,
  type Logger,
  type StoreServer,
} from '@uap/shared/runtime';
import mongoose from 'mongoose';
import { RetentionSweeper } from '../../application/retention-sweeper';
import type { WorkerConfig } from '../config/worker.config';
import { activityModel } from '../mongo/activity.model';
import { deadLetterModel } from '../mongo/dead-letter.model';
import { ensureCollection, ensureIndexes } from '../mongo/ensure-collection';
import { MongoActivityRollups } from '../mongo/mongo-activity.rollups';
import { MongoErasureLookup } from '../mongo/mongo-erasure.lookup';
import { MongoLease, MongoRetentionStore, ensureRetentionTtl } from '../mongo/mongo-retention';
import { describeStoreTopology, writeConcernFor } from '../mongo/store-topology';
import { FerretDbSqlStore } from '../postgres/ferretdb-sql.store';
import { PostgresActivityRollups } from '../postgres/postgres-activity.rollups';

// Which store adapters the worker uses, decided once at start-up from the server it finds: MongoDB, or FerretDB
// with or without FERRETDB_POSTGRES_URL. Each choice is logged, and each degraded one says what it costs.

export interface WorkerStore {
  connection: mongoose.Connection;
  model: ReturnType<typeof activityModel>;
  letters: ReturnType<typeof deadLetterModel>;
  server: StoreServer;
  writeConcern: ReturnType<typeof writeConcernFor>;
  /** FerretDB's PostgreSQL (FERRETDB_POSTGRES_URL), for what runs per chunk; absent on MongoDB. */
  sql?: FerretDbSqlStore;
  erasures: { lookup: FerretDbSqlStore | MongoErasureLookup; hash: (actorKey: string) => string };
}

/** The store: connection, collections and their indexes, what server it is, the write concern it needs. */
export async function connectStore(config: WorkerConfig, logger: Logger, lifecycle: Lifecycle): Promise<WorkerStore> {
  // Commands fail (and are retried by the consumer) instead of queueing in memory while the store is away.
  const connection = await mongoose
    .createConnection(config.MONGO_URL, {
      dbName: config.MONGO_DB,
      serverSelectionTimeoutMS: config.MONGO_SERVER_SELECTION_TIMEOUT_MS,
      bufferCommands: false,
      autoIndex: false,
    })
    .asPromise();
  lifecycle.onStop('mongo', () => connection.close());
  const model = activityModel(connection);
  const letters = deadLetterModel(connection);
  await ensureCollection(model);
  await ensureCollection(letters);
  logger.info({ db: config.MONGO_DB, collections: ['activities', 'dead_letters'] }, 'store connected, indexes ensured');
  const topology = await describeStoreTopology(connection);
  const writeConcern = writeConcernFor(topology);
  if (writeConcern) {
    logger.info(
      { store: topology, writeConcern },
      'writes: w:"majority": an offset is committed only once a majority of the replica set has the documents, ' +
        "so a stored event survives a primary's failover",
    );
  } else {
    logger.info(
      { store: topology, writeConcern: 'server default' },
      'writes: the server default write concern (a standalone store: no replicas to wait for)',
    );
  }
  const server = await detectStoreServer(connection.db!);
  await ensurePartialIndexes(config, server, model, logger);
  const sql = openSqlStore(config, server, logger);
  if (sql) lifecycle.onStop('store-sql', () => sql.close());
  const erasures = {
    lookup: sql ?? new MongoErasureLookup(connection),
    hash: (actorKey: string) => erasureHash(config.ERASURE_HASH_KEY, actorKey),
  };
  return { connection, model, letters, server, writeConcern, ...(sql ? { sql } : {}), erasures };
}

/**
 * The partial indexes, on MongoDB: the violations listing's (FLAGGED_ACTIVITY_INDEXES), the identities'
 * (IDENTITY_ACTIVITY_INDEXES) and the source filter's (SOURCE_ACTIVITY_INDEXES). FerretDB v1 refuses
 * partialFilterExpression and uses no index through its wire anyway; full indexes in their place would cost every
 * insert and serve nothing. There the api serves those reads from
 * partial PostgreSQL indexes of its own when it has FERRETDB_POSTGRES_URL, and by scanning the collection when it
 * has not: said here, not skipped silently.
 */
async function ensurePartialIndexes(
  config: WorkerConfig,
  server: StoreServer,
  model: ReturnType<typeof activityModel>,
  logger: Logger,
): Promise<void> {
  const flagged = FLAGGED_ACTIVITY_INDEXES.map((index) => index.name);
  const identities = IDENTITY_ACTIVITY_INDEXES.map((index) => index.name);
  const sources = SOURCE_ACTIVITY_INDEXES.map((index) => index.name);
  if (server.kind === 'MongoDB') {
    await ensureIndexes(model, FLAGGED_ACTIVITY_INDEXES);
    logger.info(
      { indexes: flagged },
      'violations listing: partial indexes over the unplanned and flagged events ensured',
    );
    await ensureIndexes(model, IDENTITY_ACTIVITY_INDEXES);
    logger.info(
      { indexes: identities },
      'identities: partial indexes over the events with an anonymous id, the links and the IDENTIFY events ensured',
    );
    await ensureIndexes(model, SOURCE_ACTIVITY_INDEXES);
    logger.info({ indexes: sources }, 'sources: partial index over the events sent with a source ensured');
    return;
  }
  const refused =
    'partial indexes not created (FerretDB refuses partialFilterExpression, and uses no index through its wire)';
  const reads =
    'GET /api/v1/activity-types/violations, the anonymous history in GET /api/v1/users/{userId}/activities, ' +
    'GET /api/v1/users/{userId}, ?anonymousId=, ?sourceId= and the erasure of linked anonymous ids';
  if (config.FERRETDB_POSTGRES_URL === undefined) {
    logger.warn(
      { store: storeLabel(server), indexes: [...flagged, ...identities, ...sources] },
      `${refused}: without FERRETDB_POSTGRES_URL the api reads through the wire, and each of ${reads} ` +
        'scans the whole activities collection. Set FERRETDB_POSTGRES_URL',
    );
  } else {
    logger.info(
      { store: storeLabel(server), indexes: [...flagged, ...identities, ...sources] },
      `${refused}: the api's SQL reader serves ${reads} from partial PostgreSQL indexes of its own`,
    );
  }
}

/**
 * FerretDB's PostgreSQL, for the store calls that run per chunk and for retention: through FerretDB's wire each
 * is a scan of the whole collection (issue 24). On FerretDB without FERRETDB_POSTGRES_URL, says what will be slow.
 */
function openSqlStore(config: WorkerConfig, server: StoreServer, logger: Logger): FerretDbSqlStore | undefined {
  const url = config.FERRETDB_POSTGRES_URL;
  const store = storeLabel(server);
  if (server.kind === 'MongoDB') {
    if (url !== undefined) logger.info({ store }, 'FERRETDB_POSTGRES_URL ignored: the store is MongoDB');
    return undefined;
  }
  if (url === undefined) {
    logger.warn(
      { store },
      "FERRETDB_POSTGRES_URL is not set: FerretDB answers the worker's lookups by scanning the whole activities " +
        'collection, so every resent or redelivered chunk (its duplicate check), every erasure check and every ' +
        'retention chunk slows down as the store grows (minutes per chunk at a million events). ' +
        "Set FERRETDB_POSTGRES_URL to FerretDB's PostgreSQL database",
    );
    return undefined;
  }
  assertSupportedFerretDb(server.version);
  logger.info(
    { store, postgres: redactedUrl(url) },
    "per-chunk lookups and retention: SQL on FerretDB's PostgreSQL tables, over FerretDB's indexes",
  );
  return FerretDbSqlStore.connect(url, config.MONGO_DB);
}

/**
 * The stats rollups: documents on MongoDB, PostgreSQL tables on FerretDB (whose conditional updates are
 * not atomic), none on FerretDB without FERRETDB_POSTGRES_URL (the api then counts from the events).
 */
export async function startRollups(
  config: WorkerConfig,
  { server, model, connection }: WorkerStore,
  logger: Logger,
): Promise<MongoActivityRollups | PostgresActivityRollups | undefined> {
  const hasStoredEvents = async () => (await model.findOne({}, { _id: 1 }).lean()) !== null;
  let rollups: MongoActivityRollups | PostgresActivityRollups;
  if (server.kind === 'MongoDB') {
    rollups = new MongoActivityRollups(() => connection.db!);
  } else if (config.FERRETDB_POSTGRES_URL !== undefined) {
    rollups = PostgresActivityRollups.connect(config.FERRETDB_POSTGRES_URL, config.MONGO_DB);
  } else {
    logger.warn(
      'stats rollups are off: the store is FerretDB and FERRETDB_POSTGRES_URL is not set (FerretDB cannot update ' +
        'them atomically). /api/v1/activities/stats counts from the events, up to a bound. Set FERRETDB_POSTGRES_URL',
    );
    return undefined;
  }
  const coverage = await rollups.prepare(hasStoredEvents);
  logger.info(
    { rollups: rollups instanceof MongoActivityRollups ? 'mongo documents' : 'postgresql tables', coverage },
    'stats rollups ready',
  );
  if (!coverage.complete) {
    logger.warn(
      { since: coverage.since },
      'stats rollups do not count events stored before they existed: /api/v1/activities/stats answers exact: false ' +
        'until `npm run stats:rebuild` has run with the workers stopped (see docs/operations.md, Stats rollups)',
    );
  }
  const insights = rollups instanceof PostgresActivityRollups ? await rollups.insightsCoverage() : undefined;
  if (insights && !insights.complete) {
    logger.warn(
      { since: insights.since },
      'active-user rollups do not count events stored before they existed (an upgrade): ' +
        '/api/v1/insights/active-users answers exact: false until `npm run stats:rebuild` has run with the workers stopped',
    );
  }
  return rollups;
}

/**
 * Retention by the store's own means: a TTL index on MongoDB, a lease-holding sweeper on FerretDB (which has
 * no TTL indexes), deleting through SQL when it can. Logged either way, so an operator knows which is in force.
 */
export async function startRetention(
  config: WorkerConfig,
  { server, model, connection, sql: sqlStore }: WorkerStore,
  logger: Logger,
  onDeleted: (count: number) => void,
): Promise<RetentionSweeper | undefined> {
  if (config.RETENTION_DAYS === 0) {
    logger.info('retention: activities are kept forever (RETENTION_DAYS=0)');
    return undefined;
  }
  if (server.kind === 'MongoDB') {
    await ensureRetentionTtl(model, config.RETENTION_DAYS);
    logger.info({ retentionDays: config.RETENTION_DAYS }, 'retention: MongoDB TTL index on occurredAt');
    return undefined;
  }
  const sweeper = new RetentionSweeper(
    {
      retentionDays: config.RETENTION_DAYS,
      intervalMs: config.RETENTION_SWEEP_INTERVAL_MS,
      chunkSize: config.RETENTION_SWEEP_CHUNK,
      passBudgetMs: 10_000,
      owner: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
    },
    {
      store: sqlStore ?? new MongoRetentionStore(model),
      lease: new MongoLease(connection, 'retention-sweeper'),
      logger,
      onDeleted,
    },
  );
  sweeper.start();
  logger.info(
    {
      retentionDays: config.RETENTION_DAYS,
      intervalMs: config.RETENTION_SWEEP_INTERVAL_MS,
      store: 'FerretDB (no TTL)',
      deletes: sqlStore ? 'SQL over the occurredAt index' : 'through the Mongo wire (scans the collection)',
    },
    'retention: sweeper, one worker at a time (lease in the store)',
  );
  return sweeper;
}
