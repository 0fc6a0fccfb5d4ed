import 'uplot/dist/uPlot.min.css';
import './dashboard.css';
import { UapHttpError } from '@uap/client';
import { dashboardApi, failureText } from './api.client';
import type { Readiness, Scope, WhoAmI } from './api.types';
import { ActivityTablePanel } from './activity-table.panel';
import { ActivityTypesPanel } from './activity-types.panel';
import { CountsChart } from './counts-chart.panel';
import { DeadLettersPanel } from './dead-letters.panel';
import { byId, every, setStatus } from './dom';
import { InsightsPanel } from './insights.panel';
import { KeysPanel } from './keys.panel';
import { KpiStrip } from './kpi-strip.panel';
import { keyStore } from './key.store';
import { LiveFeedPanel } from './live-feed.panel';
import { LiveStream } from './live-feed.stream';
import { DEFAULT_BUCKET, formatState, parseState, type DashboardState, type RangePreset } from './url-state';

// The built-in types only: the others are learnt from the API's answers (the chart's stats, the table's rows).
const BUILT_IN_TYPES = __BUILT_IN_ACTIVITY_TYPES__;
const api = dashboardApi(keyStore.get());

function notice(text: string | null): void {
  const node = byId('notice');
  node.hidden = text === null;
  node.textContent = text ?? '';
}

async function health(): Promise<void> {
  const node = byId('health');
  try {
    const res = await fetch('/readyz', { credentials: 'omit' });
    const body = (await res.json()) as Readiness;
    const checks = Object.entries(body.checks)
      .map(([name, state]) => `${name} ${state}`)
      .join(', ');
    setStatus(node, `Health: ${body.status} (${checks})`, body.status === 'ready' ? 'ok' : 'error');
  } catch {
    setStatus(node, 'Health: the API does not answer', 'error');
  }
}

/** The key's id and scopes; null when a key is needed and none (or a wrong one) was given. */
async function identifyKey(): Promise<{ keyId: string | null; scopes: ReadonlySet<Scope> } | null> {
  try {
    const me = await api.getJson<WhoAmI>('/api/v1/whoami');
    if (me.authentication === 'api-key' && me.keyId === null) return null;
    byId('key-scopes').textContent =
      me.authentication === 'disabled'
        ? 'This API runs without keys: everything is open.'
        : `Key ${me.keyId}: ${me.scopes.join(', ') || 'no scope'}`;
    return { keyId: me.keyId, scopes: new Set(me.scopes) };
  } catch (err) {
    if (err instanceof UapHttpError && err.status === 401) {
      if (keyStore.get() !== null) notice(`The key was refused: ${failureText(err)}`);
      keyStore.clear();
      return null;
    }
    throw err;
  }
}

function startPanels(scopes: ReadonlySet<Scope>, keyId: string | null): void {
  // A key without a scope does not see what it cannot use.
  for (const node of document.querySelectorAll<HTMLElement>('[data-needs]')) {
    node.hidden = !scopes.has(node.dataset['needs'] as Scope);
  }
  if (!scopes.has('read') && !scopes.has('admin')) {
    byId('kpis').hidden = true;
    notice('This key has neither the read nor the admin scope: there is nothing it can show here.');
  }
  byId('main').hidden = false;
  new KpiStrip(api, scopes).start();

  // One state in the URL for every section; each one shown says what it does when Back brings another.
  let state: DashboardState = parseState(location.search);
  const onBack: Array<() => void> = [];
  const apply = (next: DashboardState, how: 'push' | 'replace' | 'none') => {
    const chartChanged = next.range !== state.range || next.bucket !== state.bucket;
    state = next;
    if (how !== 'none')
      history[how === 'push' ? 'pushState' : 'replaceState'](null, '', formatState(state) || location.pathname);
    showChartControls(state);
    return chartChanged;
  };
  window.addEventListener('popstate', () => {
    apply(parseState(location.search), 'none');
    for (const show of onBack) show();
  });

  if (scopes.has('admin')) {
    new DeadLettersPanel(api).start();
    const keys = new KeysPanel(api, keyId, (change, how) => {
      apply({ ...state, ...change }, how);
      keys.show(state.keys);
    });
    keys.start(state.keys);
    onBack.push(() => keys.show(state.keys));
  }
  if (!scopes.has('read')) return;
  const table = new ActivityTablePanel(api, BUILT_IN_TYPES, (change, how) => {
    apply({ ...state, ...change }, how);
    void table.show(state);
  });
  const chart = new CountsChart(
    api,
    {
      chart: byId('chart'),
      totals: byId<HTMLTableElement>('chart-totals').tBodies[0]!,
      status: byId('chart-status'),
    },
    BUILT_IN_TYPES,
    (types) => table.addTypes(types),
  );
  const controls = byId<HTMLFormElement>('chart-controls');
  controls.addEventListener('change', (event) => {
    const target = event.target as HTMLInputElement | HTMLSelectElement;
    const range = target.name === 'range' ? (target.value as RangePreset) : state.range;
    const bucket = target.name === 'range' ? DEFAULT_BUCKET[range] : (target.value as DashboardState['bucket']);
    apply({ ...state, range, bucket }, 'replace');
    void chart.load(state);
  });
  const insights = new InsightsPanel(api, BUILT_IN_TYPES, (change, how) => {
    apply({ ...state, ...change }, how);
    insights.show(state);
  });
  onBack.push(() => {
    void chart.load(state);
    void table.show(state);
    insights.show(state);
  });
  apply(state, 'none');
  every(30_000, () => chart.load(state));
  void table.show(state);
  insights.start(state);
  new ActivityTypesPanel(api, BUILT_IN_TYPES, (types) => {
    table.addTypes(types);
    insights.addTypes(types);
  }).start();

  const feed = new LiveFeedPanel({
    list: byId<HTMLOListElement>('live-list'),
    toggle: byId<HTMLButtonElement>('live-toggle'),
    status: byId('live-status'),
    count: byId('live-count'),
  });
  void new LiveStream(api, {
    onActivity: (activity) => feed.add(activity),
    onState: (text, kind) => feed.setState(text, kind),
  }).open();
}

function showChartControls(state: DashboardState): void {
  for (const radio of document.querySelectorAll<HTMLInputElement>('#chart-controls input[name="range"]')) {
    radio.checked = radio.value === state.range;
  }
  byId<HTMLSelectElement>('chart-bucket').value = state.bucket;
}

async function boot(): Promise<void> {
  every(10_000, health);
  byId<HTMLFormElement>('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = byId<HTMLInputElement>('key-input');
    keyStore.set(input.value.trim());
    input.value = '';
    // A fresh start: panels already running for another key stop with the page.
    location.reload();
  });
  byId('forget-key').addEventListener('click', () => {
    keyStore.clear();
    location.reload();
  });
  let key: Awaited<ReturnType<typeof identifyKey>>;
  try {
    key = await identifyKey();
  } catch (err) {
    notice(`The API cannot tell this key's scopes: ${failureText(err)}`);
    return;
  }
  if (key === null) {
    byId('key-form').hidden = false;
    byId('key-input').focus();
    return;
  }
  byId('key-form').hidden = true;
  byId('key-status').hidden = false;
  startPanels(key.scopes, key.keyId);
}

void boot();
