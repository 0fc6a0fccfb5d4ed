// The one leaf of the contract the page bundles (the contract's index loads node:crypto).
import { splitFunnelSteps } from '@uap/shared/insights';
import { TYPE_NAME } from './activity-types';

// A funnel as the URL and the API both write it: `PAGE_VIEW,SEARCH[metadata.query=shoes],PURCHASE`. The page
// keeps it in the funnel endpoint's own syntax, so a link shows the request it makes.

/** One step: a type, and at most one metadata equality (the builder offers one; the API takes several). */
export interface FunnelStep {
  type: string;
  where?: { path: string; value: string };
}

export const FUNNEL_STEPS = { min: 2, max: 10 } as const;

/** A metadata path as the registry declares rankable fields: `metadata.` then 1–4 identifier segments. */
export const METADATA_PATH = /^metadata(?:\.[A-Za-z_][A-Za-z0-9_]{0,63}){1,4}$/;
/**
 * What a value may not hold: the separators that end it in the API's parser (`;` and `]`; commas inside the
 * brackets belong to the value) and control characters, which the API refuses.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
const RESERVED = /[;\]\u0000-\u001f\u007f]/;
const MAX_VALUE_LENGTH = 200;

/** The windows the builder offers: ISO-8601 durations the API accepts (1 minute to 90 days). */
export const FUNNEL_WINDOWS = [
  { value: 'PT30M', label: '30 minutes' },
  { value: 'PT1H', label: '1 hour' },
  { value: 'P1D', label: '1 day' },
  { value: 'P7D', label: '7 days' },
  { value: 'P30D', label: '30 days' },
  { value: 'P90D', label: '90 days' },
] as const;
export const DEFAULT_WINDOW = 'P7D';

/** Why a step cannot be sent, or null when it can. */
export function stepProblem(step: FunnelStep): string | null {
  if (!TYPE_NAME.test(step.type)) return 'choose a type';
  if (!step.where) return null;
  if (!METADATA_PATH.test(step.where.path)) return 'the field must read like metadata.query';
  if (step.where.value === '') return 'give the value the field must equal';
  if (RESERVED.test(step.where.value)) return 'the value cannot hold ; or ] or control characters';
  if (step.where.value.length > MAX_VALUE_LENGTH) return `the value is longer than ${MAX_VALUE_LENGTH} characters`;
  return null;
}

export function formatStep(step: FunnelStep): string {
  return step.where ? `${step.type}[${step.where.path}=${step.where.value}]` : step.type;
}

export function formatSteps(steps: readonly FunnelStep[]): string {
  return steps.map(formatStep).join(',');
}

const STEP = /^([A-Z][A-Z0-9_]{0,63})(?:\[([^=\]]+)=([^\]]*)\])?$/;

/**
 * The steps a URL holds, or [] when it holds none or something the builder could not show (too many steps, a
 * step it cannot read): a hand-edited link still opens, with the builder empty.
 */
export function parseSteps(text: string | null): FunnelStep[] {
  if (!text) return [];
  const steps: FunnelStep[] = [];
  for (const part of splitFunnelSteps(text)) {
    const match = STEP.exec(part);
    if (!match) return [];
    const [, type, path, value] = match as unknown as [string, string, string | undefined, string | undefined];
    const step: FunnelStep = path === undefined ? { type } : { type, where: { path, value: value ?? '' } };
    if (stepProblem(step) !== null) return [];
    steps.push(step);
  }
  return steps.length >= FUNNEL_STEPS.min && steps.length <= FUNNEL_STEPS.max ? steps : [];
}

export function isWindow(value: string | null): value is string {
  return FUNNEL_WINDOWS.some((window) => window.value === value);
}
