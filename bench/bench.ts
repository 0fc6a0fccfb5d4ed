/**
 * `npm run bench`: the whole bench, or one `--only` stage; `--help` for the flags and sizes. The stack's lifecycle
 * is in support/bench-stack.ts, each measure in measures/<name>.measure.ts, the tables in support/bench-report.ts.
 */
import { accessAtScale } from './measures/access.measure';
import { activityTypesAtScale } from './measures/activity-types.measure';
import { drain } from './measures/drain.measure';
import { ingestCeilings } from './measures/ingest.measure';
import { insightsAtScale } from './measures/insights.measure';
import { pipelineAndReads } from './measures/pipeline.measure';
import { readsAtScale } from './measures/reads.measure';
import { soak } from './measures/soak.measure';
import { statsAtScale } from './measures/stats.measure';
import { writeScale } from './measures/write-scale.measure';
import { CONFIG } from './support/bench-config';
import { HELP, parseBenchArgs, type StageName } from './support/bench-options';
import {
  renderAccess,
  renderActivityTypes,
  renderInsightsAtScale,
  renderMarkdown,
  renderReadsAtScale,
  renderSoak,
  renderStatsAtScale,
  renderWriteScale,
} from './support/bench-report';
import { measureAndSave, reportSavedSoak, type StageReport } from './support/bench-results';
import { openStack, type BenchStack } from './support/bench-stack';
import { usageExitCode } from '../scripts/cli/strict-args';

/** One `--only` stage: its measure under its own key of the report, and the table that renders it. */
const stage =
  <T extends object>(measure: (stack: BenchStack) => Promise<T>, render: (report: StageReport & T) => string) =>
  (stack: BenchStack, name: StageName) =>
    measureAndSave(stack, { name }, measure, render);

/** `--only <stage>`: each stage alone, written to `bench/results/<date>-<stage>.json`. */
const STAGES: Record<StageName, (stack: BenchStack, name: StageName) => Promise<void>> = {
  reads: stage(async (stack) => ({ readsAtScale: await readsAtScale(stack) }), renderReadsAtScale),
  stats: stage(async (stack) => ({ statsAtScale: await statsAtScale(stack) }), renderStatsAtScale),
  'write-scale': stage(async (stack) => ({ writeScale: await writeScale(stack) }), renderWriteScale),
  soak: stage(async (stack) => ({ soak: await soak(stack) }), renderSoak),
  'activity-types': stage(async (stack) => ({ activityTypes: await activityTypesAtScale(stack) }), renderActivityTypes),
  insights: stage(async (stack) => ({ insightsAtScale: await insightsAtScale(stack) }), renderInsightsAtScale),
  access: stage(async (stack) => ({ access: await accessAtScale(stack) }), renderAccess),
};

/** The whole bench, in this order; its duration counts from the start of the process (build included). */
function runAll(stack: BenchStack, startedMs: number): Promise<void> {
  return measureAndSave(
    stack,
    { startedMs },
    async (stack) => ({
      config: CONFIG,
      ingest: await ingestCeilings(stack),
      ...(await pipelineAndReads(stack)),
      drain: await drain(stack),
    }),
    renderMarkdown,
  );
}

async function main(): Promise<void> {
  const started = Date.now();
  const args = parseBenchArgs(process.argv.slice(2));
  if (!('options' in args)) {
    process.exitCode = usageExitCode('bench', args, HELP);
    return;
  }
  const { only, report, kafkaNodes } = args.options;
  if (only === 'soak' && report !== undefined) return reportSavedSoak(report);
  const stack = await openStack(kafkaNodes === undefined ? {} : { kafkaNodes });
  return only ? STAGES[only](stack, only) : runAll(stack, started);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
