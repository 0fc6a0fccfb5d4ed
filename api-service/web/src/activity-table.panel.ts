import type { HttpTransport } from '@uap/client';
import { failureText } from './api.client';
import type { Activity, ActivityDetail, ActivityPage, ReceiptStatus } from './api.types';
import { orderTypes } from './activity-types';
import { byId, el, formatCount, formatTime, fromLocalInput, setStatus, toLocalInput } from './dom';
import { listQuery, type DashboardState } from './url-state';
import { actorText } from './actor';

const PAGE_SIZE = 25;

/**
 * The table of stored activities: filters (userId, types, range) and the page's cursor live in the URL
 * (the caller owns it: `navigate`), pages follow the list endpoint's cursors. A row opens the event by
 * eventId with its receipt (GET /api/v1/receipts/{receipt}): persisted, where, and when. The type choices
 * start with the built-ins and grow with every type the page meets (addTypes): types are defined at runtime.
 */
export class ActivityTablePanel {
  /** Cursors of the pages before this one, for "Previous page" (a reload starts a new trail). */
  private trail: Array<string | null> = [];
  private nextCursor: string | null = null;
  private state: DashboardState | undefined;
  private readonly form = byId<HTMLFormElement>('filters');
  private readonly body = byId<HTMLTableElement>('activity-table').tBodies[0]!;
  private readonly status = byId('table-status');
  private readonly dialog = byId<HTMLDialogElement>('event-dialog');

  private types: string[] = [];

  constructor(
    private readonly api: HttpTransport,
    private readonly builtInTypes: readonly string[],
    private readonly navigate: (change: Partial<DashboardState>, how: 'push' | 'replace') => void,
  ) {
    this.addTypes(builtInTypes);
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.trail = [];
      this.navigate({ ...this.readForm(), cursor: null }, 'push');
    });
    byId('filters-clear').addEventListener('click', () => {
      this.trail = [];
      this.navigate({ userId: '', types: [], from: null, to: null, cursor: null }, 'push');
    });
    byId('page-first').addEventListener('click', () => {
      this.trail = [];
      this.navigate({ cursor: null }, 'push');
    });
    byId('page-next').addEventListener('click', () => {
      if (!this.nextCursor || !this.state) return;
      this.trail.push(this.state.cursor);
      this.navigate({ cursor: this.nextCursor }, 'push');
    });
    byId('page-prev').addEventListener('click', () => {
      if (this.trail.length === 0) return;
      this.navigate({ cursor: this.trail.pop() ?? null }, 'push');
    });
    this.body.addEventListener('click', (event) => {
      const button = (event.target as HTMLElement).closest<HTMLButtonElement>('button[data-event-id]');
      if (button) void this.open(button.dataset['eventId']!);
    });
  }

  /** Offers these types as filter choices too (in the stats' order), keeping what is ticked. */
  addTypes(types: readonly string[]): void {
    const next = orderTypes([...this.types, ...types], this.builtInTypes);
    if (next.length === this.types.length) return;
    this.types = next;
    const box = byId('filter-types');
    const ticked = new Set(
      [...box.querySelectorAll<HTMLInputElement>('input[name="type"]:checked')].map((input) => input.value),
    );
    for (const label of box.querySelectorAll('label')) label.remove();
    for (const type of next) {
      const input = el('input', { type: 'checkbox', name: 'type', value: type });
      input.checked = ticked.has(type);
      box.append(el('label', {}, input, ` ${type}`));
    }
  }

  /** Shows the state's filters in the form and loads its page. */
  async show(state: DashboardState): Promise<void> {
    this.state = state;
    this.addTypes(state.types);
    this.writeForm(state);
    setStatus(this.status, 'Loading…');
    try {
      const page = await this.api.getJson<ActivityPage>('/api/v1/activities', listQuery(state, PAGE_SIZE));
      // The table pages by cursor, so the answer carries the cursor page, never the offset one.
      this.nextCursor = page.page.hasMore && 'nextCursor' in page.page ? page.page.nextCursor : null;
      this.body.replaceChildren(...page.data.map((activity) => this.row(activity)));
      this.addTypes(page.data.map((activity) => activity.type));
      setStatus(
        this.status,
        page.data.length === 0
          ? 'No stored activity matches these filters.'
          : `${formatCount(page.data.length)} activities on this page${page.page.hasMore ? '; more on the next' : ''}.`,
      );
    } catch (err) {
      this.nextCursor = null;
      this.body.replaceChildren();
      setStatus(this.status, failureText(err), 'error');
    }
    byId<HTMLButtonElement>('page-next').disabled = this.nextCursor === null;
    byId<HTMLButtonElement>('page-prev').disabled = this.trail.length === 0;
    byId<HTMLButtonElement>('page-first').disabled = state.cursor === null;
  }

  private row(activity: Activity): HTMLTableRowElement {
    return el(
      'tr',
      { 'data-event-id': activity.eventId },
      el('td', {}, el('time', { datetime: activity.occurredAt }, formatTime(activity.occurredAt))),
      el('td', {}, activity.type),
      el('td', {}, actorText(activity)),
      el(
        'td',
        {},
        el(
          'button',
          {
            type: 'button',
            class: 'link',
            'data-event-id': activity.eventId,
            'aria-label': `Open event ${activity.eventId}`,
          },
          activity.eventId.slice(0, 8),
        ),
      ),
    );
  }

  private async open(eventId: string): Promise<void> {
    const json = byId('event-json');
    const receipt = byId('event-receipt');
    byId('event-dialog-title').textContent = `Event ${eventId}`;
    json.textContent = 'Loading…';
    receipt.textContent = '';
    if (!this.dialog.open) this.dialog.showModal();
    try {
      const activity = await this.api.getJson<ActivityDetail>(`/api/v1/activities/${encodeURIComponent(eventId)}`);
      json.textContent = JSON.stringify(activity, null, 2);
      if (!activity.receipt) {
        receipt.textContent = 'No receipt: this event was stored before the worker recorded topic positions.';
        return;
      }
      const status = await this.api.getJson<ReceiptStatus>(`/api/v1/receipts/${encodeURIComponent(activity.receipt)}`);
      receipt.dataset['status'] = status.status;
      receipt.textContent = describeReceipt(status);
    } catch (err) {
      setStatus(receipt, failureText(err), 'error');
      if (json.textContent === 'Loading…') json.textContent = '';
    }
  }

  private readForm(): Pick<DashboardState, 'userId' | 'types' | 'from' | 'to'> {
    const data = new FormData(this.form);
    return {
      userId: String(data.get('userId') ?? '').trim(),
      types: data.getAll('type').map(String),
      from: fromLocalInput(String(data.get('from') ?? '')),
      to: fromLocalInput(String(data.get('to') ?? '')),
    };
  }

  private writeForm(state: DashboardState): void {
    byId<HTMLInputElement>('filter-user').value = state.userId;
    byId<HTMLInputElement>('filter-from').value = toLocalInput(state.from);
    byId<HTMLInputElement>('filter-to').value = toLocalInput(state.to);
    for (const box of this.form.querySelectorAll<HTMLInputElement>('input[name="type"]')) {
      box.checked = state.types.includes(box.value);
    }
  }
}

function describeReceipt(status: ReceiptStatus): string {
  const where = `${status.topic} partition ${status.partition}, offset ${status.offset}`;
  switch (status.status) {
    case 'persisted':
      return `Persisted${status.persistedAt ? ` at ${formatTime(status.persistedAt)}` : ''} (accepted ${formatTime(status.acceptedAt)}; ${where}).`;
    case 'duplicate':
      return `Duplicate: another copy was stored (${where}).`;
    case 'dead_lettered':
      return `Dead-lettered: ${status.reason ?? 'unknown reason'} (${where}).`;
    default:
      return `Pending: ${status.behind ?? 0} messages ahead of it (${where}).`;
  }
}
