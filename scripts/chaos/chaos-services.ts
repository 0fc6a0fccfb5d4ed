import { execFile } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'services', 'services.sh');
const COMMAND_TIMEOUT_MS = 180_000;

/**
 * The suite's own Kafka + FerretDB (+ PostgreSQL) instance: other ports and another state dir than the
 * shared services (9092 / 27017 / .local/services), so stopping this broker or store never disturbs
 * anybody else's tests.
 */
export const CHAOS_SERVICES = {
  stateDir: join(ROOT, '.local', 'chaos'),
  kafkaPort: 19092,
  kafkaControllerPort: 19093,
  ferretdbPort: 27117,
  ferretdbDebugPort: 28188,
  postgresPort: 54429,
} as const;

export class ChaosServices {
  /** Comma-separated, every node: node i listens on kafkaPort + 2(i-1) (services.sh). */
  readonly kafkaBrokers: string;
  readonly mongoUrl = `mongodb://127.0.0.1:${CHAOS_SERVICES.ferretdbPort}/`;
  /** FerretDB's PostgreSQL backend, where a scenario can make the store refuse documents. */
  readonly postgresUrl = `postgres://postgres@127.0.0.1:${CHAOS_SERVICES.postgresPort}/ferretdb`;
  readonly logDir: string;
  private readonly lockFile = join(ROOT, '.local', 'chaos.lock');

  /** `kafkaNodes` > 1: a KRaft cluster of that many combined broker+controller nodes (node ids 1…n). */
  constructor(readonly kafkaNodes = 1) {
    this.logDir = join(CHAOS_SERVICES.stateDir, 'run-logs');
    this.kafkaBrokers = Array.from(
      { length: kafkaNodes },
      (_, i) => `127.0.0.1:${CHAOS_SERVICES.kafkaPort + 2 * i}`,
    ).join(',');
  }

  /**
   * One chaos instance at a time: a second run would stop the first one's broker. The lock holds the
   * pid of the run that owns the instance; a lock left by a dead run is taken over.
   */
  lock(): void {
    mkdirSync(join(ROOT, '.local'), { recursive: true });
    try {
      const owner = Number(readFileSync(this.lockFile, 'utf8'));
      if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
        throw new Error(`another chaos run (pid ${owner}) owns the chaos services; wait for it or stop it`);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const fd = openSync(this.lockFile, 'w');
    writeSync(fd, String(process.pid));
    closeSync(fd);
  }

  /**
   * FERRETDB_POSTGRES_URL as `npm run services:up` prints it: FerretDB's PostgreSQL database when FerretDB runs on
   * PostgreSQL (services.sh records the backend it started), else undefined (the SQLite backend).
   */
  ferretdbPostgresUrl(): string | undefined {
    try {
      const backend = readFileSync(join(CHAOS_SERVICES.stateDir, 'ferretdb.backend'), 'utf8').trim();
      return backend === 'postgresql' ? this.postgresUrl : undefined;
    } catch {
      return undefined;
    }
  }

  unlock(): void {
    rmSync(this.lockFile, { force: true });
  }

  /** Starts from empty data: a previous run's topics and databases would only confuse the figures. */
  async up(): Promise<void> {
    await this.run('down');
    rmSync(this.logDir, { recursive: true, force: true });
    mkdirSync(this.logDir, { recursive: true });
    await this.run('up');
  }

  down(): Promise<string> {
    return this.run('down');
  }

  /** Graceful (SIGTERM: a cluster node hands its leaderships over first); every node without `node`. */
  stopKafka(node?: number): Promise<string> {
    return this.run('stop-kafka', node);
  }

  startKafka(node?: number): Promise<string> {
    return this.run('start-kafka', node);
  }

  /** SIGKILL one node: no handover, as when a machine is lost. */
  killKafka(node: number): Promise<string> {
    return this.run('kill-kafka', node);
  }

  stopStore(): Promise<string> {
    return this.run('stop-ferretdb');
  }

  startStore(): Promise<string> {
    return this.run('start-ferretdb');
  }

  private run(command: string, node?: number): Promise<string> {
    const env = {
      ...process.env,
      UAP_KAFKA_NODES: String(this.kafkaNodes),
      UAP_SERVICES_DIR: CHAOS_SERVICES.stateDir,
      UAP_KAFKA_PORT: String(CHAOS_SERVICES.kafkaPort),
      UAP_KAFKA_CONTROLLER_PORT: String(CHAOS_SERVICES.kafkaControllerPort),
      UAP_FERRETDB_PORT: String(CHAOS_SERVICES.ferretdbPort),
      UAP_FERRETDB_DEBUG_PORT: String(CHAOS_SERVICES.ferretdbDebugPort),
      UAP_POSTGRES_PORT: String(CHAOS_SERVICES.postgresPort),
    };
    return new Promise((resolve, reject) => {
      execFile(
        'bash',
        [SCRIPT, command, ...(node === undefined ? [] : [String(node)])],
        { env, timeout: COMMAND_TIMEOUT_MS },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`services.sh ${command} failed: ${err.message}\n${stderr}`));
          else resolve(stdout + stderr);
        },
      );
    });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
