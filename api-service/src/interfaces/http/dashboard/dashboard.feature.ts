import { z } from 'zod';
import type { HttpFeature } from '../http-feature';
import { problem, toOpenApiPath } from '../openapi/openapi-kit';
import { PROBLEMS } from '../problem';
import { DASHBOARD_ASSETS, DASHBOARD_PATH, DASHBOARD_ROUTES, dashboardRouter } from './dashboard.router';

/** The browser dashboard: a page and its bundled assets, served locally. */
export function dashboardFeature(): HttpFeature {
  return {
    routes: DASHBOARD_ROUTES,
    mount: (app) => app.use(dashboardRouter()),
    document: ({ registry }) => {
      registry.registerPath({
        method: 'get',
        path: DASHBOARD_PATH,
        tags: ['operations'],
        summary:
          'The browser dashboard (served locally, no CDN; the page asks for a key and keeps it in sessionStorage)',
        responses: {
          200: {
            description: 'HTML page; its scripts and styles are files under /dashboard/ (strict CSP, no inline script)',
            content: { 'text/html': { schema: z.string() } },
          },
          503: problem(PROBLEMS.unavailable, 'The dashboard was not built (npm run build bundles it)'),
        },
      });
      registry.registerPath({
        method: 'get',
        path: toOpenApiPath(`${DASHBOARD_PATH}/:asset`),
        tags: ['operations'],
        summary: 'Static assets of the dashboard',
        request: { params: z.object({ asset: z.enum(DASHBOARD_ASSETS) }) },
        responses: {
          200: {
            description: 'The asset',
            content: {
              'text/javascript': { schema: z.string() },
              'text/css': { schema: z.string() },
              'image/svg+xml': { schema: z.string() },
              'application/json': { schema: z.object({}).loose().describe('A source map') },
            },
          },
          404: problem(PROBLEMS.notFound, 'No such asset, or the dashboard was not built'),
        },
      });
    },
  };
}
