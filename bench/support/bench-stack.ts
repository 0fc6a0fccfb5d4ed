import { createHash, randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { buildServices } from '../../test/support/local-services';
import { ServiceProcess } from '../../test/support/service-process';
import { benchKafka, resolveServices, uniqueSuffix, type BenchServices } from './bench-context';

/** One bench run: the services it measures against, and what it started there, for cleanup to stop and drop. */
export interface BenchStack {
  services: BenchServices;
  client: MongoClient;
  id: string;
  processes: { stop(): Promise<unknown> }[];
  topics: string[];
  dbs: string[];
}

// The API runs as in production (NODE_ENV=production): with a key, and without the per-key rate limit,
// which would otherwise be what the ingest measures hit.
export const BENCH_KEY = randomBytes(24).toString('base64url');
export const AUTH_HEADERS = { 'x-api-key': BENCH_KEY };
function benchAuthEnv(): Record<string, string> {
  return {
    API_KEYS: `${createHash('sha256').update(BENCH_KEY).digest('hex')}:ingest+read+admin`,
    RATE_LIMIT_MAX: '0',
    AUTH_FAILURE_LIMIT: '0',
  };
}

/**
 * The services resolved (`kafkaNodes` brokers), the api and worker built, the store connected; a signal cleans up
 * what the run started before the process exits.
 */
export async function openStack(options: { kafkaNodes?: number }): Promise<BenchStack> {
  const services = await resolveServices(options);
  await buildServices();
  const client = await MongoClient.connect(services.mongoUrl, { serverSelectionTimeoutMS: 5_000 });
  const stack: BenchStack = { services, client, id: uniqueSuffix(), processes: [], topics: [], dbs: [] };
  const stop = () => void cleanup(stack).finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return stack;
}

export async function startApi(stack: BenchStack, name: string, topic: string, db: string): Promise<string> {
  return (await startApiProcess(stack, name, topic, db)).url;
}

export async function startApiProcess(
  stack: BenchStack,
  name: string,
  topic: string,
  db: string,
  env: Record<string, string> = {},
): Promise<ServiceProcess> {
  const api = await ServiceProcess.start('api', name, {
    ...env,
    // Long enough to measure the slow shapes on FerretDB instead of cutting them off at the default 5 s.
    QUERY_TIMEOUT_MS: '60000',
    NODE_ENV: 'production',
    KAFKA_BROKERS: stack.services.kafkaBrokers,
    ACTIVITIES_TOPIC: topic,
    MONGO_URL: stack.services.mongoUrl,
    // As `npm run stack` runs it: on FerretDB/PostgreSQL the api reads with SQL over FerretDB's indexes.
    ...(stack.services.ferretdbPostgresUrl ? { FERRETDB_POSTGRES_URL: stack.services.ferretdbPostgresUrl } : {}),
    MONGO_DB: db,
    ...benchAuthEnv(),
  });
  stack.processes.push(api);
  stack.topics.push(topic);
  stack.dbs.push(db);
  await api.waitUntilReady(60_000);
  return api;
}

/** The read method the api chose at start-up, from its own log line. */
export function readMethodOf(api: ServiceProcess): string {
  if (api.logs.some((l) => l.includes('"reader":"ferretdb-postgres-sql"')))
    return "SQL on FerretDB's PostgreSQL tables over read columns and btree indexes the api adds (FERRETDB_POSTGRES_URL)";
  if (api.logs.some((l) => l.includes('"reader":"mongo-wire"'))) return 'Mongo queries through the wire protocol';
  return 'unknown (the api did not log its reader)';
}

export interface WorkerReady {
  stats: { inserted: number; duplicates: number };
  activityTypes?: { position: number; current: boolean };
}

export async function startWorker(
  stack: BenchStack,
  name: string,
  topic: string,
  db: string,
  env: Record<string, string> = {},
): Promise<() => Promise<number>> {
  const worker = await startWorkerProcess(stack, name, topic, db, env);
  // The worker's own counters: cheap to poll, unlike a count over hundreds of thousands of documents.
  return async () => {
    const { body } = await worker.readiness();
    return body.stats.inserted + body.stats.duplicates;
  };
}

export async function startWorkerProcess(
  stack: BenchStack,
  name: string,
  topic: string,
  db: string,
  env: Record<string, string> = {},
): Promise<ServiceProcess<WorkerReady>> {
  const worker = await ServiceProcess.start<WorkerReady>('worker', name, {
    ...env,
    NODE_ENV: 'production',
    KAFKA_BROKERS: stack.services.kafkaBrokers,
    KAFKA_CLIENT_ID: name,
    CONSUMER_GROUP: `${topic}-workers`,
    ACTIVITIES_TOPIC: topic,
    DLQ_TOPIC: `${topic}.dlq`,
    MONGO_URL: stack.services.mongoUrl,
    MONGO_DB: db,
  });
  stack.processes.push(worker);
  stack.topics.push(topic, `${topic}.dlq`);
  stack.dbs.push(db);
  await worker.waitUntilReady(60_000);
  return worker;
}

/** Stops every process the stack runs now; their topics and databases stay until cleanup. */
export async function stopProcesses(stack: BenchStack): Promise<void> {
  await Promise.all(stack.processes.splice(0).map((p) => p.stop()));
}

/** Stops the processes, deletes the run's topics, drops its databases, and closes the store connection. */
export async function cleanup(stack: BenchStack): Promise<void> {
  await stopProcesses(stack);
  const admin = benchKafka(stack.services.kafkaBrokers).admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  const topics = [...new Set(stack.topics)].filter((t) => existing.has(t));
  if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 }).catch(() => undefined);
  await admin.disconnect();
  for (const db of new Set(stack.dbs))
    await stack.client
      .db(db)
      .dropDatabase()
      .catch(() => undefined);
  await stack.client.close();
}
