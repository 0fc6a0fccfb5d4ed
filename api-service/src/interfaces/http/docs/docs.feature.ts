import { z } from 'zod';
import type { HttpFeature } from '../http-feature';
import { json, problem, toOpenApiPath } from '../openapi/openapi-kit';
import { PROBLEMS } from '../problem';
import { DOCS_ASSETS, DOCS_ROUTES, docsRouter, type DocumentSource } from './docs.router';

const ETAG = {
  ETag: {
    schema: { type: 'string' as const },
    description: 'Changes when the document does (e.g. an activity type was planned): send it as If-None-Match',
  },
};

/**
 * GET /openapi.json and the Swagger UI at /docs. The document describes every mounted feature, this one
 * included, and the activity type registry as it is now: it is built on first request, once the list of
 * features is complete, and again whenever the source's revision moved.
 */
export function docsFeature(source: DocumentSource): HttpFeature {
  return {
    routes: DOCS_ROUTES,
    mount: (app) => app.use(docsRouter(source)),
    document: ({ registry }) => {
      registry.registerPath({
        method: 'get',
        path: '/openapi.json',
        tags: ['operations'],
        summary: 'This document',
        description: 'It follows the activity type registry without a restart: revalidate with If-None-Match.',
        request: {
          headers: z.object({
            'If-None-Match': z.string().optional().meta({ description: 'The ETag of the document you hold' }),
          }),
        },
        responses: {
          200: { description: 'OpenAPI 3.1 document', headers: ETAG, content: json(z.object({}).loose()) },
          304: { description: 'Not modified: the document you hold (If-None-Match) is current', headers: ETAG },
        },
      });
      registry.registerPath({
        method: 'get',
        path: '/docs',
        tags: ['operations'],
        summary: 'Interactive API docs (Swagger UI, served locally)',
        responses: { 200: { description: 'HTML page', content: { 'text/html': { schema: z.string() } } } },
      });
      registry.registerPath({
        method: 'get',
        path: toOpenApiPath('/docs/:asset'),
        tags: ['operations'],
        summary: 'Static assets of the docs page',
        request: { params: z.object({ asset: z.enum(DOCS_ASSETS) }) },
        responses: {
          200: {
            description: 'The asset',
            content: {
              'text/javascript': { schema: z.string() },
              'text/css': { schema: z.string() },
              'image/png': { schema: z.string().meta({ contentMediaType: 'image/png' }) },
            },
          },
          404: problem(PROBLEMS.notFound, 'No such asset'),
        },
      });
    },
  };
}
