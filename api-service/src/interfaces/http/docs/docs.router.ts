import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { Router } from 'express';
import type { RouteSpec } from '../method-guard.middleware';
import type { OpenApiDocument } from '../openapi/openapi.document';
import { PROBLEMS, sendProblem } from '../problem';

export const DOCS_ROUTES: RouteSpec[] = [
  { path: '/openapi.json', methods: ['GET'] },
  { path: '/docs', methods: ['GET'] },
  { path: '/docs/:asset', methods: ['GET'] },
];

// Served from the installed package, never a CDN: deployments may have no internet access.
const SWAGGER_UI_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));
const ASSETS = new Set([
  'swagger-ui.css',
  'swagger-ui-bundle.js',
  'swagger-ui-standalone-preset.js',
  'favicon-32x32.png',
]);
/** Every name under /docs/, for the OpenAPI document (docs-init.js is this page's own script). */
export const DOCS_ASSETS = ['docs-init.js', ...ASSETS] as [string, ...string[]];

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>User Activity Platform API</title>
    <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" />
    <link rel="stylesheet" href="/docs/swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script src="/docs/swagger-ui-standalone-preset.js"></script>
    <script src="/docs/docs-init.js"></script>
  </body>
</html>
`;

// A script file, not an inline one, so helmet's default Content-Security-Policy (script-src 'self') holds.
const INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
});
`;

const DOCS_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self' 'unsafe-inline'",
].join('; ');

/** Where the served document comes from. */
export interface DocumentSource {
  build(): OpenApiDocument;
  /** Moves whenever the document may have changed (the activity type registry's position). */
  revision(): number;
}

export interface ServedDocument {
  revision: number;
  body: string;
  /** Strong: a hash of the body, so replicas at the same registry position send the same one. */
  etag: string;
}

/** The document as JSON, built on first use and rebuilt only when the source's revision moved. */
export function servedDocument(source: DocumentSource): () => ServedDocument {
  let cached: ServedDocument | undefined;
  return () => {
    // The build is synchronous and the registry only moves between event-loop turns: it is the
    // document at this revision.
    const revision = source.revision();
    if (cached?.revision !== revision) {
      const body = JSON.stringify(source.build());
      cached = { revision, body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` };
    }
    return cached;
  };
}

/** GET /openapi.json (with an ETag; If-None-Match gets 304) and a Swagger UI page at GET /docs that reads it. */
export function docsRouter(source: DocumentSource): Router {
  const router = Router();
  const current = servedDocument(source);
  router.get('/openapi.json', (req, res) => {
    const { body, etag } = current();
    res.setHeader('ETag', etag);
    // The document follows the registry: clients and caches revalidate, and a 304 costs no body.
    res.setHeader('Cache-Control', 'no-cache');
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    res.type('application/json').send(body);
  });
  router.get('/docs', (_req, res) => {
    // helmet's default policy minus upgrade-insecure-requests, which breaks the page on plain-HTTP hosts.
    res.setHeader('Content-Security-Policy', DOCS_CSP);
    res.type('html').send(PAGE);
  });
  router.get('/docs/docs-init.js', (_req, res) => {
    res.type('text/javascript').send(INIT_SCRIPT);
  });
  router.get('/docs/:asset', (req, res, next) => {
    const asset = req.params.asset;
    if (!ASSETS.has(asset)) {
      sendProblem(req, res, PROBLEMS.notFound, `No docs asset ${asset.slice(0, 100)}`);
      return;
    }
    res.sendFile(join(SWAGGER_UI_DIR, asset), { maxAge: '1h' }, (err) => {
      if (err) next(err);
    });
  });
  return router;
}
