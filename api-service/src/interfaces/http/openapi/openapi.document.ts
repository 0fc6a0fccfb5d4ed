import { OpenApiGeneratorV31, OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { scopeFor } from '../../../domain/api-key';
import type { HttpFeature } from '../http-feature';
import { HEADERS_TOO_LARGE, HEADERS_TOO_LARGE_WHY } from '../client-error';
import { PROBLEM_CONTENT_TYPE, type ProblemKind, PROBLEMS } from '../problem';
import { securedResponses, type OpenApiContext } from './openapi-kit';
import { OPENAPI_EXAMPLES, type OperationExample } from './openapi.examples';

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

export interface OpenApiOptions {
  /** Whether API keys are required (then the /api/v1 routes document 401/403/429). */
  apiKeys: boolean;
  version?: string;
}

/**
 * The OpenAPI 3.1 document of the mounted features, generated from the same zod schemas that validate
 * requests and shape responses: each feature registers its own operations, so the document describes
 * exactly what this app serves (a test holds it to the method guard's routes).
 */
export function buildOpenApiDocument(features: readonly HttpFeature[], options: OpenApiOptions): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  if (options.apiKeys) {
    registry.registerComponent('securitySchemes', 'bearerKey', { type: 'http', scheme: 'bearer' });
    registry.registerComponent('securitySchemes', 'apiKeyHeader', { type: 'apiKey', in: 'header', name: 'X-API-Key' });
  }
  // Answered for any path before routing, so they belong to no single operation.
  const generic = (kind: ProblemKind, description: string) => ({
    description: `${description} (problem type urn:uap:problem:${kind.slug})`,
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
  });
  registry.registerComponent('responses', 'NotFound', generic(PROBLEMS.notFound, 'No route for this path'));
  registry.registerComponent(
    'responses',
    'MethodNotAllowed',
    generic(PROBLEMS.methodNotAllowed, 'The path exists but not for this method; see the Allow header'),
  );
  registry.registerComponent('responses', 'InternalError', generic(PROBLEMS.internal, 'A bug on our side'));
  registry.registerComponent('responses', 'HeadersTooLarge', generic(HEADERS_TOO_LARGE, HEADERS_TOO_LARGE_WHY));

  const consistency = features.find((feature) => feature.readConsistency)?.readConsistency;
  const api: OpenApiContext = {
    registry,
    apiKeys: options.apiKeys,
    security: options.apiKeys ? { security: [{ bearerKey: [] }, { apiKeyHeader: [] }] } : {},
    secured: options.apiKeys ? securedResponses() : {},
    ...(consistency ? { consistency } : {}),
  };
  for (const feature of features) feature.document(api);

  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'User Activity Platform API',
      version: options.version ?? '1.0.0',
      description:
        'Ingest user activities (202 only once durable on Kafka), query what the worker stored. ' +
        'Every error is RFC 9457 application/problem+json.',
    },
    servers: [{ url: '/' }],
  });
  const operationIds = new Set(
    Object.values(document.paths ?? {}).flatMap((item) =>
      (['get', 'post', 'put', 'patch', 'delete'] as const).flatMap((method) => item[method]?.operationId ?? []),
    ),
  );
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const operation = item[method];
      if (!operation) continue;
      // The scope comes from the function the auth middleware asks, so the document cannot drift from it.
      if (operation.security) {
        const scope = scopeFor(method, path);
        operation.security = operation.security.map((requirement) =>
          Object.fromEntries(Object.keys(requirement).map((scheme) => [scheme, scope === null ? [] : [scope]])),
        );
        const needs = scope === null ? 'Any API key, or none.' : `Needs an API key with the \`${scope}\` scope.`;
        operation.description = `${operation.description ? `${operation.description}\n\n` : ''}${needs}`;
      }
      addExample(operation, OPENAPI_EXAMPLES[`${method} ${path}`]);
      // Node refuses any request whose request line and headers pass its limit before routing: every
      // operation can answer it (answerClientErrors makes it a problem too).
      operation.responses = { ...operation.responses, 431: { $ref: '#/components/responses/HeadersTooLarge' } };
      dropLinksToAbsentOperations(operation, operationIds);
    }
  }
  return document;
}

type Operation = NonNullable<NonNullable<OpenApiDocument['paths']>[string]['get']>;

function addExample(operation: Operation, example: OperationExample | undefined): void {
  if (!example) return;
  const body = operation.requestBody && 'content' in operation.requestBody ? operation.requestBody.content : undefined;
  if (example.request !== undefined && body?.['application/json']) body['application/json'].example = example.request;
  for (const parameter of operation.parameters ?? []) {
    if ('name' in parameter && example.parameters && parameter.name in example.parameters) {
      parameter.example = example.parameters[parameter.name];
    }
  }
  const response = example.response && operation.responses?.[example.response.status];
  if (response && 'content' in response && response.content) {
    const [first] = Object.values(response.content as Record<string, { example?: unknown }>);
    if (first) first.example = example.response!.body;
  }
}

/**
 * A feature links to another's operation (ingest → getReceipt) without knowing whether that one is
 * mounted; a link to an operation the document lacks would be invalid, so it goes.
 */
function dropLinksToAbsentOperations(operation: Operation, operationIds: ReadonlySet<string>): void {
  for (const response of Object.values(operation.responses ?? {})) {
    if (!('links' in response) || !response.links) continue;
    for (const [name, link] of Object.entries(response.links as Record<string, { operationId?: string }>)) {
      if (link.operationId !== undefined && !operationIds.has(link.operationId)) {
        delete response.links[name];
      }
    }
    if (Object.keys(response.links).length === 0) delete response.links;
  }
}
