import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitUntil } from './wait-until';

const ROOT = join(__dirname, '..', '..');
const KEPT_LOG_LINES = 400;

/** The built services (compiled by global-setup) and the variable each one takes its HTTP port from. */
export const SERVICES = {
  api: { main: join(ROOT, 'api-service', 'dist', 'main.js'), portVariable: 'PORT' },
  worker: { main: join(ROOT, 'worker-service', 'dist', 'main.js'), portVariable: 'WORKER_PORT' },
} as const;
export type ServiceName = keyof typeof SERVICES;

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/**
 * A service (`api` or `worker`) as a real process on a free port, so tests can talk to it over HTTP
 * and SIGKILL it. Its JSON log lines are kept for assertions and for failure messages. `Ready` is the
 * shape of its /readyz body.
 */
export class ServiceProcess<Ready = unknown> {
  readonly logs: string[] = [];
  /** Set by stop() and crash(), so a supervisor can tell a planned exit from a crash. */
  killedOnPurpose = false;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    private readonly child: ChildProcess,
    readonly service: ServiceName,
    readonly port: number,
    readonly name: string,
    readonly logFile?: string,
    logSink?: WriteStream,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    if (logSink) child.once('exit', () => logSink.end());
    for (const stream of [child.stdout, child.stderr]) {
      let pending = '';
      stream?.on('data', (chunk: Buffer) => {
        logSink?.write(chunk);
        const lines = (pending + chunk.toString('utf8')).split('\n');
        pending = lines.pop() ?? '';
        this.logs.push(...lines);
        if (this.logs.length > KEPT_LOG_LINES) this.logs.splice(0, this.logs.length - KEPT_LOG_LINES);
      });
    }
  }

  /**
   * Only PATH is inherited: every other setting comes from `env`, so the suite's isolation is explicit.
   * With `logFile`, the whole output is also appended there, to outlive the run. With `port`, it listens there
   * instead of on a free port: a restarted service keeps the address its clients were given.
   */
  static async start<Ready = unknown>(
    service: ServiceName,
    name: string,
    env: Record<string, string>,
    options: { logFile?: string; port?: number } = {},
  ): Promise<ServiceProcess<Ready>> {
    const port = options.port ?? (await freePort());
    const { main, portVariable } = SERVICES[service];
    const child = spawn(process.execPath, [main], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'info', ...env, [portVariable]: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const sink = options.logFile === undefined ? undefined : createWriteStream(options.logFile, { flags: 'a' });
    return new ServiceProcess<Ready>(child, service, port, name, options.logFile, sink);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  tail(lines = 30): string {
    return `--- last log lines of ${this.service} ${this.name} ---\n${this.logs.slice(-lines).join('\n')}`;
  }

  async readiness(): Promise<{ status: number; body: Ready }> {
    const res = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(3_000) });
    return { status: res.status, body: (await res.json()) as Ready };
  }

  async waitUntilReady(timeoutMs = 30_000): Promise<Ready> {
    return waitUntil(
      `${this.service} ${this.name} to be ready`,
      async () => {
        if (!this.isRunning) throw new Error(`${this.service} ${this.name} exited\n${this.tail()}`);
        const { status, body } = await this.readiness();
        return status === 200 ? body : undefined;
      },
      { timeoutMs, describe: () => this.tail() },
    );
  }

  kill(signal: NodeJS.Signals): void {
    if (this.isRunning) this.child.kill(signal);
  }

  /** The exit of a process expected to end by itself (or after a signal sent by the caller), within a bound. */
  async exitWithin(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.service} ${this.name} did not exit within ${timeoutMs} ms\n${this.tail()}`)),
        timeoutMs,
      );
    });
    return Promise.race([this.exited, timeout]).finally(() => clearTimeout(timer));
  }

  /** SIGKILL on purpose, and wait until the process is gone. */
  async crash(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.killedOnPurpose = true;
    this.kill('SIGKILL');
    return this.exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited within the bound. */
  async stop(timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
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
