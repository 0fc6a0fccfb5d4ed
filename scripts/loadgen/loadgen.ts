import { setTimeout as sleep } from 'node:timers/promises';
import { UapClient } from '@uap/client';
import { ActivityGenerator } from './activity-generator';
import { LoadStats } from './load-stats';
import { HELP, parseLoadgenArgs, type LoadgenOptions } from './loadgen-options';

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * The SDK with its batching and retries switched off: the load generator decides what goes in each
 * request, and every request is measured once, as sent (a retry would hide the failure it measures).
 */
function loadClient(options: LoadgenOptions, stats: LoadStats): UapClient {
  return new UapClient({
    baseUrl: options.url,
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    retry: { maxAttempts: 1 },
    onAttempt: ({ eventIds, outcome, latencyMs }) => stats.record(eventIds.length, outcome, latencyMs),
  });
}

function progressLine(stats: LoadStats, elapsedS: number, options: LoadgenOptions): string {
  const fraction = Math.min(1, elapsedS / options.duration);
  const width = 30;
  const bar = '#'.repeat(Math.round(fraction * width)).padEnd(width, '.');
  const { p50, p99 } = stats.percentiles([50, 99]);
  const { sent, accepted, rejected, error } = stats.events;
  return `[${bar}] ${(fraction * 100).toFixed(0).padStart(3)}% ${elapsedS.toFixed(1)}s  sent ${sent}  accepted ${accepted}  rejected ${rejected}  errors ${error}  p50 ${p50!.toFixed(1)}ms p99 ${p99!.toFixed(1)}ms`;
}

export async function runLoad(options: LoadgenOptions): Promise<LoadStats> {
  const generator = new ActivityGenerator(options.users, options.mix);
  const stats = new LoadStats();
  const client = loadClient(options, stats);
  const start = performance.now();
  const deadline = start + options.duration * 1000;
  // Requests are scheduled on a fixed grid, so the rate holds even when some requests are slow.
  const intervalMs = options.rate === 0 ? 0 : (1000 * options.batchSize) / options.rate;
  let slot = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const due = start + slot++ * intervalMs;
      if (due >= deadline || performance.now() >= deadline) return;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      await client.sendBatch(Array.from({ length: options.batchSize }, () => generator.next()));
    }
  };
  const ticker = options.progress
    ? setInterval(
        () => process.stderr.write(`\r${progressLine(stats, (performance.now() - start) / 1000, options)}`),
        250,
      )
    : undefined;
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  if (ticker) {
    clearInterval(ticker);
    process.stderr.write(`\r${progressLine(stats, (performance.now() - start) / 1000, options)}\n`);
  }
  return stats;
}

function report(stats: LoadStats, elapsedS: number): string {
  const { sent, accepted, rejected, error } = stats.events;
  const p = stats.percentiles([50, 90, 99, 100]);
  const statuses = [...stats.byStatus.entries()].map(([s, n]) => `${s}×${n}`).join(' ');
  return [
    '| metric | value |',
    '|---|---|',
    `| events sent | ${sent} |`,
    `| accepted (202) | ${accepted} |`,
    `| rejected (4xx) | ${rejected} |`,
    `| errors (5xx, timeouts, network) | ${error} |`,
    `| requests | ${stats.requests} (${statuses}) |`,
    `| throughput | ${(accepted / elapsedS).toFixed(1)} events/s |`,
    `| latency p50 / p90 / p99 / max | ${[p['p50'], p['p90'], p['p99'], p['p100']].map((v) => `${v!.toFixed(1)} ms`).join(' / ')} |`,
  ].join('\n');
}

async function main(): Promise<number> {
  const parsed = parseLoadgenArgs(process.argv.slice(2), process.stderr.isTTY === true);
  if (parsed.help) {
    console.log(HELP);
    return 0;
  }
  if ('error' in parsed) {
    console.error(`loadgen: ${parsed.error}\n\n${HELP}`);
    return 2;
  }
  const { options } = parsed;
  console.error(
    `loadgen: ${options.url}, ${options.users} users, ${options.rate || 'max'} events/s for ${options.duration}s, batch ${options.batchSize}, concurrency ${options.concurrency}`,
  );
  const started = performance.now();
  const stats = await runLoad(options);
  console.log(report(stats, (performance.now() - started) / 1000));
  return stats.events.rejected + stats.events.error === 0 && stats.events.sent > 0 ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
