import { splitFunnelSteps, type ActivityType } from '@uap/shared/contract';
import type { FieldError } from '../domain-error';
import { INSIGHTS_LIMITS, METADATA_PATH_SOURCE, type InsightValue, type MetadataPath } from './insights-limits';

/** One step of a funnel: an event of `type` whose metadata holds every `where` value (compared as String(value)). */
export interface FunnelStep {
  type: ActivityType;
  where: ReadonlyArray<{ path: MetadataPath; value: string }>;
}

const TYPE = '[A-Z][A-Z0-9_]{0,63}';
// A value runs to the next `;` or `]`: commas inside the brackets belong to it. No control characters.
const VALUE = '[^;\\]\\u0000-\\u001f\\u007f]*';
const CONDITION = `${METADATA_PATH_SOURCE}=${VALUE}`;
const STEP = `${TYPE}(?:\\[${CONDITION}(?:;${CONDITION})*\\])?`;

/**
 * The syntax of `steps` (the document states it): comma-separated steps, `TYPE` or `TYPE[metadata.a=v;metadata.b=w]`.
 * How many steps, and which paths repeat, is checked beyond it (rule `funnel-steps`).
 */
export const STEPS_PATTERN = new RegExp(`^${STEP}(?:,${STEP})*$`);
const ONE_STEP = new RegExp(`^(${TYPE})(?:\\[(${CONDITION}(?:;${CONDITION})*)\\])?$`);
const ONE_CONDITION = new RegExp(`^(${METADATA_PATH_SOURCE})=(${VALUE})$`);

/** `SIGNUP,SEARCH[metadata.query=shoes],PURCHASE` → its steps, or the rules it breaks (all under `funnel-steps`). */
export function parseSteps(text: string): { steps: FunnelStep[] } | { errors: FieldError[] } {
  const errors: string[] = [];
  const steps: FunnelStep[] = [];
  const parts = splitFunnelSteps(text);
  parts.forEach((part, i) => {
    const match = ONE_STEP.exec(part);
    if (!match) {
      errors.push(
        `step ${i + 1} (${JSON.stringify(part.slice(0, 80))}) is not TYPE or TYPE[metadata.<path>=<value>;…]`,
      );
      return;
    }
    const where = (match[2]?.split(';') ?? []).map((condition) => {
      const [, path, value] = ONE_CONDITION.exec(condition)!;
      return { path: path as MetadataPath, value: value! };
    });
    const paths = where.map((condition) => condition.path);
    const repeated = paths.filter((path, j) => paths.indexOf(path) !== j);
    if (repeated.length > 0) errors.push(`step ${i + 1} compares ${repeated[0]} twice; name each path once per step`);
    steps.push({ type: match[1]!, where });
  });
  const { funnelMinSteps: min, funnelMaxSteps: max, funnelMaxPaths } = INSIGHTS_LIMITS;
  if (parts.length < min || parts.length > max) {
    errors.push(`a funnel has ${min} to ${max} steps; ${parts.length} given`);
  }
  const paths = new Set(steps.flatMap((step) => step.where.map((condition) => condition.path)));
  if (paths.size > funnelMaxPaths) {
    errors.push(`the steps compare ${paths.size} distinct metadata paths; at most ${funnelMaxPaths}`);
  }
  return errors.length > 0
    ? { errors: errors.map((message) => ({ path: 'steps', message, rule: 'funnel-steps' })) }
    : { steps };
}

/** Whether a stored value satisfies a step's equality: a string, number or boolean whose String() is the value. */
export function matchesStep(
  step: FunnelStep,
  type: ActivityType,
  values: Readonly<Record<string, InsightValue>>,
): boolean {
  if (type !== step.type) return false;
  for (const { path, value } of step.where) {
    const stored = Object.hasOwn(values, path) ? values[path] : undefined;
    if (stored === undefined || String(stored) !== value) return false;
  }
  return true;
}

/** The step as the answer shows it: `{ 'metadata.query': 'shoes' }`, absent without equalities. */
export function whereOf(step: FunnelStep): Record<string, string> | undefined {
  return step.where.length === 0 ? undefined : Object.fromEntries(step.where.map(({ path, value }) => [path, value]));
}
