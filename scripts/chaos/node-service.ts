import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitUntil } from '../../test/support/wait-until';

const ROOT = join(__dirname, '..', '..');

/** Which built service to run, and the variable that sets its HTTP port. */
export const SERVICES = {
  api: { main: join(ROOT, 'api-service', 'dist', 'main.js'), portVariable: 'PORT' },
  worker: { main: join(ROOT, 'worker-service', 'dist', 'main.js'), portVariable: 'WORKER_PORT' },
} as const;

export type ServiceKind = keyof typeof SERVICES;

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A built service (`<service>/dist/main.js`) as a real process, so the suite can SIGKILL it. Its log
 * goes to a file, which the report points to when a scenario fails.
 */
export class NodeService {
  readonly exited: Promise<Exit>;
  /** Set when the suite killed it on purpose, so a supervisor can tell a crash from a planned kill. */
  killedOnPurpose = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly kind: ServiceKind,
    readonly name: string,
    readonly port: number,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  static async start(kind: ServiceKind, name: string, env: Record<string, string>, logFile: string) {
    const { main, portVariable } = SERVICES[kind];
    const port = await freePort();
    const log = createWriteStream(logFile, { flags: 'a' });
    await new Promise((resolve, reject) => log.once('open', resolve).once('error', reject));
    const child = spawn(process.execPath, [main], {
      cwd: ROOT,
      // A clean environment: nothing from the caller's shell (or a .env) may point it at the shared services.
      env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'development', ...env, [portVariable]: String(port) },
      stdio: ['ignore', log, log],
    });
    child.once('exit', () => log.end());
    return new NodeService(child, kind, name, port, logFile);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async readiness(): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(3_000) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  async waitUntilReady(timeoutMs = 60_000): Promise<void> {
    await waitUntil(
      `${this.name} to be ready`,
      async () => {
        if (!this.isRunning) throw new Error(`${this.name} exited (log: ${this.logFile})`);
        return (await this.readiness()).status === 200 ? true : undefined;
      },
      { timeoutMs, intervalMs: 250, describe: () => `log: ${this.logFile}` },
    );
  }

  kill(signal: NodeJS.Signals): void {
    if (this.isRunning) this.child.kill(signal);
  }

  /** SIGKILL on purpose, and wait until the process is gone. */
  async crash(): Promise<Exit> {
    this.killedOnPurpose = true;
    this.kill('SIGKILL');
    return this.exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited within the bound. */
  async stop(timeoutMs = 15_000): Promise<Exit> {
    this.killedOnPurpose = true;
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
