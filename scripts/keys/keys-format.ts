import type { UapHttpError } from '@uap/client';
import { refusalLines } from '../cli/cli-api';
import { cell } from '../cli/cli-io';
import type { Actor, CreatedKey, KeyView, RevokedKey, RotatedKey, SourceChange, SourceView } from './keys-client';

const PROGRAM = 'keys';
const ADMIN_KEY = 'managing keys and sources needs an API key with the admin scope';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** An instant to the second, as the other CLIs print them. */
function instant(iso: string | null, none = '-'): string {
  return iso === null ? none : iso.replace(/\.\d+Z$/, 'Z');
}

/** How a key is named: its prefix, or for an API_KEYS entry its id (12 hex digits of its hash). */
export function keyName(key: Pick<KeyView, 'id' | 'prefix'>): string {
  return key.prefix ?? key.id;
}

function statusText(key: KeyView): string {
  if (key.status === 'expiring') return `rotated, works until ${instant(key.endsAt)}`;
  return key.origin === 'bootstrap' && key.status === 'active' ? 'active (API_KEYS)' : key.status;
}

const KEY_COLUMNS: Array<[title: string, width: number, value: (k: KeyView) => string]> = [
  ['PREFIX', 21, keyName],
  ['LABEL', 20, (k) => k.label],
  ['SCOPES', 17, (k) => k.scopes.join('+')],
  ['SOURCE', 12, (k) => k.sourceId ?? '-'],
  ['CREATED', 20, (k) => instant(k.createdAt)],
  ['LAST USED', 20, (k) => instant(k.lastUsedAt, 'never')],
  ['EXPIRES', 20, (k) => instant(k.expiresAt, 'never')],
];

const KEY_STATUS_ORDER: ReadonlyArray<[KeyView['status'], string]> = [
  ['active', 'active'],
  ['expiring', 'rotated in grace'],
  ['expired', 'expired'],
  ['revoked', 'revoked'],
];

export function formatKeyList(keys: readonly KeyView[]): string {
  if (keys.length === 0) return 'no keys match';
  const row = (cells: string[], status: string) => [...cells, status].join('  ').trimEnd();
  const counts = KEY_STATUS_ORDER.map(
    ([status, word]) => [keys.filter((k) => k.status === status).length, word] as const,
  )
    .filter(([n]) => n > 0)
    .map(([n, word]) => `${n} ${word}`);
  return [
    row(
      KEY_COLUMNS.map(([title, width]) => cell(title, width)),
      'STATUS',
    ),
    ...keys.map((key) =>
      row(
        KEY_COLUMNS.map(([, width, value]) => cell(value(key), width)),
        statusText(key),
      ),
    ),
    `${plural(keys.length, 'key')}: ${counts.join(', ')}`,
  ].join('\n');
}

export function actorText(actor: Actor | null): string {
  if (actor === null) return '-';
  if (actor.keyId === null) return 'no key (the api ran without API_KEYS)';
  return actor.label === null ? actor.keyId : `${actor.label} (${actor.keyId})`;
}

export function formatKey(key: KeyView): string {
  const lines = [
    `${keyName(key)}  "${key.label}"  ${statusText(key)}`,
    `  scopes      ${key.scopes.join(', ')}`,
    `  source      ${key.sourceId ?? 'none'}`,
    key.origin === 'bootstrap'
      ? '  origin      API_KEYS (the configuration): rotate or revoke it there'
      : `  created     ${instant(key.createdAt)} by ${actorText(key.createdBy)}`,
    `  last used   ${instant(key.lastUsedAt, 'never')}`,
    `  expires     ${instant(key.expiresAt, 'never')}`,
  ];
  if (key.revokedAt !== null) lines.push(`  revoked     ${instant(key.revokedAt)}`);
  if (key.rotatedFrom !== null) lines.push(`  rotated from uapk_${key.rotatedFrom}`);
  if (key.successorId !== null) {
    lines.push(`  rotated to  uapk_${key.successorId}; this key ${graceText(key)}`);
  }
  return lines.join('\n');
}

function graceText(key: KeyView): string {
  return key.status === 'expiring' ? `works until ${instant(key.endsAt)}` : `ended ${instant(key.endsAt)}`;
}

function keySummary(key: KeyView): string {
  return (
    `scopes ${key.scopes.join('+')}, ${key.sourceId === null ? 'no source' : `source ${key.sourceId}`}, ` +
    `expires ${instant(key.expiresAt, 'never')}`
  );
}

const SHOWN_ONCE = 'key above is shown this once: store it now (the API keeps only its hash)';

/** What create says on stderr; the key itself went alone to stdout. */
export function createdLines(created: CreatedKey): string[] {
  const { key } = created;
  return [`${PROGRAM}: created ${keyName(key)} "${key.label}": ${keySummary(key)}`, `${PROGRAM}: the ${SHOWN_ONCE}`];
}

/** What rotate says on stderr: the successor, and until when the old key still works. */
export function rotatedLines(rotated: RotatedKey, graceSeconds: number | undefined): string[] {
  const { key, previous, inForceBy } = rotated;
  const old =
    graceSeconds === 0
      ? `${keyName(previous)} is refused from now on (on every replica by ${instant(inForceBy)})`
      : `${keyName(previous)} works until ${instant(previous.endsAt)}, then is refused`;
  return [
    `${PROGRAM}: rotated ${keyName(previous)} to ${keyName(key)} "${key.label}": ${keySummary(key)}`,
    `${PROGRAM}: ${old}`,
    `${PROGRAM}: the new ${SHOWN_ONCE}`,
  ];
}

export function revokedLine(revoked: RevokedKey): string {
  return (
    `revoked ${keyName(revoked.key)} "${revoked.key.label}" at ${instant(revoked.revokedAt)}: ` +
    `refused on every replica by ${instant(revoked.inForceBy)}`
  );
}

function limitText(source: Pick<SourceView, 'rateLimitPerMinute'>): string {
  return source.rateLimitPerMinute === null ? 'none' : `${source.rateLimitPerMinute}/min`;
}

function typesText(source: Pick<SourceView, 'allowedTypes'>): string {
  return source.allowedTypes === null ? 'all' : source.allowedTypes.join(',');
}

const SOURCE_COLUMNS: Array<[title: string, width: number, value: (s: SourceView) => string]> = [
  ['ID', 16, (s) => s.id],
  ['NAME', 24, (s) => s.name],
  ['STATUS', 6, (s) => s.status],
  ['RATE LIMIT', 11, limitText],
  ['KEYS', 4, (s) => String(s.keys)],
];

export function formatSourceList(sources: readonly SourceView[]): string {
  if (sources.length === 0) return 'no sources yet (sources create <id> --name <text> adds one)';
  const row = (cells: string[], types: string) => [...cells, cell(types, 70)].join('  ').trimEnd();
  const paused = sources.filter((s) => s.status === 'paused').length;
  return [
    row(
      SOURCE_COLUMNS.map(([title, width]) => cell(title, width)),
      'ALLOWED TYPES',
    ),
    ...sources.map((source) =>
      row(
        SOURCE_COLUMNS.map(([, width, value]) => cell(value(source), width)),
        typesText(source),
      ),
    ),
    `${plural(sources.length, 'source')}: ${sources.length - paused} active${paused > 0 ? `, ${paused} paused` : ''}`,
  ].join('\n');
}

function sourceSummary(source: SourceView): string {
  return (
    `${source.status}, rate limit ${limitText(source)}, ` +
    `${source.allowedTypes === null ? 'every type' : `types ${typesText(source)}`}`
  );
}

export function sourceCreatedLine(source: SourceView): string {
  return `created source ${source.id} "${source.name}": ${sourceSummary(source)}`;
}

/** What a PATCH did, in words: pause and resume say what happens to the source's events. */
export function sourceChangedLine(source: SourceView, change: SourceChange, inForceBy: string): string {
  const by = `(on every replica by ${instant(inForceBy)})`;
  if (change.status === 'paused') {
    return `source ${source.id} paused: its keys' events are refused with 403 until it is resumed ${by}`;
  }
  if (change.status === 'active') return `source ${source.id} resumed: its keys' events are accepted again ${by}`;
  return `source ${source.id} "${source.name}" changed: ${sourceSummary(source)} ${by}`;
}

/** What a refusal is about, for the hint after the problem's own lines. */
export interface RefusalContext {
  kind: 'key' | 'source';
  id?: string;
}

const HINTS: Record<string, string> = {
  'key-not-rotatable': 'only an active key rotates: create a new one instead',
  'unknown-source': 'sources list shows the sources; sources create <id> --name <text> adds one',
  'source-exists': 'sources update changes it; pause and resume change its status',
};

/** A refusal: the frame's lines (status, title, detail, fields), with a hint for the problems of keys and sources. */
export function keysRefusalLines(err: UapHttpError, context: RefusalContext): string[] {
  const lines = refusalLines(PROGRAM, err, ADMIN_KEY);
  const slug = err.problem?.type.split(':').at(-1) ?? '';
  const hint =
    HINTS[slug] ??
    (err.status === 404 && context.id !== undefined
      ? context.kind === 'key'
        ? `there is no key ${context.id}: list --status all shows every key`
        : `there is no source ${context.id}: sources list shows them`
      : undefined);
  if (hint) lines.push(`  (${hint})`);
  return lines;
}
