import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { DASHBOARD_ASSETS_DIR, DASHBOARD_CSP, dashboardRouter } from './dashboard.router';

describe('dashboard router', () => {
  it('when no folder is given, then it serves where build-dashboard.mjs writes: api-service/dist/dashboard', () => {
    expect(DASHBOARD_ASSETS_DIR).toBe(join(__dirname, '..', '..', '..', '..', 'dist', 'dashboard'));
    expect(DASHBOARD_ASSETS_DIR.endsWith(join('api-service', 'dist', 'dashboard'))).toBe(true);
  });

  const dir = mkdtempSync(join(tmpdir(), 'dashboard-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><script defer src="/dashboard/dashboard.js"></script>');
  writeFileSync(join(dir, 'dashboard.js'), 'console.log(1)');
  writeFileSync(join(dir, 'dashboard.js.map'), '{}');
  const app = express().use(dashboardRouter({ assetsDir: dir }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('when /dashboard is opened, then the built page is served under a CSP that allows no inline script or style', async () => {
    const res = await request(app).get('/dashboard').expect(200);

    expect(res.type).toBe('text/html');
    expect(res.text).toContain('/dashboard/dashboard.js');
    const csp = res.headers['content-security-policy'];
    expect(csp).toBe(DASHBOARD_CSP);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/style-src 'self'(;|$)/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https:|\*/);
  });

  it('when an asset of the bundle is asked for, then it is served with the media type the document names', async () => {
    expect((await request(app).get('/dashboard/dashboard.js').expect(200)).type).toBe('text/javascript');
    expect((await request(app).get('/dashboard/dashboard.js.map').expect(200)).type).toBe('application/json');
  });

  it.each(['index.html', 'dashboard.css', 'other.js', '..%2Fpackage.json', '.env', 'dashboard.JS'])(
    'when %s is asked for (not an asset, or not built), then it is a 404 problem',
    async (asset) => {
      const res = await request(app).get(`/dashboard/${asset}`).expect(404);
      expect(res.type).toBe('application/problem+json');
    },
  );

  it('when the page was never built, then /dashboard says how to build it (503 problem), not a stack trace', async () => {
    const empty = express().use(dashboardRouter({ assetsDir: join(dir, 'nowhere') }));

    const res = await request(empty).get('/dashboard').expect(503);
    expect(res.type).toBe('application/problem+json');
    expect(res.body.detail).toMatch(/npm run build/);
  });
});
