import { CONFIG } from './bench-config';
import type { ParsedArgs } from '../../scripts/cli/cli-args';
import { parseStrict } from '../../scripts/cli/strict-args';

/** The `--only` stages, each alone and in about the time said; bench.ts maps each name to what runs it. */
export const ONLY_STAGES = {
  reads: 'the read shapes at growing store sizes (BENCH_READ_SIZES), a few minutes',
  stats: 'the stats request at BENCH_STATS_EVENTS, next to the first list page',
  'write-scale': 'resends, inserts, erasure and retention at BENCH_WRITE_SIZES stored events, about 10 minutes',
  soak: 'memory of the api and the worker under BENCH_SOAK_SECONDS of steady load, about 12 minutes',
  'activity-types':
    'ingest with 208 registered types against the 8 built-ins, hostile schemas during ingest, and how fast a change reaches every replica, about 5 minutes',
  insights:
    'active users, top values and funnels over BENCH_INSIGHTS_EVENTS events of 30 days and BENCH_INSIGHTS_USERS users, next to the first list page, about 5 minutes',
  access:
    'batch ingest with a sourced runtime key among 1,000 against the bootstrap key, and how fast a created or revoked key reaches another replica, about 3 minutes',
} as const;
export type StageName = keyof typeof ONLY_STAGES;

const STAGE_NAMES = Object.keys(ONLY_STAGES) as StageName[];

export interface BenchOptions {
  /** `--only`: one stage instead of the whole bench. */
  only?: StageName;
  /** `--kafka-nodes N`: the measures against a local KRaft cluster of N brokers (topics replicated min(3, N) times). */
  kafkaNodes?: number;
  /** `--report FILE`, read with `--only soak` only: a saved soak's table again, nothing started. */
  report?: string;
}

const env = (name: string, value: unknown) => `${name}=${Array.isArray(value) ? value.join(',') : String(value)}`;

export const HELP = `Usage: npm run bench [-- --only <stage>] [-- --kafka-nodes <n>]
       npm run bench -- --only soak --report bench/results/<run>.json

Measures the api and the worker against KAFKA_BROKERS and MONGO_URL (and FERRETDB_POSTGRES_URL) when set, else
against the local services (started on first use). The whole bench: ingest ceilings and costs, the pipeline, reads
on its data, end-to-end latency, and the worker's drain; a stage alone with --only. Prints a table and writes it as
JSON to bench/results/<date>.json (a stage: <date>-<stage>.json).

Stages (--only):
  ${STAGE_NAMES.map((name) => `${name.padEnd(16)} ${ONLY_STAGES[name]}`).join('\n  ')}

Options:
  --only <stage>      run this stage alone
  --kafka-nodes <n>   a KRaft cluster of n brokers (1-9); fails unless the cluster has that many
  --report <file>     with --only soak: a saved run's table again, its slopes recomputed; starts nothing
  -h, --help          this help

Sizes from the environment, as this run would use them (bench/README.md has a smoke run):
  ${env('BENCH_EVENTS', CONFIG.events)} ${env('BENCH_HTTP_SECONDS', CONFIG.httpSeconds)} ${env('BENCH_WARMUP_SECONDS', CONFIG.warmupSeconds)} ${env('BENCH_LATENCY_SECONDS', CONFIG.latencySeconds)}
  ${env('BENCH_NAIVE_SECONDS', CONFIG.naiveBudgetMs / 1000)} ${env('BENCH_READ_SAMPLES', CONFIG.readSamples)} ${env('BENCH_READ_SIZES', CONFIG.readSizes)} ${env('BENCH_READ_SCALE_SAMPLES', CONFIG.readScaleSamples)}
  ${env('BENCH_WRITE_SIZES', CONFIG.writeSizes)} ${env('BENCH_RETENTION_EVENTS', CONFIG.retentionEvents)} ${env('BENCH_STATS_EVENTS', CONFIG.statsEvents)}
  ${env('BENCH_INSIGHTS_EVENTS', CONFIG.insightsEvents)} ${env('BENCH_INSIGHTS_USERS', CONFIG.insightsUsers)}
  ${env('BENCH_SOAK_SECONDS', CONFIG.soakSeconds)} ${env('BENCH_SOAK_RATE', CONFIG.soakRate)} ${env('BENCH_SOAK_BATCH', CONFIG.soakBatchSize)} ${env('BENCH_SOAK_NODE_OPTIONS', CONFIG.soakNodeOptions)}

Exit status: 0 measured (a target not met is in the table, not here), 1 a measure failed, 2 bad options,
130 interrupted (what the run started is cleaned up first).`;

export function parseBenchArgs(argv: string[]): ParsedArgs<BenchOptions> {
  const parsed = parseStrict(argv, {
    only: { type: 'string' },
    'kafka-nodes': { type: 'string' },
    report: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (!parsed.values) return { help: false, error: parsed.error };
  const { only, 'kafka-nodes': nodes, report, help } = parsed.values;
  if (help) return { help: true };
  if (only !== undefined && !(STAGE_NAMES as string[]).includes(only)) {
    const quoted = STAGE_NAMES.map((name) => `"${name}"`);
    return { help: false, error: `--only takes ${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)} (got ${only})` };
  }
  const kafkaNodes = nodes === undefined ? undefined : Number(nodes);
  if (kafkaNodes !== undefined && (!Number.isInteger(kafkaNodes) || kafkaNodes < 1 || kafkaNodes > 9)) {
    return { help: false, error: `--kafka-nodes takes a count of 1-9 (got ${nodes})` };
  }
  return {
    help: false,
    options: {
      ...(only === undefined ? {} : { only: only as StageName }),
      ...(kafkaNodes === undefined ? {} : { kafkaNodes }),
      ...(report === undefined ? {} : { report }),
    },
  };
}
