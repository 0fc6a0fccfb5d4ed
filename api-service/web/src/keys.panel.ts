import type { HttpTransport } from '@uap/client';
import { failureText } from './api.client';
import type {
  ChangedSource,
  CreatedKey,
  KeyList,
  KeyStatusFilter,
  KeyView,
  RevokedKey,
  RotatedKey,
  SourceList,
  SourceView,
} from './api.types';
import { byId, el, every, formatCount, formatTime, fromLocalInput, setStatus } from './dom';
import {
  allowedTypesText,
  countedSinceText,
  createKeyRequest,
  GRACE_CHOICES,
  KEY_STATUS_FILTERS,
  KEY_STATUS_LABELS,
  keyActions,
  keyName,
  keyStatusText,
  rateLimitText,
  rotateRequest,
  sourceCountCells,
} from './keys';

/** What the confirmation dialog asks, and what runs once it is confirmed. */
interface Confirmation {
  title: string;
  description: string;
  confirm: string;
  /** Rotation asks how long the old key keeps working. */
  grace: boolean;
  run: (grace: string) => Promise<void>;
}

/**
 * API keys and sources (admin scope; the section is hidden from other keys). Lists the keys by status (kept in the
 * URL: the caller owns it, `navigate`) and the sources; creates a key, rotates one (how long the old one keeps
 * working is asked) and revokes one (after a confirmation); pauses and resumes a source.
 *
 * A new key's secret exists in the page only while its dialog is open: it is shown there once, with a copy
 * button, and removed from the DOM and from this object when the dialog closes. It never goes into the URL,
 * into storage, or into a status line. Keys and sources are read again every 30 s.
 */
export class KeysPanel {
  private readonly body = byId<HTMLTableElement>('keys-table').tBodies[0]!;
  private readonly status = byId('keys-status');
  private readonly actionStatus = byId('keys-action-status');
  private readonly filter = byId<HTMLSelectElement>('keys-filter-status');
  private readonly createForm = byId<HTMLFormElement>('key-create');
  private readonly createStatus = byId('key-create-status');
  private readonly sourceSelect = byId<HTMLSelectElement>('key-source');
  private readonly sourcesBody = byId<HTMLTableElement>('sources-table').tBodies[0]!;
  private readonly sourcesStatus = byId('sources-status');
  private readonly countedSince = byId('sources-counted-since');
  private readonly secretDialog = byId<HTMLDialogElement>('key-secret-dialog');
  private readonly secretNode = byId('key-secret');
  private readonly copied = byId('key-secret-copied');
  private readonly confirmDialog = byId<HTMLDialogElement>('key-confirm-dialog');
  private readonly grace = byId<HTMLSelectElement>('key-grace');
  private keys = new Map<string, KeyView>();
  private sources = new Map<string, SourceView>();
  private shown: KeyStatusFilter = 'active';
  private listTicket = 0;
  /** The secret while its dialog is open; null otherwise. */
  private secret: string | null = null;
  private confirmation: Confirmation | null = null;
  /** Where focus goes back to when a dialog closes (a selector: the rows are redrawn meanwhile). */
  private returnTo = '#keys-filter-status';

  constructor(
    private readonly api: HttpTransport,
    /** The key this page uses: its row says so, and revoking it warns that the page will be refused. */
    private readonly ownKeyId: string | null,
    private readonly navigate: (change: { keys: KeyStatusFilter }, how: 'push' | 'replace') => void,
  ) {
    this.filter.replaceChildren(
      ...KEY_STATUS_FILTERS.map((status) => el('option', { value: status }, KEY_STATUS_LABELS[status])),
    );
    this.grace.replaceChildren(...GRACE_CHOICES.map((choice) => el('option', { value: choice.value }, choice.label)));
    byId<HTMLFormElement>('keys-filter').addEventListener('submit', (event) => event.preventDefault());
    this.filter.addEventListener('change', () =>
      this.navigate({ keys: this.filter.value as KeyStatusFilter }, 'replace'),
    );
    this.body.addEventListener('click', (event) => {
      const button = (event.target as HTMLElement).closest<HTMLButtonElement>('button[data-key-id]');
      const key = button && this.keys.get(button.dataset['keyId']!);
      if (key) this.askAbout(key, button.dataset['action'] as 'rotate' | 'revoke');
    });
    this.sourcesBody.addEventListener('click', (event) => {
      const button = (event.target as HTMLElement).closest<HTMLButtonElement>('button[data-source-id]');
      const source = button && this.sources.get(button.dataset['sourceId']!);
      if (source) this.toggle(source);
    });
    this.createForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.create();
    });
    byId('key-secret-copy').addEventListener('click', () => void this.copy());
    this.secretDialog.addEventListener('close', () => {
      this.secretNode.replaceChildren();
      this.secret = null;
      this.copied.textContent = '';
      this.restoreFocus();
    });
    this.confirmDialog.addEventListener('close', () => {
      const confirmation = this.confirmation;
      this.confirmation = null;
      if (confirmation && this.confirmDialog.returnValue === 'confirm') void confirmation.run(this.grace.value);
      if (!this.secretDialog.open) this.restoreFocus();
    });
  }

  /** Lists the keys with this status, then reads keys and sources again every 30 s. */
  start(status: KeyStatusFilter): () => void {
    this.shown = status;
    this.filter.value = status;
    return every(30_000, () => this.refresh());
  }

  /** A new state (a change of the filter, Back): lists again when the status shown changes. */
  show(status: KeyStatusFilter): void {
    this.filter.value = status;
    if (status === this.shown) return;
    this.shown = status;
    void this.loadKeys();
  }

  async refresh(): Promise<void> {
    await Promise.all([this.loadKeys(), this.loadSources()]);
  }

  private async loadKeys(): Promise<void> {
    const ticket = ++this.listTicket;
    const status = this.shown;
    try {
      const { keys } = await this.api.getJson<KeyList>('/api/v1/keys', { status });
      if (ticket !== this.listTicket) return;
      this.keys = new Map(keys.map((key) => [key.id, key]));
      this.body.replaceChildren(...keys.map((key) => this.keyRow(key)));
      if (keys.length === 0) {
        this.body.replaceChildren(el('tr', {}, el('td', { colspan: '9' }, `No ${KEY_STATUS_LABELS[status]}.`)));
      }
      setStatus(this.status, `${formatCount(keys.length)} ${KEY_STATUS_LABELS[status]}.`);
    } catch (err) {
      if (ticket === this.listTicket) setStatus(this.status, `Keys unavailable: ${failureText(err)}`, 'error');
    }
  }

  private async loadSources(): Promise<void> {
    try {
      const { sources } = await this.api.getJson<SourceList>('/api/v1/sources');
      this.sources = new Map(sources.map((source) => [source.id, source]));
      this.sourcesBody.replaceChildren(...sources.map((source) => this.sourceRow(source)));
      if (sources.length === 0) {
        this.sourcesBody.replaceChildren(
          el('tr', {}, el('td', { colspan: '9' }, 'No sources yet (npm run keys -- sources create adds one).')),
        );
      }
      this.countedSince.textContent = countedSinceText(sources, formatTime);
      const chosen = this.sourceSelect.value;
      this.sourceSelect.replaceChildren(
        el('option', { value: '' }, 'none'),
        ...sources.map((source) => el('option', { value: source.id }, `${source.id} (${source.name})`)),
      );
      this.sourceSelect.value = this.sources.has(chosen) ? chosen : '';
    } catch (err) {
      setStatus(this.sourcesStatus, `Sources unavailable: ${failureText(err)}`, 'error');
    }
  }

  private keyRow(key: KeyView): HTMLTableRowElement {
    const when = (iso: string | null, none: string) =>
      iso === null ? none : el('time', { datetime: iso }, formatTime(iso));
    const own = key.id === this.ownKeyId;
    return el(
      'tr',
      { 'data-key-id': key.id, 'data-status': key.status },
      el('th', { scope: 'row' }, el('code', {}, keyName(key))),
      el('td', {}, key.label, own ? el('span', { class: 'own-key' }, ' (this page’s key)') : null),
      el('td', {}, key.scopes.join(', ')),
      el('td', {}, key.sourceId ?? '–'),
      el('td', {}, when(key.createdAt, '–')),
      el('td', {}, when(key.lastUsedAt, 'never')),
      el('td', {}, when(key.expiresAt, 'never')),
      el(
        'td',
        {},
        el('span', { class: `key-status ${key.status}`, 'data-status': key.status }, keyStatusText(key, formatTime)),
      ),
      el(
        'td',
        { class: 'actions' },
        ...keyActions(key).map((action) =>
          el(
            'button',
            {
              type: 'button',
              'data-action': action,
              'data-key-id': key.id,
              'aria-label': `${action === 'rotate' ? 'Rotate' : 'Revoke'} ${keyName(key)}`,
              'aria-haspopup': 'dialog',
            },
            action === 'rotate' ? 'Rotate' : 'Revoke',
          ),
        ),
        key.origin === 'bootstrap' ? el('span', { class: 'status' }, 'set by API_KEYS') : null,
      ),
    );
  }

  private sourceRow(source: SourceView): HTMLTableRowElement {
    const paused = source.status === 'paused';
    return el(
      'tr',
      { 'data-source-id': source.id, 'data-status': source.status },
      el('th', { scope: 'row' }, source.id),
      el('td', {}, source.name),
      el(
        'td',
        {},
        el('span', { class: `source-status ${source.status}` }, source.status),
        ' ',
        el(
          'button',
          {
            type: 'button',
            'data-source-id': source.id,
            'aria-label': `${paused ? 'Resume' : 'Pause'} ${source.id}`,
            ...(paused ? {} : { 'aria-haspopup': 'dialog' }),
          },
          paused ? 'Resume' : 'Pause',
        ),
      ),
      el('td', {}, rateLimitText(source)),
      el('td', {}, allowedTypesText(source)),
      el('td', {}, formatCount(source.keys)),
      ...sourceCountCells(source.counts, formatCount).map((text) => el('td', {}, text)),
    );
  }

  private async create(): Promise<void> {
    const data = new FormData(this.createForm);
    const parsed = createKeyRequest(
      {
        label: String(data.get('label') ?? ''),
        scopes: data.getAll('scope').map(String),
        sourceId: String(data.get('sourceId') ?? ''),
        expiresAt: fromLocalInput(String(data.get('expiresAt') ?? '')),
      },
      Date.now(),
    );
    if ('problem' in parsed) {
      setStatus(this.createStatus, parsed.problem, 'error');
      return;
    }
    const submit = this.createForm.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    submit.disabled = true;
    setStatus(this.createStatus, 'Creating…');
    try {
      const created = await this.api.requestJson<CreatedKey>('/api/v1/keys', { method: 'POST', json: parsed.request });
      this.createForm.reset();
      setStatus(this.createStatus, `Created ${keyName(created.key)} (${created.key.label}).`);
      this.returnTo = '#key-create button[type="submit"]';
      this.showSecret('New key', `${describeKey(created.key)}.`, created.secret);
      void this.refresh();
    } catch (err) {
      setStatus(this.createStatus, failureText(err), 'error');
    } finally {
      submit.disabled = false;
    }
  }

  private askAbout(key: KeyView, action: 'rotate' | 'revoke'): void {
    this.returnTo = `#keys-table button[data-action="${action}"][data-key-id="${key.id}"]`;
    const own = key.id === this.ownKeyId ? ' This is the key this page uses: the page will be refused too.' : '';
    if (action === 'rotate') {
      this.ask({
        title: `Rotate ${keyName(key)}`,
        description:
          `A new key with the same label, scopes, source and expiry replaces ${keyName(key)} (${key.label}); ` +
          `it is shown once. The old key keeps working for the time chosen, then is refused.${own}`,
        confirm: 'Rotate',
        grace: true,
        run: (grace) => this.rotate(key, grace),
      });
    } else {
      this.ask({
        title: `Revoke ${keyName(key)}`,
        description:
          `Every request with ${keyName(key)} (${key.label}) will be refused, on every replica within seconds. ` +
          `This cannot be undone.${own}`,
        confirm: 'Revoke',
        grace: false,
        run: () => this.revoke(key),
      });
    }
  }

  private ask(confirmation: Confirmation): void {
    this.confirmation = confirmation;
    byId('key-confirm-title').textContent = confirmation.title;
    byId('key-confirm-description').textContent = confirmation.description;
    byId('key-confirm').textContent = confirmation.confirm;
    byId('key-grace-row').hidden = !confirmation.grace;
    this.grace.value = '';
    this.confirmDialog.returnValue = '';
    this.confirmDialog.showModal();
  }

  private async rotate(key: KeyView, grace: string): Promise<void> {
    setStatus(this.actionStatus, `Rotating ${keyName(key)}…`);
    try {
      const rotated = await this.api.requestJson<RotatedKey>(`/api/v1/keys/${encodeURIComponent(key.id)}/rotate`, {
        method: 'POST',
        json: rotateRequest(grace),
      });
      const { previous } = rotated;
      const end = previous.endsAt
        ? `${keyName(previous)} keeps working until ${formatTime(previous.endsAt)}, then is refused`
        : `${keyName(previous)} is refused from now on`;
      setStatus(
        this.actionStatus,
        `Rotated ${keyName(previous)} to ${keyName(rotated.key)}: ${end} (in force everywhere by ${formatTime(rotated.inForceBy)}).`,
      );
      this.showSecret(`Successor of ${keyName(previous)}`, `${describeKey(rotated.key)}. ${end}.`, rotated.secret);
      await this.refresh();
    } catch (err) {
      setStatus(this.actionStatus, `${keyName(key)} was not rotated: ${failureText(err)}`, 'error');
    }
  }

  private async revoke(key: KeyView): Promise<void> {
    setStatus(this.actionStatus, `Revoking ${keyName(key)}…`);
    try {
      const revoked = await this.api.requestJson<RevokedKey>(`/api/v1/keys/${encodeURIComponent(key.id)}`, {
        method: 'DELETE',
      });
      setStatus(
        this.actionStatus,
        `Revoked ${keyName(key)} at ${formatTime(revoked.revokedAt)}: in force everywhere by ${formatTime(revoked.inForceBy)}.`,
      );
      await this.refresh();
    } catch (err) {
      setStatus(this.actionStatus, `${keyName(key)} was not revoked: ${failureText(err)}`, 'error');
    }
  }

  /** Resume at once; pausing refuses the source's events, so it is confirmed first. */
  private toggle(source: SourceView): void {
    this.returnTo = `#sources-table button[data-source-id="${source.id}"]`;
    if (source.status === 'paused') {
      void this.setSourceStatus(source, 'active');
      return;
    }
    this.ask({
      title: `Pause source ${source.id}`,
      description:
        `Events from the keys of ${source.id} (${source.name}) will be refused with 403 source-paused, ` +
        'on every replica within seconds, until it is resumed. Nothing they send meanwhile is kept.',
      confirm: 'Pause',
      grace: false,
      run: () => this.setSourceStatus(source, 'paused'),
    });
  }

  private async setSourceStatus(source: SourceView, status: SourceView['status']): Promise<void> {
    setStatus(this.sourcesStatus, status === 'paused' ? `Pausing ${source.id}…` : `Resuming ${source.id}…`);
    try {
      const changed = await this.api.requestJson<ChangedSource>(`/api/v1/sources/${encodeURIComponent(source.id)}`, {
        method: 'PATCH',
        json: { status },
      });
      setStatus(
        this.sourcesStatus,
        `Source ${source.id} ${status === 'paused' ? 'paused' : 'resumed'}: in force everywhere by ${formatTime(changed.inForceBy)}.`,
      );
      await this.loadSources();
      this.restoreFocus();
    } catch (err) {
      setStatus(this.sourcesStatus, `${source.id} was not changed: ${failureText(err)}`, 'error');
    }
  }

  private showSecret(title: string, summary: string, secret: string): void {
    this.secret = secret;
    byId('key-secret-title').textContent = title;
    byId('key-secret-summary').textContent = summary;
    this.secretNode.textContent = secret;
    this.copied.textContent = '';
    if (!this.secretDialog.open) this.secretDialog.showModal();
    byId('key-secret-copy').focus();
  }

  /** The clipboard, else the key selected for Ctrl+C (a browser may refuse the clipboard to a page). */
  private async copy(): Promise<void> {
    if (this.secret === null) return;
    try {
      await navigator.clipboard.writeText(this.secret);
      setStatus(this.copied, 'Copied to the clipboard.');
    } catch {
      window.getSelection()?.selectAllChildren(this.secretNode);
      setStatus(this.copied, 'The browser refused the clipboard: the key is selected, copy it with Ctrl+C.', 'error');
    }
  }

  private restoreFocus(): void {
    const target = document.querySelector<HTMLElement>(this.returnTo) ?? this.filter;
    target.focus();
  }
}

function describeKey(key: KeyView): string {
  const source = key.sourceId === null ? 'no source' : `source ${key.sourceId}`;
  const expires = key.expiresAt === null ? 'never expires' : `expires ${formatTime(key.expiresAt)}`;
  return `${keyName(key)} (${key.label}): ${key.scopes.join(', ')}; ${source}; ${expires}`;
}
