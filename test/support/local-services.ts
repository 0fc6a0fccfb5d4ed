import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
// The first local start builds FerretDB and fetches the Kafka jars; later starts take seconds.
const LOCAL_START_TIMEOUT_MS = 15 * 60_000;

/** Builds every package (`tsc -b`), so the services can run as processes from their dist. */
export async function buildServices(): Promise<void> {
  await run(join(ROOT, 'node_modules/.bin/tsc'), ['-b'], { cwd: ROOT, timeout: 5 * 60_000 }).catch(
    (err: { stdout?: string; message: string }) => {
      throw new Error(`tsc -b failed:\n${err.stdout ?? err.message}`);
    },
  );
  // The api serves the dashboard from its bundle (npm run build does the same).
  await run(process.execPath, [join(ROOT, 'api-service/scripts/build-dashboard.mjs')], {
    cwd: ROOT,
    timeout: 2 * 60_000,
  }).catch((err: { stderr?: string; message: string }) => {
    throw new Error(`the dashboard bundle failed:\n${err.stderr ?? err.message}`);
  });
}

/** `npm run services:up` (installing on first use) and the settings it prints. */
const SERVICES_SCRIPT = join(ROOT, 'scripts/services/services.sh');

/** Whether Kafka and FerretDB are both already running (then a test run leaves them running). */
export async function localServicesRunning(): Promise<boolean> {
  const { stdout } = await run('bash', [SERVICES_SCRIPT, 'status']).catch(() => ({ stdout: '' }));
  return /kafka: running/.test(stdout) && /ferretdb: running/.test(stdout);
}

export async function stopLocalServices(): Promise<void> {
  await run('bash', [SERVICES_SCRIPT, 'down'], { timeout: 120_000 });
}

/** `kafkaNodes`: a KRaft cluster of that many brokers instead of the recorded (or default, 1) count. */
export async function startLocalServices(options: { kafkaNodes?: number } = {}): Promise<{
  kafkaBrokers: string;
  mongoUrl: string;
  ferretdbPostgresUrl?: string;
}> {
  const nodes = options.kafkaNodes === undefined ? [] : ['--kafka-nodes', String(options.kafkaNodes)];
  const { stdout } = await run('bash', [SERVICES_SCRIPT, 'up', ...nodes], {
    timeout: LOCAL_START_TIMEOUT_MS,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((err: { stderr?: string; message: string }) => {
    throw new Error(
      `npm run services:up failed: ${err.stderr?.trim().split('\n').slice(-15).join('\n') ?? err.message}`,
    );
  });
  const env = Object.fromEntries(
    stdout
      .split('\n')
      .map((line) => line.split('='))
      .filter((kv): kv is [string, string] => kv.length === 2),
  );
  if (!env['KAFKA_BROKERS'] || !env['MONGO_URL']) throw new Error(`services:up printed no settings:\n${stdout}`);
  const ferretdbPostgresUrl = env['FERRETDB_POSTGRES_URL'];
  return {
    kafkaBrokers: env['KAFKA_BROKERS'],
    mongoUrl: env['MONGO_URL'],
    ...(ferretdbPostgresUrl ? { ferretdbPostgresUrl } : {}),
  };
}
