import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { detectStoreServer, storeLabel, type StoreServer } from '@uap/shared/runtime';
import type { MongoClient } from 'mongodb';
import { startLocalServices } from '../../test/support/local-services';

export const ROOT = join(__dirname, '..', '..');

export interface BenchServices {
  kafkaBrokers: string;
  mongoUrl: string;
  /** FerretDB's PostgreSQL database, handed to the api for its SQL reader (FERRETDB_POSTGRES_URL). */
  ferretdbPostgresUrl?: string;
  source: 'env' | 'local';
  /** How many brokers the cluster has (describeCluster), once resolved. */
  brokers: number;
}

/**
 * KAFKA_BROKERS/MONGO_URL (and FERRETDB_POSTGRES_URL) when set, else the local services (installed and started on
 * first use; `kafkaNodes` brokers, e.g. 3 for the cluster figures). Fails when the cluster has another broker count
 * than asked for: the local services keep the count they were started with.
 */
export async function resolveServices(options: { kafkaNodes?: number } = {}): Promise<BenchServices> {
  const { KAFKA_BROKERS, MONGO_URL, FERRETDB_POSTGRES_URL } = process.env;
  const services =
    KAFKA_BROKERS && MONGO_URL
      ? {
          kafkaBrokers: KAFKA_BROKERS,
          mongoUrl: MONGO_URL,
          ...(FERRETDB_POSTGRES_URL ? { ferretdbPostgresUrl: FERRETDB_POSTGRES_URL } : {}),
          source: 'env' as const,
        }
      : { ...(await startLocalServices(options)), source: 'local' as const };
  const admin = benchKafka(services.kafkaBrokers).admin();
  await admin.connect();
  const brokers = (await admin.describeCluster()).brokers.length;
  await admin.disconnect();
  if (options.kafkaNodes !== undefined && brokers !== options.kafkaNodes) {
    throw new Error(
      `--kafka-nodes ${options.kafkaNodes}, but the cluster at ${services.kafkaBrokers} has ${brokers} broker(s); ` +
        'stop the local services first (npm run services:down) or point KAFKA_BROKERS at such a cluster',
    );
  }
  return { ...services, brokers };
}

export function benchKafka(brokers: string): Kafka {
  return new Kafka({ clientId: 'bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}

export type StoreInfo = StoreServer & { detail: string };

export async function describeStore(client: MongoClient): Promise<StoreInfo> {
  const server = await detectStoreServer(client.db('admin'));
  return {
    ...server,
    detail:
      server.kind === 'FerretDB' ? `${storeLabel(server)} (reports MongoDB ${server.reports})` : storeLabel(server),
  };
}

/** The broker's version is not on the wire; the local services pin it in their Maven pom. */
export function describeBroker(services: BenchServices): string {
  const count = services.brokers === 1 ? 'one broker' : `${services.brokers} brokers`;
  return services.source === 'local'
    ? `Apache Kafka 4.1.1 (KRaft, local services, ${count})`
    : `Kafka at ${services.kafkaBrokers} (${count})`;
}

export function uniqueSuffix(): string {
  return randomUUID().slice(0, 8);
}

/** The bare Express ceiling (bench/bare-server.ts) as its own process, like the API it is compared with. */
export class BareServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly exited: Promise<number | null>,
  ) {}

  static start(port: number): BareServer {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/bare-server.ts'], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'production', PORT: String(port) },
      stdio: 'ignore',
    });
    return new BareServer(child, new Promise((resolve) => child.once('exit', resolve)));
  }

  async waitForHttp(url: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error('the bare server exited during start-up');
      if (
        await fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
          (r) => r.ok,
          () => false,
        )
      )
        return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`the bare server was not ready at ${url} within ${timeoutMs} ms`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}
