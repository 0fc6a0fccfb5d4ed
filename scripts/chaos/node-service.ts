import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { freePort, SERVICES, type ServiceName } from '../../test/support/service-process';
import { waitUntil } from '../../test/support/wait-until';

const ROOT = join(__dirname, '..', '..');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A built service (`<service>/dist/main.js`) as a real process, so the suite can SIGKILL it. Unlike
 * test/support's ServiceProcess (which keeps the last log lines in memory for assertions), the whole
 * log goes to a file that outlives the run, and a planned kill is told apart from a crash.
 */
export class NodeService {
  readonly exited: Promise<Exit>;
  /** Set when the suite killed it on purpose, so a supervisor can tell a crash from a planned kill. */
  killedOnPurpose = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly kind: ServiceName,
    readonly name: string,
    readonly port: number,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  static async start(kind: ServiceName, name: string, env: Record<string, string>, logFile: string) {
    const { main, portVariable } = SERVICES[kind];
    const port = await freePort();
    const log = createWriteStream(logFile, { flags: 'a' });
    await new Promise((resolve, reject) => log.once('open', resolve).once('error', reject));
    const child = spawn(process.execPath, [main], {
      cwd: ROOT,
      // A clean environment: nothing from the caller's shell may point it at the shared services. Production
      // mode, as deployed: the API then insists on API keys, which the suite configures.
      env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'production', ...env, [portVariable]: String(port) },
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
