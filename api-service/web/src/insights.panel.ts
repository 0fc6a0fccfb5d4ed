import uPlot from 'uplot';
import type { HttpTransport } from '@uap/client';
import { failureText } from './api.client';
import type { ActiveUsers, Funnel, TopValues } from './api.types';
import { orderTypes } from './activity-types';
import { byId, el, every, formatCount, setStatus } from './dom';
import { FUNNEL_STEPS, FUNNEL_WINDOWS, formatSteps, stepProblem, type FunnelStep } from './funnel-steps';
import {
  ACTIVE_USER_BUCKETS,
  activeUsersSeries,
  barWidth,
  formatDuration,
  formatShare,
  funnelQuery,
  insightsRange,
  meanDailyUsers,
  stepLabel,
  topQuery,
  valueText,
  type InsightsRange,
} from './insights';
import type { DashboardState } from './url-state';

const TOP_LIMIT = 10;
/** The lines' colours: each at least 4.5:1 on the white panel, like the types' palette. */
const LINES = [
  { key: 'dau', label: 'Daily active users', color: '#1d4ed8' },
  { key: 'wau', label: 'Weekly active users (the week of each day; short dashes)', color: '#b45309' },
  { key: 'mau', label: 'Monthly active users (the month of each day; long dashes)', color: '#047857' },
] as const;
const TOP_LISTS = [
  { id: 'top-searches', field: 'metadata.query', type: 'SEARCH', what: 'search' },
  { id: 'top-pages', field: 'metadata.path', type: 'PAGE_VIEW', what: 'page view' },
] as const;

/** A builder row as typed: the strings of its three fields. */
interface StepDraft {
  type: string;
  path: string;
  value: string;
}

/**
 * The Insights section (GET /api/v1/insights/*): distinct users per day, week and month over the chosen range
 * (three calls, drawn as a line and two steps), the top searches and pages, and a funnel built from steps. The
 * range, the steps and the window live in the URL (the caller owns it: `navigate`), so a link or a reload
 * draws the same funnel; lines and lists are read again every 60 s, the funnel only when asked for.
 */
export class InsightsPanel {
  private plot: uPlot | undefined;
  private state: DashboardState | undefined;
  private usersTicket = 0;
  private funnelTicket = 0;
  private types: string[] = [];
  private readonly chart = byId('active-users-chart');
  private readonly status = byId('insights-status');
  private readonly steps = byId<HTMLOListElement>('funnel-steps');
  private readonly within = byId<HTMLSelectElement>('funnel-within');
  private readonly funnelStatus = byId('funnel-status');
  private readonly funnelTable = byId<HTMLTableElement>('funnel-table');

  constructor(
    private readonly api: HttpTransport,
    private readonly builtInTypes: readonly string[],
    private readonly navigate: (change: Partial<DashboardState>, how: 'push' | 'replace') => void,
  ) {
    this.types = [...builtInTypes];
    this.within.replaceChildren(...FUNNEL_WINDOWS.map((w) => el('option', { value: w.value }, w.label)));
    byId('active-users-legend').replaceChildren(
      ...LINES.map((line) => {
        const swatch = el('span', { class: 'swatch', 'aria-hidden': 'true' });
        swatch.style.backgroundColor = line.color;
        return el('li', {}, swatch, line.label);
      }),
    );
    const controls = byId<HTMLFormElement>('insights-controls');
    controls.addEventListener('submit', (event) => event.preventDefault());
    byId<HTMLSelectElement>('insights-range').addEventListener('change', (event) => {
      this.navigate({ insights: (event.target as HTMLSelectElement).value as InsightsRange }, 'replace');
    });
    byId('funnel-add').addEventListener('click', () => {
      const drafts = this.readBuilder();
      if (drafts.length >= FUNNEL_STEPS.max) return;
      this.renderBuilder([...drafts, { type: '', path: '', value: '' }]);
      this.steps.querySelector<HTMLSelectElement>('li:last-child select')?.focus();
    });
    this.steps.addEventListener('click', (event) => {
      const button = (event.target as HTMLElement).closest<HTMLButtonElement>('button[data-action]');
      if (button) this.act(button.dataset['action']!, Number(button.dataset['index']));
    });
    byId<HTMLFormElement>('funnel-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this.submitFunnel();
    });
  }

  /** Draws the state's insights, then reads the lines and lists again every 60 s. */
  start(state: DashboardState): () => void {
    this.state = state;
    this.writeControls(state);
    if (state.funnel.length > 0) void this.loadFunnel();
    return every(60_000, () => this.loadUsersAndTops());
  }

  /** A new state (a navigation, Back, a reload's first one): reads again only what it changes. */
  show(state: DashboardState): void {
    const before = this.state;
    this.state = state;
    this.writeControls(state);
    const rangeChanged = before?.insights !== state.insights;
    if (rangeChanged) void this.loadUsersAndTops();
    if (rangeChanged || funnelKey(before) !== funnelKey(state)) void this.loadFunnel();
  }

  /** Offers these types as steps too (the registry's, as the types panel reads them), keeping what is chosen. */
  addTypes(types: readonly string[]): void {
    const next = orderTypes([...this.types, ...types], this.builtInTypes);
    if (next.length === this.types.length) return;
    this.types = next;
    this.renderBuilder(this.readBuilder());
  }

  async loadUsersAndTops(): Promise<void> {
    if (!this.state) return;
    const ticket = ++this.usersTicket;
    const range = insightsRange(this.state.insights, Date.now());
    setStatus(this.status, 'Loading…');
    const tops = Promise.all(TOP_LISTS.map((list) => this.loadTop(list, range, ticket)));
    try {
      const [day, week, month] = await Promise.all(
        ACTIVE_USER_BUCKETS.map((bucket) =>
          this.api.getJson<ActiveUsers>('/api/v1/insights/active-users', { ...range, bucket }),
        ),
      );
      if (ticket !== this.usersTicket) return;
      this.renderUsers(day!, week!, month!);
      const inexact = [day!, week!, month!].find((answer) => !answer.exact);
      setStatus(
        this.status,
        `${formatCount(day!.total)} users from ${day!.from.slice(0, 10)} to ${day!.to.slice(0, 10)} (UTC, end ` +
          `excluded)${inexact ? `; not exact: ${inexact.inexactReason ?? 'rollups incomplete'}` : ''}`,
        inexact ? 'error' : 'ok',
      );
    } catch (err) {
      if (ticket === this.usersTicket) setStatus(this.status, `Active users unavailable: ${failureText(err)}`, 'error');
    }
    await tops;
  }

  async loadFunnel(): Promise<void> {
    const state = this.state;
    if (!state) return;
    const ticket = ++this.funnelTicket;
    if (state.funnel.length === 0) {
      this.funnelTable.hidden = true;
      setStatus(this.funnelStatus, 'Choose at least two steps, then show the funnel.');
      return;
    }
    setStatus(this.funnelStatus, 'Loading…');
    try {
      const range = insightsRange(state.insights, Date.now());
      const funnel = await this.api.getJson<Funnel>(
        '/api/v1/insights/funnel',
        funnelQuery(state.funnel, state.within, range),
      );
      if (ticket !== this.funnelTicket) return;
      this.renderFunnel(funnel, formatSteps(state.funnel));
      const first = funnel.steps[0]?.users ?? 0;
      setStatus(
        this.funnelStatus,
        `${formatCount(first)} users entered; ${formatShare(funnel.overallConversion)} reached the last step.`,
      );
    } catch (err) {
      if (ticket !== this.funnelTicket) return;
      this.funnelTable.hidden = true;
      setStatus(this.funnelStatus, `Funnel unavailable: ${failureText(err)}`, 'error');
    }
  }

  private async loadTop(
    list: (typeof TOP_LISTS)[number],
    range: { from: string; to: string },
    ticket: number,
  ): Promise<void> {
    const body = byId<HTMLTableElement>(list.id).tBodies[0]!;
    try {
      const top = await this.api.getJson<TopValues>(
        '/api/v1/insights/top',
        topQuery(list.field, list.type, range, TOP_LIMIT),
      );
      if (ticket !== this.usersTicket) return;
      Object.assign(body.dataset, { counted: String(top.counted), distinct: String(top.distinct) });
      if (top.values.length === 0) {
        body.replaceChildren(
          el('tr', {}, el('td', { colspan: '4' }, `No ${list.what} with a ${list.field} in the range.`)),
        );
        return;
      }
      body.replaceChildren(...top.values.map((entry, i) => rankedRow(i + 1, entry)));
    } catch (err) {
      if (ticket !== this.usersTicket) return;
      body.replaceChildren(el('tr', {}, el('td', { colspan: '4', class: 'error' }, failureText(err))));
    }
  }

  private renderUsers(day: ActiveUsers, week: ActiveUsers, month: ActiveUsers): void {
    const { xs, dau, wau, mau } = activeUsersSeries(day, week, month);
    const mean = meanDailyUsers(day);
    byId('insights-total').textContent = formatCount(day.total);
    byId('insights-mean-dau').textContent = mean.toFixed(mean < 10 ? 2 : 1);
    byId('insights-stickiness').textContent = formatShare(day.stickiness);
    const latest = (answer: ActiveUsers) => answer.buckets.at(-1)?.users ?? 0;
    byId('insights-latest').textContent = `${formatCount(latest(week))} · ${formatCount(latest(month))}`;
    // What was drawn, so anyone (the browser test, a curious user) can ask the endpoint the same.
    Object.assign(this.chart.dataset, {
      from: day.from,
      to: day.to,
      total: String(day.total),
      stickiness: String(day.stickiness),
      days: day.buckets.map((b) => b.users).join(','),
      weeks: week.buckets.map((b) => b.users).join(','),
      months: month.buckets.map((b) => b.users).join(','),
    });

    this.plot?.destroy();
    const stepped = uPlot.paths.stepped!({ align: 1 });
    this.plot = new uPlot(
      {
        width: Math.max(320, this.chart.clientWidth),
        height: 220,
        legend: { show: false },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] } },
        // Drawn month, week, then day, so the daily line stays on top where they meet; the steps are dashed to
        // tell them apart where they overlap.
        series: [
          {},
          {
            label: LINES[2].label,
            stroke: LINES[2].color,
            width: 2,
            dash: [8, 4],
            paths: stepped,
            points: { show: false },
          },
          {
            label: LINES[1].label,
            stroke: LINES[1].color,
            width: 2,
            dash: [3, 3],
            paths: stepped,
            points: { show: false },
          },
          { label: LINES[0].label, stroke: LINES[0].color, width: 2, points: { show: xs.length <= 120 } },
        ],
        axes: [{}, { label: 'users', size: 60 }],
      },
      [xs, mau, wau, dau],
      this.chart,
    );
  }

  private renderFunnel(funnel: Funnel, steps: string): void {
    const first = funnel.steps[0]?.users ?? 0;
    const percentOr = (value: number, index: number) => (index === 1 ? '–' : formatShare(value));
    const time = (ms: number | undefined) => (ms === undefined ? '–' : formatDuration(ms));
    this.funnelTable.tBodies[0]!.replaceChildren(
      ...funnel.steps.map((step) => {
        const bar = el('span', { class: 'bar' });
        bar.style.width = `${barWidth(step.users, first)}%`;
        return el(
          'tr',
          { 'data-step': String(step.index), 'data-users': String(step.users) },
          el('th', { scope: 'row' }, stepLabel(step)),
          el(
            'td',
            { class: 'bar-cell' },
            el('span', { class: 'bar-track', 'aria-hidden': 'true' }, bar),
            el('span', { class: 'bar-value' }, formatCount(step.users)),
          ),
          el(
            'td',
            { 'data-conversion': String(step.conversionFromPrevious) },
            percentOr(step.conversionFromPrevious, step.index),
          ),
          el('td', { 'data-conversion': String(step.conversionFromFirst) }, formatShare(step.conversionFromFirst)),
          el('td', { 'data-drop-off': String(step.dropOff) }, step.index === 1 ? '–' : formatCount(step.dropOff)),
          el('td', {}, time(step.medianMsFromPrevious)),
          el('td', {}, time(step.p90MsFromPrevious)),
        );
      }),
    );
    const within = FUNNEL_WINDOWS.find((w) => w.value === funnel.within)?.label ?? funnel.within;
    byId('funnel-caption').textContent =
      `Users per step, each step within ${within} of the first; entered from ${funnel.from.slice(0, 10)} to ` +
      `${funnel.to.slice(0, 10)} (UTC, end excluded). Overall: ${formatShare(funnel.overallConversion)}.`;
    Object.assign(this.funnelTable.dataset, { steps, within: funnel.within, from: funnel.from, to: funnel.to });
    this.funnelTable.hidden = false;
  }

  private writeControls(state: DashboardState): void {
    byId<HTMLSelectElement>('insights-range').value = state.insights;
    this.within.value = state.within;
    const drafts = state.funnel.map((step): StepDraft => ({
      type: step.type,
      path: step.where?.path ?? '',
      value: step.where?.value ?? '',
    }));
    this.renderBuilder(drafts.length > 0 ? drafts : blankDrafts());
  }

  private submitFunnel(): void {
    const drafts = this.readBuilder().filter((draft) => draft.type || draft.path || draft.value);
    const steps = drafts.map(toStep);
    const problems = steps
      .map((step, i) => [i + 1, stepProblem(step)] as const)
      .filter((entry): entry is readonly [number, string] => entry[1] !== null);
    if (problems.length > 0) {
      const [index, problem] = problems[0]!;
      setStatus(this.funnelStatus, `Step ${index}: ${problem}.`, 'error');
      this.steps.querySelectorAll<HTMLSelectElement>('select')[index - 1]?.focus();
      return;
    }
    if (steps.length < FUNNEL_STEPS.min) {
      setStatus(this.funnelStatus, `A funnel needs at least ${FUNNEL_STEPS.min} steps.`, 'error');
      return;
    }
    this.navigate({ funnel: steps, within: this.within.value }, 'push');
  }

  /** Moves or removes a step, keeping the keyboard's focus on the step it acted on. */
  private act(action: string, index: number): void {
    const drafts = this.readBuilder();
    if (action === 'remove' && drafts.length > FUNNEL_STEPS.min) drafts.splice(index, 1);
    const to = action === 'up' ? index - 1 : action === 'down' ? index + 1 : index;
    if (action !== 'remove' && to >= 0 && to < drafts.length)
      [drafts[index], drafts[to]] = [drafts[to]!, drafts[index]!];
    this.renderBuilder(drafts);
    const row = this.steps.children[Math.min(to, drafts.length - 1)];
    const target =
      row?.querySelector<HTMLElement>(`button[data-action="${action}"]:not(:disabled)`) ??
      row?.querySelector<HTMLElement>('select');
    (target ?? byId('funnel-add')).focus();
  }

  private readBuilder(): StepDraft[] {
    return [...this.steps.querySelectorAll('li')].map((li) => ({
      type: li.querySelector<HTMLSelectElement>('select[name="type"]')!.value,
      path: li.querySelector<HTMLInputElement>('input[name="path"]')!.value.trim(),
      value: li.querySelector<HTMLInputElement>('input[name="value"]')!.value,
    }));
  }

  private renderBuilder(drafts: readonly StepDraft[]): void {
    const count = drafts.length;
    this.steps.replaceChildren(...drafts.map((draft, i) => this.builderRow(draft, i, count)));
    byId<HTMLButtonElement>('funnel-add').disabled = count >= FUNNEL_STEPS.max;
  }

  private builderRow(draft: StepDraft, i: number, count: number): HTMLLIElement {
    const n = i + 1;
    const id = (name: string) => `funnel-step-${n}-${name}`;
    const types = orderTypes([...this.types, ...(draft.type ? [draft.type] : [])], this.builtInTypes);
    const select = el(
      'select',
      { id: id('type'), name: 'type' },
      el('option', { value: '' }, 'choose a type'),
      ...types.map((type) => el('option', { value: type }, type)),
    );
    select.value = draft.type;
    const path = el('input', {
      id: id('path'),
      name: 'path',
      type: 'text',
      spellcheck: 'false',
      placeholder: 'metadata.query',
    });
    path.value = draft.path;
    const value = el('input', { id: id('value'), name: 'value', type: 'text', spellcheck: 'false' });
    value.value = draft.value;
    const button = (action: string, text: string, label: string, disabled: boolean) => {
      const node = el(
        'button',
        { type: 'button', 'data-action': action, 'data-index': String(i), 'aria-label': label },
        text,
      );
      node.disabled = disabled;
      return node;
    };
    return el(
      'li',
      { 'data-step': String(n) },
      el(
        'fieldset',
        { class: 'funnel-step' },
        el('legend', {}, `Step ${n}`),
        el('label', { for: id('type') }, 'Type'),
        select,
        el('label', { for: id('path') }, 'where field (optional)'),
        path,
        el('label', { for: id('value') }, 'equals'),
        value,
        button('up', 'Up', `Move step ${n} up`, i === 0),
        button('down', 'Down', `Move step ${n} down`, i === count - 1),
        button('remove', 'Remove', `Remove step ${n}`, count <= FUNNEL_STEPS.min),
      ),
    );
  }
}

function blankDrafts(): StepDraft[] {
  return [
    { type: '', path: '', value: '' },
    { type: '', path: '', value: '' },
  ];
}

function toStep(draft: StepDraft): FunnelStep {
  return draft.path || draft.value
    ? { type: draft.type, where: { path: draft.path, value: draft.value } }
    : { type: draft.type };
}

function funnelKey(state: DashboardState | undefined): string {
  return state ? `${formatSteps(state.funnel)} ${state.within}` : '';
}

function rankedRow(rank: number, entry: TopValues['values'][number]): HTMLTableRowElement {
  const bar = el('span', { class: 'bar' });
  bar.style.width = `${Math.round(entry.share * 1000) / 10}%`;
  return el(
    'tr',
    { 'data-value': valueText(entry.value) },
    el('th', { scope: 'row' }, String(rank)),
    el('td', { class: 'value' }, valueText(entry.value)),
    el('td', { 'data-count': String(entry.count) }, formatCount(entry.count)),
    el(
      'td',
      { class: 'bar-cell', 'data-share': String(entry.share) },
      el('span', { class: 'bar-track', 'aria-hidden': 'true' }, bar),
      el('span', { class: 'bar-value' }, formatShare(entry.share)),
    ),
  );
}
