import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';

const run = promisify(execFile);
export const ROOT = join(__dirname, '..', '..');
export const LOG_DIR = join(ROOT, '.local', 'bench-logs');

export interface BenchServices {
  kafkaBrokers: string;
  mongoUrl: string;
  source: 'env' | 'local';
}

/** KAFKA_BROKERS/MONGO_URL when both are set, else the local services (installed and started on first use). */
export async function resolveServices(): Promise<BenchServices> {
  const { KAFKA_BROKERS, MONGO_URL } = process.env;
  if (KAFKA_BROKERS && MONGO_URL) return { kafkaBrokers: KAFKA_BROKERS, mongoUrl: MONGO_URL, source: 'env' };
  const { stdout } = await run('bash', [join(ROOT, 'scripts/services/services.sh'), 'up'], { timeout: 15 * 60_000 });
  const env = Object.fromEntries(stdout.split('\n').map((l) => l.split('=', 2)));
  return { kafkaBrokers: env['KAFKA_BROKERS'], mongoUrl: env['MONGO_URL'], source: 'local' };
}

export async function buildAll(): Promise<void> {
  await run(join(ROOT, 'node_modules/.bin/tsc'), ['-b'], { cwd: ROOT, timeout: 5 * 60_000 });
}

export function benchKafka(brokers: string): Kafka {
  return new Kafka({ clientId: 'bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}

export interface StoreInfo {
  kind: 'FerretDB' | 'MongoDB';
  version: string;
  detail: string;
}

export async function describeStore(client: MongoClient): Promise<StoreInfo> {
  const info = await client.db('admin').command({ buildInfo: 1 });
  const ferret = info['ferretdbVersion'] as string | undefined;
  return ferret
    ? { kind: 'FerretDB', version: ferret, detail: `FerretDB ${ferret} (reports MongoDB ${String(info['version'])})` }
    : { kind: 'MongoDB', version: String(info['version']), detail: `MongoDB ${String(info['version'])}` };
}

/** The broker's version is not on the wire; the local services pin it in their Maven pom. */
export function describeBroker(services: BenchServices): string {
  return services.source === 'local'
    ? 'Apache Kafka 4.1.1 (KRaft, local services)'
    : `Kafka at ${services.kafkaBrokers}`;
}

export function uniqueSuffix(): string {
  return randomUUID().slice(0, 8);
}

/** A service or helper as its own process, its output in .local/bench-logs, stopped with SIGTERM. */
export class BenchProcess {
  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly exited: Promise<number | null>,
  ) {}

  static start(name: string, args: string[], env: Record<string, string>): BenchProcess {
    mkdirSync(LOG_DIR, { recursive: true });
    const log = createWriteStream(join(LOG_DIR, `${name}.log`));
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'production', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return new BenchProcess(name, child, exited);
  }

  async waitForHttp(url: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null)
        throw new Error(`${this.name} exited; see ${join(LOG_DIR, `${this.name}.log`)}`);
      const ok = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${this.name} was not ready at ${url} within ${timeoutMs} ms`);
  }

  async stop(timeoutMs = 15_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}
