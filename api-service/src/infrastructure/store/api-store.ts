import {
  assertSupportedFerretDb,
  detectStoreServer,
  redactedUrl,
  storeLabel,
  type Lifecycle,
  type Logger,
  type StoreServer,
} from '@uap/shared/runtime';
import type { Connection } from 'mongoose';
import type { RollupReader } from '../../application/ports/activity-rollup-reader.port';
import type { ActivityReader } from '../../application/ports/activity-reader.port';
import type { ActivityViolationReader } from '../../application/ports/activity-violation-reader.port';
import type { IdentityReader } from '../../application/ports/identity-reader.port';
import type { InsightsReader } from '../../application/ports/insights-reader.port';
import type { RollupEraser } from '../../application/ports/rollup-eraser.port';
import type { UserDataEraser } from '../../application/ports/erasure.ports';
import type { AuditLog } from '../../application/ports/audit-log.port';
import type { ApiConfig } from '../config/api.config';
import { MongoActivityRollupReader } from '../mongo/mongo-activity-rollup.reader';
import { MongoAuditLog } from '../mongo/mongo-audit.log';
import { MongoActivityReader } from '../mongo/mongo-activity.reader';
import { MongoIdentityReader } from '../mongo/mongo-identity.reader';
import { MongoInsightsReader } from '../mongo/mongo-insights.reader';
import { MongoRollupEraser, MongoUserDataEraser } from '../mongo/mongo-erasure.store';
import { FerretDbPostgresActivityReader } from '../postgres/ferretdb-postgres-activity.reader';
import { FerretDbPostgresIdentityReader } from '../postgres/ferretdb-postgres-identity.reader';
import { FerretDbPostgresInsightsReader } from '../postgres/ferretdb-postgres-insights.reader';
import { FerretDbPostgresUserDataEraser } from '../postgres/ferretdb-postgres-user-data.eraser';
import { PostgresStatsRollups } from '../postgres/postgres-stats.rollups';
import { connectMongo, pingMongo } from './mongo-connection';

// Which store adapters the api uses, decided once at start-up from the server it finds: MongoDB, or FerretDB
// with or without FERRETDB_POSTGRES_URL. Each choice is logged, and each degraded one says what it costs.

export interface ApiStore {
  mongo: Connection;
  server: StoreServer;
  /** The reads, the violations listing's included. */
  reader: ActivityReader & ActivityViolationReader;
  /** Identity links and IDENTIFY traits, from the same store and by the same path (SQL or wire) as the reads. */
  identities: IdentityReader;
  /** Rollups for the stats; absent on FerretDB without FERRETDB_POSTGRES_URL (stats then count the events). */
  rollups?: RollupReader;
  /**
   * Active users, top values and funnel events: SQL (and the worker's bitmaps) on FerretDB with FERRETDB_POSTGRES_URL,
   * aggregations on MongoDB; absent on FerretDB without it (no $dateTrunc there, and every query a scan).
   */
  insights?: InsightsReader;
  eraser: UserDataEraser;
  /** The audit trail (admin actions), through the wire on either server: it stays small. */
  audit: AuditLog;
  /** The readiness checks of every connection the reads depend on. */
  pings: { name: string; check: (timeoutMs: number) => Promise<boolean> }[];
}

/** Connects to the store and picks its adapters; every connection it opens closes with the lifecycle. */
export async function openApiStore(config: ApiConfig, logger: Logger, lifecycle: Lifecycle): Promise<ApiStore> {
  const mongo = await connectMongo({ url: config.MONGO_URL, dbName: config.MONGO_DB });
  lifecycle.onStop('store', () => mongo.close());
  const server = await detectStoreServer(mongo.db!);
  const statsRollups = selectStatsRollups(config, server, mongo, logger);
  if (statsRollups?.reader instanceof PostgresStatsRollups) {
    const sql = statsRollups.reader;
    lifecycle.onStop('stats-rollups-sql', () => sql.close());
  }
  const { reader, sqlReader } = await selectReader(config, server, mongo, logger);
  if (sqlReader) lifecycle.onStop('store-sql', () => sqlReader.close());
  // Erasure through SQL wherever reads are: through FerretDB's wire each of its statements scans the collection.
  const sqlEraser =
    sqlReader && config.FERRETDB_POSTGRES_URL !== undefined
      ? FerretDbPostgresUserDataEraser.connect({
          url: config.FERRETDB_POSTGRES_URL,
          database: config.MONGO_DB,
          ...(statsRollups ? { rollups: statsRollups.eraser } : {}),
        })
      : undefined;
  if (sqlEraser) lifecycle.onStop('eraser-sql', () => sqlEraser.close());
  const insights = selectInsights(config, server, mongo, sqlReader, logger);
  const audit = new MongoAuditLog(mongo, { maxTimeMs: config.QUERY_TIMEOUT_MS });
  // FerretDB uses no index through its wire (see MongoAuditLog.ensureIndexes): MongoDB alone gets them.
  if (server.kind === 'MongoDB') await audit.ensureIndexes();
  return {
    mongo,
    server,
    reader,
    identities: sqlReader
      ? new FerretDbPostgresIdentityReader(sqlReader)
      : new MongoIdentityReader(mongo, { maxTimeMs: config.QUERY_TIMEOUT_MS }),
    ...(statsRollups ? { rollups: statsRollups.reader } : {}),
    ...(insights ? { insights } : {}),
    eraser: sqlEraser ?? new MongoUserDataEraser(mongo, statsRollups?.eraser),
    audit,
    pings: [
      { name: 'store', check: (timeoutMs) => pingMongo(mongo, timeoutMs) },
      ...(sqlReader ? [{ name: 'store-sql', check: (timeoutMs: number) => sqlReader.ping(timeoutMs) }] : []),
    ],
  };
}

/**
 * Where the worker keeps the stats rollups: documents on MongoDB, PostgreSQL tables on FerretDB with
 * FERRETDB_POSTGRES_URL, none on FerretDB without it (the stats are then counted from the events).
 */
function selectStatsRollups(
  config: ApiConfig,
  server: StoreServer,
  mongo: Connection,
  logger: Logger,
): { reader: RollupReader; eraser: RollupEraser } | undefined {
  if (server.kind === 'MongoDB') {
    return {
      reader: new MongoActivityRollupReader(mongo, { maxTimeMs: config.QUERY_TIMEOUT_MS }),
      eraser: new MongoRollupEraser(mongo),
    };
  }
  if (config.FERRETDB_POSTGRES_URL === undefined) {
    logger.warn(
      'stats: no rollups on FerretDB without FERRETDB_POSTGRES_URL; /api/v1/activities/stats counts from the events, ' +
        'up to a bound',
    );
    return undefined;
  }
  const sql = PostgresStatsRollups.connect({
    url: config.FERRETDB_POSTGRES_URL,
    database: config.MONGO_DB,
    queryTimeoutMs: config.QUERY_TIMEOUT_MS,
  });
  return { reader: sql, eraser: sql };
}

/** Where the insights come from; FerretDB without FERRETDB_POSTGRES_URL has none, and says so. */
function selectInsights(
  config: ApiConfig,
  server: StoreServer,
  mongo: Connection,
  sqlReader: FerretDbPostgresActivityReader | undefined,
  logger: Logger,
): InsightsReader | undefined {
  if (server.kind === 'MongoDB')
    return MongoInsightsReader.fromConnection(mongo, { maxTimeMs: config.QUERY_TIMEOUT_MS });
  if (sqlReader) return new FerretDbPostgresInsightsReader(sqlReader, config.MONGO_DB);
  logger.warn(
    'insights: none on FerretDB without FERRETDB_POSTGRES_URL (FerretDB runs neither the aggregations nor an indexed ' +
      'query through its wire); /api/v1/insights/* answer 503. Set FERRETDB_POSTGRES_URL to serve them',
  );
  return undefined;
}

/**
 * Which reader serves queries. FerretDB v1 sorts, ranges and pages in its own memory (issue 12), so on
 * FerretDB with FERRETDB_POSTGRES_URL the reads go to its PostgreSQL tables instead; everything else reads
 * through the Mongo wire, where MongoDB serves every shape from the compound indexes.
 */
async function selectReader(
  config: ApiConfig,
  server: StoreServer,
  mongo: Connection,
  logger: Logger,
): Promise<{ reader: ActivityReader & ActivityViolationReader; sqlReader?: FerretDbPostgresActivityReader }> {
  const mongoReader = new MongoActivityReader(mongo, { maxTimeMs: config.QUERY_TIMEOUT_MS });
  const url = config.FERRETDB_POSTGRES_URL;
  if (server.kind === 'FerretDB' && url !== undefined) {
    assertSupportedFerretDb(server.version);
    const sqlReader = await FerretDbPostgresActivityReader.connect({
      url,
      database: config.MONGO_DB,
      queryTimeoutMs: config.QUERY_TIMEOUT_MS,
    });
    logger.info(
      { store: storeLabel(server), reader: 'ferretdb-postgres-sql', postgres: redactedUrl(url) },
      "reads: SQL on FerretDB's PostgreSQL tables, over the indexes FerretDB created",
    );
    return { reader: sqlReader, sqlReader };
  }
  if (server.kind === 'FerretDB') {
    logger.warn(
      { store: storeLabel(server), reader: 'mongo-wire' },
      'reads and erasures go through FerretDB, which uses no index through its wire (an equality too is a scan of ' +
        'the collection) and sorts in memory: every query and erasure slows down as the store grows (seconds at ' +
        "100k events). Set FERRETDB_POSTGRES_URL to FerretDB's PostgreSQL database (npm run services:up prints it) " +
        'to read and erase with SQL over its indexes',
    );
  } else {
    if (url !== undefined)
      logger.info({ store: storeLabel(server) }, 'FERRETDB_POSTGRES_URL ignored: the store is MongoDB');
    logger.info({ store: storeLabel(server), reader: 'mongo-wire' }, 'reads: Mongo queries over the compound indexes');
  }
  return { reader: mongoReader };
}
