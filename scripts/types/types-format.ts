import { ACTIVITY_TYPE_STATUSES } from '@uap/shared/activity-types';
import type { UapHttpError } from '@uap/client';
import { refusalLines } from '../cli/cli-api';
import { cell } from '../cli/cli-io';
import type { ActivityTypeVersion, TypeDetail, TypeList, UnplannedPolicy } from './types-client';

const DESCRIPTION_WIDTH = 70;
const CREATED_AT_WIDTH = 24;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function formatTypeList(list: TypeList): string {
  const width = Math.max(4, ...list.types.map((t) => t.name.length));
  const row = (name: string, version: string, status: string, description: string) =>
    [cell(name, width), cell(version, 7), cell(status, 10), cell(description, DESCRIPTION_WIDTH)].join('  ').trimEnd();
  const byStatus = ACTIVITY_TYPE_STATUSES.map((s) => [s, list.types.filter((t) => t.status === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  return [
    row('NAME', 'VERSION', 'STATUS', 'DESCRIPTION'),
    ...list.types.map((t) => row(t.name, String(t.version), t.status, t.description)),
    `${plural(list.types.length, 'type')}${byStatus.length > 0 ? `: ${byStatus.join(', ')}` : ''}`,
    `${policyText(list.policy)} (registry position ${list.registryPosition})`,
  ].join('\n');
}

export function policyText(policy: UnplannedPolicy): string {
  return `policy: unknown types ${policy.unknownTypes}, invalid metadata ${policy.invalidMetadata}`;
}

export function formatPolicy(policy: UnplannedPolicy & { registryPosition: number }, changed: boolean): string {
  return [
    ...(changed ? ['policy set for every replica:'] : []),
    `unknown types     ${policy.unknownTypes}`,
    `invalid metadata  ${policy.invalidMetadata}`,
    `(registry position ${policy.registryPosition})`,
  ].join('\n');
}

function versionRow(v: Pick<ActivityTypeVersion, 'version' | 'status' | 'createdAt' | 'createdBy'>): string {
  return [String(v.version).padStart(7), cell(v.status, 10), cell(v.createdAt, CREATED_AT_WIDTH), v.createdBy].join(
    '  ',
  );
}

/** The names a Segment `track` call may carry to get this type (a retired type holds none). */
function eventNamesLine(version: ActivityTypeVersion): string {
  const names = version.eventNames ?? [];
  if (names.length === 0) return '  event names: none (a track call maps here by its name in UPPER_SNAKE)';
  const listed = names.map((name) => JSON.stringify(name)).join(', ');
  return version.status === 'retired'
    ? `  event names: ${listed} (free while it is retired)`
    : `  event names: ${listed}`;
}

/** The metadata paths GET /api/v1/insights/top may rank for this type. */
function rankableFieldsLine(version: ActivityTypeVersion): string {
  const fields = version.rankableFields ?? [];
  return `  rankable fields: ${fields.length === 0 ? 'none' : fields.join(', ')}`;
}

export function formatTypeDetail(detail: TypeDetail): string {
  return [
    `${detail.name}  version ${detail.version}, ${detail.status}`,
    ...(detail.description ? [`  ${detail.description}`] : []),
    `  made ${detail.createdAt} by ${detail.createdBy}; registry position ${detail.registryPosition}`,
    eventNamesLine(detail),
    rankableFieldsLine(detail),
    '',
    ['VERSION', cell('STATUS', 10), cell('CREATED AT', CREATED_AT_WIDTH), 'CREATED BY'].join('  '),
    ...detail.versions.map(versionRow),
    '',
    `metadata schema (version ${detail.version}):`,
    JSON.stringify(detail.metadataSchema, null, 2),
  ].join('\n');
}

/** What apply did to one type: `changed` is a new version; `unchanged` is the same as the current one. */
export interface ApplyOutcome {
  name: string;
  outcome: 'created' | 'changed' | 'unchanged';
  version: number;
  status: string;
  /** The version read before the change (changed, unchanged). */
  previous?: { version: number; status: string };
}

export function applyLine(result: ApplyOutcome, nameWidth: number): string {
  const name = result.name.padEnd(nameWidth);
  switch (result.outcome) {
    case 'created':
      return `${name}  created, version ${result.version}${result.status === 'active' ? '' : ` (${result.status})`}`;
    case 'unchanged':
      return `${name}  unchanged, version ${result.version}`;
    case 'changed': {
      const was = result.previous;
      const status = was && was.status !== result.status ? `, now ${result.status}` : '';
      return `${name}  new version ${result.version}${was ? ` (was ${was.version}${status})` : ''}`;
    }
  }
}

export function applySummary(results: readonly ApplyOutcome[]): string {
  const count = (outcome: ApplyOutcome['outcome']) => results.filter((r) => r.outcome === outcome).length;
  return `${plural(results.length, 'type')}: ${count('created')} created, ${plural(count('changed'), 'new version')}, ${count('unchanged')} unchanged`;
}

/** Why apply stopped, and where that leaves the registry: the types before the refused one stay applied. */
export function stoppedLines(name: string, index: number, planned: readonly string[]): string[] {
  const after = planned.length - index - 1;
  const before =
    index === 0
      ? 'nothing was applied before it'
      : index === 1
        ? 'the type before it stays applied'
        : `the ${index} types before it stay applied`;
  return [
    `types: stopped at ${name} (${index + 1} of ${planned.length}): ${before}` +
      (after > 0
        ? `; ${after === 1 ? 'the one' : `the ${after}`} after it ${after === 1 ? 'was' : 'were'} not tried`
        : '') +
      '.',
    ...(index > 0 ? ['  Fix it and apply the file again: the types already applied come back unchanged.'] : []),
  ];
}

export interface RefusalContext {
  /** The type the refused request was about. */
  name?: string;
  /** What kind of key the command needs, said on 401 and 403. */
  needs: string;
  /** apply: a 409 can be overridden with --breaking. */
  breakable?: boolean;
}

/**
 * A refusal from the registry: the frame's lines (status, title, detail, fields), except that a refused
 * change (409) lists each incompatibility, and a lost update (412, 428) says to read the type again.
 */
export function typeRefusalLines(err: UapHttpError, context: RefusalContext): string[] {
  const { name = 'the type', needs, breakable = false } = context;
  const errors = err.problem?.errors ?? [];
  const changes = errors.filter((e) => e.path === 'metadataSchema').map((e) => e.message);
  const claimed = errors.filter((e) => e.path.startsWith('eventNames')).map((e) => e.message);
  if (err.status === 409 && claimed.length > 0) {
    return [
      `types: HTTP 409 ${err.problem?.title ?? 'Conflict'}: ${name} claims event names another type holds:`,
      ...claimed.map((message) => `  - ${message}`),
      '  (take each out of the type that holds it, or retire that type, first; or leave it out of this one)',
    ];
  }
  if (err.status === 409 && changes.length > 0) {
    return [
      `types: HTTP 409 ${err.problem?.title ?? 'Conflict'}: the new schema of ${name} would refuse events its current version accepts:`,
      ...changes.map((change) => `  - ${change}`),
      ...(breakable
        ? ['  (if that is meant, apply with --breaking: clients that send the old shape will then be refused)']
        : []),
    ];
  }
  const lines = refusalLines('types', err, needs);
  if (err.status === 412) {
    lines.push(
      `  (${name} changed since it was read: run the command again to re-read it; show ${name} says what changed)`,
    );
  } else if (err.status === 428) {
    lines.push(`  (${name} was created by someone else since it was read: run the command again to re-read it)`);
  }
  return lines;
}
