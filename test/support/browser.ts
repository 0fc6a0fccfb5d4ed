// The page functions below run in the browser (page.evaluate), so they see DOM types.
/// <reference lib="dom" />
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const ROOT = join(__dirname, '..', '..');
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export const HOW_TO_PROVIDE_CHROMIUM =
  'The browser tests drive a system Chromium (no browser download): install it with `apt-get install -y chromium` ' +
  '(Debian; .ci/run does this when it is missing) or set CHROMIUM_PATH to a Chromium or Chrome executable.';

/** The system Chromium; its absence fails the suite with how to provide it, never skips it. */
export function chromiumPath(): string {
  const configured = process.env['CHROMIUM_PATH'];
  if (configured) {
    if (!existsSync(configured))
      throw new Error(`CHROMIUM_PATH=${configured} does not exist. ${HOW_TO_PROVIDE_CHROMIUM}`);
    return configured;
  }
  const found = CANDIDATES.find((path) => existsSync(path));
  if (!found) throw new Error(`No Chromium found at ${CANDIDATES.join(', ')}. ${HOW_TO_PROVIDE_CHROMIUM}`);
  return found;
}

/** Headless Chromium through playwright-core. No sandbox: CI and these machines run as root. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}

/** A folder of this run for screenshots and logs, under .local/runs/ (git ignores .local/). */
export function runFolder(name: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = join(ROOT, '.local', 'runs', `${stamp}-${name}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Console errors, uncaught exceptions and CSP violations of a page, as they happen. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  return errors;
}

/** axe-core's violations of the given impacts, run inside the page (evaluated over CDP, so the CSP stays on). */
export async function axeViolations(
  page: Page,
  impacts: readonly string[] = ['serious', 'critical'],
): Promise<{ rulesPassed: number; violations: Array<{ id: string; impact: string; help: string; nodes: string[] }> }> {
  await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  const results = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document) => Promise<AxeResults> } }).axe;
    return axe.run(document);
  });
  return {
    rulesPassed: results.passes.length,
    violations: results.violations
      .filter((violation) => impacts.includes(violation.impact ?? ''))
      .map((violation) => ({
        id: violation.id,
        impact: violation.impact ?? '',
        help: violation.help,
        nodes: violation.nodes.map((node) => node.target.join(' ')),
      })),
  };
}

interface AxeResults {
  passes: unknown[];
  violations: Array<{ id: string; impact?: string | null; help: string; nodes: Array<{ target: string[] }> }>;
}
