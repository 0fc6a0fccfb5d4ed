import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitUntil } from './wait-until';

const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'worker-service', 'dist', 'main.js');
const KEPT_LOG_LINES = 400;

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

export interface ReadyBody {
  status: string;
  consumer: string;
  store: string;
  stats: { inserted: number; duplicates: number; deadLettered: number; retries: number };
}

/**
 * The built worker (`worker-service/dist/main.js`, compiled by global-setup) as a real process, so
 * tests can SIGKILL it. Its JSON log lines are kept for assertions and for failure messages.
 */
export class WorkerProcess {
  readonly logs: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly name: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    for (const stream of [child.stdout, child.stderr]) {
      let pending = '';
      stream?.on('data', (chunk: Buffer) => {
        const lines = (pending + chunk.toString('utf8')).split('\n');
        pending = lines.pop() ?? '';
        this.logs.push(...lines);
        if (this.logs.length > KEPT_LOG_LINES) this.logs.splice(0, this.logs.length - KEPT_LOG_LINES);
      });
    }
  }

  static async start(name: string, env: Record<string, string>): Promise<WorkerProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'info', ...env, WORKER_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new WorkerProcess(child, port, name);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  tail(lines = 30): string {
    return `--- last log lines of worker ${this.name} ---\n${this.logs.slice(-lines).join('\n')}`;
  }

  async readiness(): Promise<{ status: number; body: ReadyBody }> {
    const res = await fetch(`http://127.0.0.1:${this.port}/readyz`, { signal: AbortSignal.timeout(3_000) });
    return { status: res.status, body: (await res.json()) as ReadyBody };
  }

  async waitUntilReady(timeoutMs = 30_000): Promise<ReadyBody> {
    return waitUntil(
      `worker ${this.name} to be ready`,
      async () => {
        if (!this.isRunning) throw new Error(`worker ${this.name} exited\n${this.tail()}`);
        const { status, body } = await this.readiness();
        return status === 200 ? body : undefined;
      },
      { timeoutMs, describe: () => this.tail() },
    );
  }

  kill(signal: NodeJS.Signals): void {
    if (this.isRunning) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL if it has not exited within the bound. */
  async stop(timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.isRunning) return this.exited;
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
