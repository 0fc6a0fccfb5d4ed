import type { Activity } from './api.types';
import { el, formatCount, setStatus } from './dom';
import { FeedBuffer } from './feed-buffer';
import { actorText } from './actor';

/** Rows kept in the list: enough to read, few enough that a frame stays cheap at any rate. */
export const LIVE_ROWS = 200;

/**
 * The live feed: newest first, painted at most once per animation frame from a FeedBuffer, capped at
 * LIVE_ROWS rows. A row is a <details>: keyboard-expandable, its JSON rendered only when opened.
 */
export class LiveFeedPanel {
  private readonly buffer = new FeedBuffer<Activity>(LIVE_ROWS);
  private readonly events = new WeakMap<HTMLElement, Activity>();
  private frame: number | undefined;
  private paused = false;
  private receivedAtPause = 0;
  constructor(
    private readonly nodes: {
      list: HTMLOListElement;
      toggle: HTMLButtonElement;
      status: HTMLElement;
      count: HTMLElement;
    },
  ) {
    nodes.toggle.addEventListener('click', () => this.setPaused(!this.paused));
    this.showCount();
    // toggle does not bubble; capture sees every row's.
    nodes.list.addEventListener(
      'toggle',
      (event) => {
        const details = event.target as HTMLDetailsElement;
        const activity = this.events.get(details);
        if (details.open && activity && !details.querySelector('pre')) {
          details.append(el('pre', { tabindex: '0' }, JSON.stringify(activity, null, 2)));
        }
      },
      true,
    );
  }

  add(activity: Activity): void {
    this.buffer.push(activity);
    if (!this.paused && this.frame === undefined) this.frame = requestAnimationFrame(() => this.paint());
    else if (this.paused) this.showCount();
  }

  /** The connection's state; announced (role=status), unlike the counts, which change every frame. */
  setState(text: string, kind: 'ok' | 'error' = 'ok'): void {
    setStatus(this.nodes.status, text, kind);
  }

  private setPaused(paused: boolean): void {
    this.paused = paused;
    this.receivedAtPause = this.buffer.receivedCount;
    this.nodes.toggle.textContent = paused ? 'Resume' : 'Pause';
    this.nodes.toggle.setAttribute('aria-pressed', String(paused));
    if (!paused && this.frame === undefined) this.frame = requestAnimationFrame(() => this.paint());
    this.showCount();
  }

  private paint(): void {
    this.frame = undefined;
    const batch = this.buffer.drain();
    if (batch.length > 0) {
      const rows = document.createDocumentFragment();
      for (let i = batch.length - 1; i >= 0; i--) rows.append(this.row(batch[i]!));
      const list = this.nodes.list;
      // A full batch replaces every row: one DOM operation instead of 200 inserts and 200 removals.
      if (batch.length >= LIVE_ROWS) list.replaceChildren(rows);
      else list.prepend(rows);
      while (list.childElementCount > LIVE_ROWS) list.lastElementChild?.remove();
    }
    this.showCount();
  }

  private row(activity: Activity): HTMLLIElement {
    const time = new Date(activity.receivedAt).toLocaleTimeString();
    const details = el(
      'details',
      {},
      el(
        'summary',
        {},
        el('time', { datetime: activity.receivedAt }, time),
        ' ',
        el('span', { class: 'type' }, activity.type),
        ' ',
        el('span', { class: 'user' }, actorText(activity)),
      ),
    );
    this.events.set(details, activity);
    return el('li', { 'data-event-id': activity.eventId }, details);
  }

  private showCount(): void {
    const received = `${formatCount(this.buffer.receivedCount)} received`;
    const since = this.buffer.receivedCount - this.receivedAtPause;
    const waiting = this.paused ? `; paused, ${formatCount(since)} arrived since` : '';
    this.nodes.count.textContent = `${received}${waiting}; the newest ${LIVE_ROWS} shown`;
  }
}
