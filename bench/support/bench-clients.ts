import { spawn } from 'node:child_process';
import { ROOT } from './bench-context';
import { AUTH_HEADERS, BENCH_KEY } from './bench-stack';

/** Asks the api for freshness every second, which keeps its progress poller polling (every 250 ms). */
export function askFreshness(url: string): { stop(): void } {
  const timer = setInterval(
    () =>
      void fetch(`${url}/api/v1/freshness`, { headers: AUTH_HEADERS, signal: AbortSignal.timeout(5_000) }).then(
        (r) => r.arrayBuffer(),
        () => undefined,
      ),
    1_000,
  );
  return { stop: () => clearInterval(timer) };
}

/** A live-stream subscriber in its own process (bench/stream-subscriber.ts), open once this resolves. */
export async function openStream(url: string): Promise<{ close(): Promise<number> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/stream-subscriber.ts'], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', URL: url, API_KEY: BENCH_KEY },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 30_000;
  while (!out.startsWith('open\n')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('the stream subscriber did not open');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    async close() {
      child.kill('SIGTERM');
      await exited;
      return (JSON.parse(out.trim().split('\n').at(-1)!) as { events: number }).events;
    },
  };
}
