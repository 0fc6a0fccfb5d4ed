import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildServices, localServicesRunning, startLocalServices } from './support/local-services';
import { HOW_TO_PROVIDE_SERVICES, probeServices, type ServiceEndpoints } from './support/services';
import { SERVICES_ENV_FILE } from './support/services-env-file';

const ROOT = join(__dirname, '..');

type Stoppable = { stop(): Promise<unknown> };
const globals = globalThis as typeof globalThis & { __containers?: Stoppable[]; __startedLocalServices?: boolean };

async function fromEnvironment(): Promise<ServiceEndpoints | undefined> {
  const { KAFKA_BROKERS, MONGO_URL, FERRETDB_POSTGRES_URL } = process.env;
  if (!KAFKA_BROKERS && !MONGO_URL) return undefined;
  if (!KAFKA_BROKERS || !MONGO_URL) throw new Error('set both KAFKA_BROKERS and MONGO_URL, or neither');
  return {
    kafkaBrokers: KAFKA_BROKERS,
    mongoUrl: MONGO_URL,
    ...(FERRETDB_POSTGRES_URL ? { ferretdbPostgresUrl: FERRETDB_POSTGRES_URL } : {}),
    source: 'env',
  };
}

async function fromTestcontainers(): Promise<ServiceEndpoints | undefined> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch {
    return undefined; // no Docker engine: fall through to the local services
  }
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const { MongoDBContainer } = await import('@testcontainers/mongodb');
  const [kafka, mongo] = await Promise.all([
    new KafkaContainer('confluentinc/cp-kafka:7.9.0')
      .withKraft()
      .withEnvironment({ KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false', KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' })
      .start(),
    new MongoDBContainer('mongo:7').start(),
  ]);
  globals.__containers = [kafka, mongo];
  return {
    kafkaBrokers: `${kafka.getHost()}:${kafka.getMappedPort(9093)}`,
    mongoUrl: `${mongo.getConnectionString()}?directConnection=true`,
    source: 'testcontainers',
  };
}

async function fromLocalServices(): Promise<ServiceEndpoints> {
  // Services this run starts, this run stops (global-teardown); ones that were already up stay up.
  globals.__startedLocalServices = !(await localServicesRunning());
  return { ...(await startLocalServices()), source: 'local' };
}

export default async function globalSetup(): Promise<void> {
  // Some suites run the services as real processes (node <service>/dist/main.js): build them first.
  await buildServices();
  const tried: string[] = [];
  let endpoints: ServiceEndpoints | undefined;
  for (const [name, resolve] of [
    ['environment', fromEnvironment],
    ['testcontainers', fromTestcontainers],
    ['local services', fromLocalServices],
  ] as const) {
    let candidate: ServiceEndpoints | undefined;
    try {
      candidate = await resolve();
      if (!candidate) {
        tried.push(`${name}: not available`);
        continue;
      }
      endpoints = { ...candidate, ...(await probeServices(candidate)) };
      break;
    } catch (err) {
      tried.push(`${name}: ${(err as Error).message}`);
      // Explicit settings, or services that were found but do not answer, are an error, not a cue to start others.
      if (name === 'environment' || candidate) break;
    }
  }
  if (!endpoints) {
    throw new Error(`\n${HOW_TO_PROVIDE_SERVICES}\nTried:\n  - ${tried.join('\n  - ')}\n`);
  }
  process.env['KAFKA_BROKERS'] = endpoints.kafkaBrokers;
  process.env['MONGO_URL'] = endpoints.mongoUrl;
  if (endpoints.ferretdbPostgresUrl) process.env['FERRETDB_POSTGRES_URL'] = endpoints.ferretdbPostgresUrl;
  mkdirSync(join(ROOT, '.local'), { recursive: true });
  writeFileSync(SERVICES_ENV_FILE, JSON.stringify(endpoints));
  console.log(
    `\n[integration] Kafka ${endpoints.kafkaBrokers}, store ${endpoints.store} at ${endpoints.mongoUrl}` +
      `${endpoints.ferretdbPostgresUrl ? ` (its PostgreSQL: ${endpoints.ferretdbPostgresUrl})` : ''} (from ${endpoints.source})`,
  );
}
