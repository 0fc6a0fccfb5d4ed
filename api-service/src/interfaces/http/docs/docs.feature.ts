import { z } from 'zod';
import type { HttpFeature } from '../http-feature';
import { json, problem, toOpenApiPath } from '../openapi/openapi-kit';
import type { OpenApiDocument } from '../openapi/openapi.document';
import { PROBLEMS } from '../problem';
import { DOCS_ASSETS, DOCS_ROUTES, docsRouter } from './docs.router';

/**
 * GET /openapi.json and the Swagger UI at /docs. The document describes every mounted feature, this
 * one included, so it is asked for when the app mounts, once the list of features is complete.
 */
export function docsFeature(document: () => OpenApiDocument): HttpFeature {
  return {
    routes: DOCS_ROUTES,
    mount: (app) => app.use(docsRouter(document())),
    document: ({ registry }) => {
      registry.registerPath({
        method: 'get',
        path: '/openapi.json',
        tags: ['operations'],
        summary: 'This document',
        responses: { 200: { description: 'OpenAPI 3.1 document', content: json(z.object({}).loose()) } },
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
