import type { HttpTransport, QueryValue } from '@uap/client';
import { failureText } from './api.client';
import type {
  Activity,
  ActivityTypeDetail,
  ActivityTypeList,
  ActivityTypeStatus,
  ActivityTypeVersion,
  UnplannedPolicy,
  ViolationPage,
} from './api.types';
import { orderTypes, typeColors } from './activity-types';
import { actorText } from './actor';
import { byId, el, every, formatCount, formatTime, setStatus } from './dom';

const VIOLATIONS_PAGE = 10;

export type ViolationKindFilter = '' | 'unplanned' | 'flagged';
export interface ViolationFilter {
  /** One type's violations, or '' for every type's. */
  type: string;
  kind: ViolationKindFilter;
}

/**
 * The tracking plan, read-only (read scope; changes go through `npm run types` or the admin API): every type's
 * current version with its status and the event names that map to it, the policy for what is not planned, a
 * dialog per type with its event names, versions and metadata schema, and the latest violations (events let in unplanned or flagged), filtered by type and kind and
 * paged by cursor ("More violations" appends the next page). The registry is read again every 30 s.
 */
export class ActivityTypesPanel {
  private readonly body = byId<HTMLTableElement>('types-table').tBodies[0]!;
  private readonly policy = byId('types-policy');
  private readonly status = byId('types-status');
  private readonly dialog = byId<HTMLDialogElement>('type-dialog');
  private readonly typeSelect = byId<HTMLSelectElement>('violations-type');
  private readonly kindSelect = byId<HTMLSelectElement>('violations-kind');
  private readonly violations = byId<HTMLTableElement>('violations-list').tBodies[0]!;
  private readonly violationsStatus = byId('violations-status');
  private readonly more = byId<HTMLButtonElement>('violations-more');
  private readonly colorOf: (type: string) => string;
  /** Every name the page met here: the registry's and the unplanned ones the violations carry. */
  private names: string[] = [];
  private nextCursor: string | null = null;
  /** Whether "More violations" was used: a refresh then leaves the longer list alone. */
  private paged = false;
  private violationsTicket = 0;
  private dialogTicket = 0;
  private dialogType: string | null = null;
  private opener: HTMLElement | null = null;

  constructor(
    private readonly api: HttpTransport,
    private readonly builtInTypes: readonly string[],
    /** Told the registry's names, so other panels can offer them too. */
    private readonly onTypes: (types: readonly string[]) => void = () => undefined,
  ) {
    this.colorOf = typeColors(builtInTypes);
    this.body.addEventListener('click', (event) => {
      const button = (event.target as HTMLElement).closest<HTMLButtonElement>('button[data-type]');
      if (button) void this.open(button.dataset['type']!, button);
    });
    byId<HTMLFormElement>('violations-filter').addEventListener('submit', (event) => event.preventDefault());
    this.typeSelect.addEventListener('change', () => void this.loadViolations(false));
    this.kindSelect.addEventListener('change', () => void this.loadViolations(false));
    this.more.addEventListener('click', () => void this.loadViolations(true));
    byId('type-violations').addEventListener('click', () => {
      if (this.dialogType === null) return;
      this.showNames([this.dialogType]);
      this.typeSelect.value = this.dialogType;
      this.opener = this.typeSelect;
      this.dialog.close();
      void this.loadViolations(false);
    });
    // Back to where the dialog was opened from (or to the filter it set), not to the top of the page.
    this.dialog.addEventListener('close', () => {
      if (this.opener?.isConnected) this.opener.focus();
      this.opener = null;
    });
  }

  start(): () => void {
    return every(30_000, async () => {
      await this.refresh();
      if (!this.paged) await this.loadViolations(false);
    });
  }

  async refresh(): Promise<void> {
    try {
      const list = await this.api.getJson<ActivityTypeList>('/api/v1/activity-types');
      const byName = new Map(list.types.map((type) => [type.name, type]));
      const types = orderTypes(byName.keys(), this.builtInTypes).map((name) => byName.get(name)!);
      this.body.replaceChildren(...types.map((type) => this.row(type)));
      this.policy.textContent = describePolicy(list.policy);
      Object.assign(this.policy.dataset, list.policy);
      this.showNames(types.map((type) => type.name));
      this.onTypes(types.map((type) => type.name));
      setStatus(
        this.status,
        `${formatCount(types.length)} types (registry position ${formatCount(list.registryPosition)}); ` +
          'changes go through npm run types or the admin API.',
      );
    } catch (err) {
      setStatus(this.status, `Activity types unavailable: ${failureText(err)}`, 'error');
    }
  }

  /** The first page for the chosen filter, or (`more`) the page after the ones shown. */
  async loadViolations(more: boolean): Promise<void> {
    if (more && this.nextCursor === null) return;
    const ticket = ++this.violationsTicket;
    const filter: ViolationFilter = {
      type: this.typeSelect.value,
      kind: this.kindSelect.value as ViolationKindFilter,
    };
    this.more.disabled = true;
    setStatus(this.violationsStatus, 'Loading…');
    try {
      const page = await this.api.getJson<ViolationPage>(
        '/api/v1/activity-types/violations',
        violationQuery(filter, more ? this.nextCursor : null, VIOLATIONS_PAGE),
      );
      if (ticket !== this.violationsTicket) return;
      this.paged = more;
      this.nextCursor = page.page.hasMore ? page.page.nextCursor : null;
      const rows = page.data.map((event) => this.violationRow(event));
      if (more) this.violations.append(...rows);
      else this.violations.replaceChildren(...rows);
      this.showNames(page.data.map((event) => event.type));
      const shown = this.violations.querySelectorAll('tr[data-event-id]').length;
      if (shown === 0) {
        this.violations.replaceChildren(el('tr', {}, el('td', { colspan: '4' }, 'No violations.')));
      }
      setStatus(
        this.violationsStatus,
        `${formatCount(shown)} shown${this.nextCursor === null ? '' : '; more are stored'}.`,
      );
    } catch (err) {
      if (ticket !== this.violationsTicket) return;
      setStatus(this.violationsStatus, `Violations unavailable: ${failureText(err)}`, 'error');
    }
    this.more.disabled = this.nextCursor === null;
  }

  private row(type: ActivityTypeVersion): HTMLTableRowElement {
    const swatch = el('span', { class: 'swatch', 'aria-hidden': 'true' });
    swatch.style.backgroundColor = this.colorOf(type.name);
    return el(
      'tr',
      { 'data-type': type.name, 'data-status': type.status },
      el(
        'th',
        { scope: 'row' },
        el(
          'button',
          { type: 'button', class: 'link', 'data-type': type.name, 'aria-haspopup': 'dialog' },
          swatch,
          type.name,
        ),
      ),
      el('td', { 'data-version': String(type.version) }, `v${type.version}`),
      el('td', {}, statusBadge(type.status)),
      el(
        'td',
        { class: 'description' },
        type.description,
        hasEventNames(type) ? el('span', { class: 'event-names' }, eventNamesText(type)) : null,
      ),
      el('td', {}, el('time', { datetime: type.createdAt }, formatTime(type.createdAt)), ` by ${type.createdBy}`),
    );
  }

  private violationRow(event: Activity): HTMLTableRowElement {
    return el(
      'tr',
      { 'data-event-id': event.eventId, 'data-type': event.type },
      el('td', {}, el('time', { datetime: event.occurredAt }, formatTime(event.occurredAt))),
      el('td', {}, event.type),
      el('td', {}, actorText(event)),
      el('td', { class: 'error-text' }, violationSummary(event)),
    );
  }

  private async open(name: string, opener: HTMLElement): Promise<void> {
    const ticket = ++this.dialogTicket;
    const schema = byId('type-schema');
    const status = byId('type-dialog-status');
    const versions = byId<HTMLTableElement>('type-versions').tBodies[0]!;
    this.dialogType = name;
    this.opener = opener;
    byId('type-dialog-title').textContent = `Activity type ${name}`;
    byId('type-dialog-description').textContent = '';
    byId('type-event-names').textContent = '';
    byId('type-rankable-fields').textContent = '';
    byId('type-schema-title').textContent = 'Metadata schema';
    versions.replaceChildren();
    schema.textContent = '';
    setStatus(status, 'Loading…');
    if (!this.dialog.open) this.dialog.showModal();
    try {
      const type = await this.api.getJson<ActivityTypeDetail>(`/api/v1/activity-types/${encodeURIComponent(name)}`);
      if (ticket !== this.dialogTicket) return;
      byId('type-dialog-description').textContent = type.description || '(no description)';
      byId('type-event-names').textContent = eventNamesText(type);
      byId('type-rankable-fields').textContent = rankableFieldsText(type);
      versions.replaceChildren(
        ...type.versions.map((version) =>
          el(
            'tr',
            { 'data-version': String(version.version) },
            el('th', { scope: 'row' }, `v${version.version}`),
            el('td', {}, statusBadge(version.status)),
            el('td', {}, el('time', { datetime: version.createdAt }, formatTime(version.createdAt))),
            el('td', {}, version.createdBy),
          ),
        ),
      );
      byId('type-schema-title').textContent = `Metadata schema of v${type.version} (current)`;
      schema.textContent = JSON.stringify(type.metadataSchema, null, 2);
      setStatus(status, `v${type.version}, ${type.status}; ${formatCount(type.versions.length)} versions.`);
    } catch (err) {
      if (ticket === this.dialogTicket) setStatus(status, failureText(err), 'error');
    }
  }

  /** Offers these names in the violations' type filter too, keeping the choice. */
  private showNames(names: readonly string[]): void {
    const next = orderTypes([...this.names, ...names], this.builtInTypes);
    if (next.length === this.names.length) return;
    this.names = next;
    const chosen = this.typeSelect.value;
    this.typeSelect.replaceChildren(
      el('option', { value: '' }, 'all types'),
      ...next.map((name) => el('option', { value: name }, name)),
    );
    this.typeSelect.value = chosen;
  }
}

function statusBadge(status: ActivityTypeStatus): HTMLElement {
  return el('span', { class: `type-status ${status}`, 'data-status': status }, status);
}

const UNKNOWN_TYPES: Readonly<Record<UnplannedPolicy['unknownTypes'], string>> = {
  reject: 'refused with a 400',
  'dead-letter': 'sent to the dead letters',
  accept: 'stored, marked planned: false, and listed below',
};
const INVALID_METADATA: Readonly<Record<UnplannedPolicy['invalidMetadata'], string>> = {
  reject: 'refused with a 400 naming each pointer',
  'accept-and-flag': 'stored, flagged with its violations, and listed below',
};

/** The policy for what is not planned, in words: the rule's name and what it does with such an event. */
export function describePolicy(policy: UnplannedPolicy): string {
  return (
    `Unplanned types: ${policy.unknownTypes} (${UNKNOWN_TYPES[policy.unknownTypes]}). ` +
    `Metadata that breaks its schema: ${policy.invalidMetadata} (${INVALID_METADATA[policy.invalidMetadata]}).`
  );
}

/** A type as this panel reads its event names; the list, the detail and every version carry them when set. */
type EventNamed = Pick<ActivityTypeVersion, 'name' | 'status'> & { eventNames?: readonly string[] | undefined };

/**
 * Which Segment `track` events map to the type: its event names, quoted as sent, or else the rule that maps the
 * rest (the event name in UPPER_SNAKE). A retired type holds no name, so its names are said to be free.
 */
export function eventNamesText(type: EventNamed): string {
  const names = type.eventNames ?? [];
  if (names.length === 0) {
    return `Event names: none (a Segment track event maps here when its name in UPPER_SNAKE is ${type.name})`;
  }
  const listed = names.map((name) => JSON.stringify(name)).join(', ');
  return type.status === 'retired' ? `Event names: ${listed} (free while retired)` : `Event names: ${listed}`;
}

function hasEventNames(type: EventNamed): boolean {
  return (type.eventNames ?? []).length > 0;
}

/** The metadata paths the insights' top values may rank for the type (ActivityTypeVersion.rankableFields). */
export function rankableFieldsText(
  type: Pick<ActivityTypeVersion, 'name'> & { rankableFields?: readonly string[] | undefined },
): string {
  const fields = type.rankableFields ?? [];
  return fields.length === 0
    ? 'Rankable fields: none (top values of its metadata cannot be asked for)'
    : `Rankable fields: ${fields.join(', ')}`;
}

/** What an accepted event broke: "unplanned", or each pointer with its message (the first `max`, then a count). */
export function violationSummary(event: Pick<Activity, 'planned' | 'violations'>, max = 3): string {
  const parts: string[] = event.planned === false ? ['unplanned'] : [];
  const violations = event.violations ?? [];
  for (const violation of violations.slice(0, max))
    parts.push(`${violation.pointer || '(event)'} ${violation.message}`);
  if (violations.length > max) parts.push(`and ${formatCount(violations.length - max)} more`);
  return parts.join('; ') || 'none recorded';
}

/** The violations listing's query: only what is chosen, and the cursor of the page before when there is one. */
export function violationQuery(
  filter: ViolationFilter,
  cursor: string | null,
  limit: number,
): Record<string, QueryValue> {
  return {
    ...(filter.type ? { type: filter.type } : {}),
    ...(filter.kind ? { kind: filter.kind } : {}),
    limit,
    ...(cursor === null ? {} : { cursor }),
  };
}
