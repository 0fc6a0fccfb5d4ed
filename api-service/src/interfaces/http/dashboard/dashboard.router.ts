import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Router } from 'express';
import type { RouteSpec } from '../method-guard.middleware';
import { PROBLEMS, sendProblem } from '../problem';

export const DASHBOARD_PATH = '/dashboard';
export const DASHBOARD_ROUTES: RouteSpec[] = [
  { path: DASHBOARD_PATH, methods: ['GET'] },
  { path: `${DASHBOARD_PATH}/:asset`, methods: ['GET'] },
];

/**
 * Where `npm run build` puts the page (api-service/web bundled by esbuild); the same folder from src/ (tests)
 * and from dist/ (the built service and the image).
 */
export const DASHBOARD_ASSETS_DIR = join(__dirname, '..', '..', '..', '..', 'dist', 'dashboard');

/** What scripts/build-dashboard.mjs writes next to index.html: the only names served under /dashboard/. */
export const DASHBOARD_ASSETS = [
  'dashboard.js',
  'dashboard.css',
  'favicon.svg',
  'dashboard.js.map',
  'dashboard.css.map',
] as const;
const ASSETS: ReadonlySet<string> = new Set(DASHBOARD_ASSETS);

// Stricter than helmet's default: no inline styles either, no framing, nothing but this origin. Without
// upgrade-insecure-requests, which breaks the page on plain-HTTP hosts (as on /docs).
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "base-uri 'none'",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self'",
].join('; ');

/** GET /dashboard (the page) and GET /dashboard/{asset} (its script, styles, icon), from the built folder only. */
export function dashboardRouter(options: { assetsDir?: string } = {}): Router {
  const dir = options.assetsDir ?? DASHBOARD_ASSETS_DIR;
  const router = Router();
  const notBuilt = () =>
    `The dashboard is not built into ${dir}: run npm run build (it bundles api-service/web into dist/dashboard)`;
  router.get(DASHBOARD_PATH, (req, res, next) => {
    const page = join(dir, 'index.html');
    if (!existsSync(page)) {
      sendProblem(req, res, PROBLEMS.unavailable, notBuilt());
      return;
    }
    res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
    // The page carries no data (every number is fetched with the key the user types in), but it may change on upgrade.
    res.sendFile(page, { headers: { 'Cache-Control': 'no-cache' } }, (err) => {
      if (err) next(err);
    });
  });
  router.get(`${DASHBOARD_PATH}/:asset`, (req, res, next) => {
    const asset = req.params.asset;
    if (!ASSETS.has(asset) || !existsSync(join(dir, asset))) {
      sendProblem(req, res, PROBLEMS.notFound, `No dashboard asset ${asset.slice(0, 100)}`);
      return;
    }
    res.sendFile(join(dir, asset), { headers: { 'Cache-Control': 'no-cache' } }, (err) => {
      if (err) next(err);
    });
  });
  return router;
}
