import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { secondHalfSlopes } from '../measures/soak.measure';
import { ROOT, describeBroker, describeStore } from './bench-context';
import { renderSoak } from './bench-report';
import { cleanup, type BenchStack } from './bench-stack';

/** What every saved result starts (and ends) with, around its measures. */
export type StageReport = {
  date: string;
  machine: { cpus: number; node: string };
  store: string;
  broker: string;
  durationS: number;
};

/**
 * Measures, then prints the table and writes the result to `bench/results/<date>-<name>.json` (`<date>.json`
 * without a name: the whole bench); cleans up the stack, measured or failed. `durationS` counts from `startedMs`.
 */
export async function measureAndSave<T extends object>(
  stack: BenchStack,
  run: { name?: string; startedMs?: number },
  measure: (stack: BenchStack) => Promise<T>,
  render: (report: StageReport & T) => string,
): Promise<void> {
  const started = run.startedMs ?? Date.now();
  try {
    const report: StageReport & T = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      store: (await describeStore(stack.client)).detail,
      broker: describeBroker(stack.services),
      ...(await measure(stack)),
      durationS: 0,
    };
    report.durationS = (Date.now() - started) / 1000;
    const dir = join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${report.date.replace(/[:.]/g, '-')}${run.name ? `-${run.name}` : ''}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(render(report));
    console.error(`[bench] wrote ${file} in ${report.durationS.toFixed(0)}s`);
  } finally {
    await cleanup(stack);
  }
}

/**
 * `--only soak --report FILE`: the soak's table again from a saved result, its slopes and idle readings computed by
 * this code from the samples (so a table stays reproducible when the way it is read changes).
 */
export function reportSavedSoak(file: string): void {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as Parameters<typeof renderSoak>[0];
  const { load } = saved.soak;
  for (const process of ['api', 'worker'] as const) {
    const memory = saved.soak[process];
    Object.assign(memory, secondHalfSlopes(memory.samples, load.durationS));
  }
  console.log(renderSoak(saved));
}
