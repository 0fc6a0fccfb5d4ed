import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './service-process';
import { TcpProxy } from './tcp-proxy';

const ROOT = join(__dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'services', 'services.sh');
const COMMAND_TIMEOUT_MS = 180_000;

/**
 * A Kafka broker of one suite's own, for outages that must not touch the shared broker. It
 * advertises a TcpProxy's port, so every client (api, worker, test) reaches it only through the
 * proxy, and cut() is an outage for all of them at once, with no broker restart to wait for. The
 * shared broker cannot be cut this way: it advertises its own port, which clients would reconnect to.
 */
export class PrivateKafka {
  private constructor(
    private readonly stateDir: string,
    private readonly env: NodeJS.ProcessEnv,
    readonly proxy: TcpProxy,
  ) {}

  /** Starts the broker (services.sh start-kafka, jars from the local services' cache) behind a fresh proxy. */
  static async start(name: string): Promise<PrivateKafka> {
    mkdirSync(join(ROOT, '.local'), { recursive: true });
    const stateDir = mkdtempSync(join(ROOT, '.local', `kafka-${name}-`));
    const [port, controllerPort] = [await freePort(), await freePort()];
    const proxy = await TcpProxy.start({ host: '127.0.0.1', port });
    const env = {
      ...process.env,
      UAP_SERVICES_DIR: stateDir,
      UAP_KAFKA_PORT: String(port),
      UAP_KAFKA_CONTROLLER_PORT: String(controllerPort),
      UAP_KAFKA_ADVERTISED_PORT: String(proxy.port),
      UAP_KAFKA_HEAP: '-Xms128m -Xmx384m',
    };
    const kafka = new PrivateKafka(stateDir, env, proxy);
    try {
      await kafka.run('start-kafka');
    } catch (err) {
      await kafka.stop();
      throw err;
    }
    return kafka;
  }

  /** What clients put in KAFKA_BROKERS. */
  get brokers(): string {
    return `127.0.0.1:${this.proxy.port}`;
  }

  /** Broker unreachable for every client: open connections reset, new ones refused. */
  cut(): void {
    this.proxy.cut();
  }

  restore(): void {
    this.proxy.restore();
  }

  async stop(): Promise<void> {
    await this.proxy.close();
    await this.run('stop-kafka').catch(() => undefined);
    rmSync(this.stateDir, { recursive: true, force: true });
  }

  private run(command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile('bash', [SCRIPT, command], { env: this.env, timeout: COMMAND_TIMEOUT_MS }, (err, stdout, stderr) => {
        if (err) reject(new Error(`services.sh ${command} failed: ${err.message}\n${stdout}${stderr}`));
        else resolve(stdout + stderr);
      });
    });
  }
}
