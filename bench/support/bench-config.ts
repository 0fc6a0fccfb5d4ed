/** Sizes can be shrunk for a smoke run (BENCH_EVENTS=5000 BENCH_HTTP_SECONDS=3); the defaults are the issue's. */
export const CONFIG = {
  events: Number(process.env['BENCH_EVENTS'] ?? 200_000),
  httpSeconds: Number(process.env['BENCH_HTTP_SECONDS'] ?? 15),
  warmupSeconds: Number(process.env['BENCH_WARMUP_SECONDS'] ?? 3),
  connections: 32,
  batchSize: 100,
  latencySeconds: Number(process.env['BENCH_LATENCY_SECONDS'] ?? 15),
  naiveBudgetMs: Number(process.env['BENCH_NAIVE_SECONDS'] ?? 30) * 1000,
  readSamples: Number(process.env['BENCH_READ_SAMPLES'] ?? 3),
  /** Stored events the read shapes are measured at (`--only reads`), each size added to the previous. */
  readSizes: (process.env['BENCH_READ_SIZES'] ?? '100000,1000000').split(',').map(Number),
  readScaleSamples: Number(process.env['BENCH_READ_SCALE_SAMPLES'] ?? 21),
  /** Stored events the write path is measured at (`--only write-scale`), each size added to the previous. */
  writeSizes: (process.env['BENCH_WRITE_SIZES'] ?? '100000,1000000').split(',').map(Number),
  /** Expired events one retention measure deletes (`--only write-scale`). */
  retentionEvents: Number(process.env['BENCH_RETENTION_EVENTS'] ?? 100_000),
  /** Stored events the stats request is measured at (`--only stats`). */
  statsEvents: Number(process.env['BENCH_STATS_EVENTS'] ?? 1_000_000),
  /** Stored events, over 30 days, and distinct users the insights requests are measured at (`--only insights`). */
  insightsEvents: Number(process.env['BENCH_INSIGHTS_EVENTS'] ?? 1_000_000),
  insightsUsers: Number(process.env['BENCH_INSIGHTS_USERS'] ?? 50_000),
  /** The soak (`--only soak`): this long at this rate, in batches of this size. */
  soakSeconds: Number(process.env['BENCH_SOAK_SECONDS'] ?? 600),
  soakRate: Number(process.env['BENCH_SOAK_RATE'] ?? 1_500),
  soakBatchSize: Number(process.env['BENCH_SOAK_BATCH'] ?? 10),
  /** NODE_OPTIONS for the soak's api and worker, e.g. `--max-old-space-size=192` to cap V8's heap. */
  soakNodeOptions: process.env['BENCH_SOAK_NODE_OPTIONS'] ?? '',
  writers: 6,
  users: 1_000,
  stageTimeoutMs: 5 * 60_000,
};
