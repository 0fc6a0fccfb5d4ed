import {
  OpenApiGeneratorV31,
  type OpenAPIRegistry,
  type ResponseConfig,
  type RouteConfig,
} from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { BEYOND_SCHEMA_RULES, type BeyondSchemaRule } from '../../../domain/domain-error';
import { PROBLEM_CONTENT_TYPE, ProblemDetailsSchema, type ProblemKind, PROBLEMS } from '../problem';

/** What a feature needs to document its operations; built once per document by buildOpenApiDocument. */
export interface OpenApiContext {
  registry: OpenAPIRegistry;
  /** Whether API keys are required: then keyed operations document 401/403/429. */
  apiKeys: boolean;
  /** Spread into a keyed operation: its security requirement, absent without API keys. */
  security: { security?: Array<Record<string, string[]>> };
  /** Spread into a keyed operation's responses: 401/403/429, none without API keys. */
  secured: RouteConfig['responses'];
  /** The read-your-writes headers when receipts are served (see ReadConsistencyDocs); absent otherwise. */
  consistency?: ReadConsistencyDocs;
}

/** X-Consistency-Token on a read request, the freshness headers of its answer, and the rule it adds. */
export interface ReadConsistencyDocs {
  request: { headers: z.ZodObject };
  responseHeaders: NonNullable<ResponseConfig['headers']>;
  rules: BeyondSchemaRule[];
}

export const json = (schema: z.ZodType) => ({ 'application/json': { schema } });

type ComponentSchema = NonNullable<
  NonNullable<ReturnType<OpenApiGeneratorV31['generateComponents']>['components']>['schemas']
>[string];
export type ReferenceObject = Extract<ComponentSchema, { $ref: string }>;
export type SchemaObject = Exclude<ComponentSchema, ReferenceObject>;

/**
 * A zod schema's JSON Schema as the document renders it, for a feature that builds a schema around one (the
 * ingest body around the registry's variants). References to other components are left as they are.
 */
export function jsonSchemaOf(schema: z.ZodType): SchemaObject {
  const id = 'Rendered';
  const { components } = new OpenApiGeneratorV31([
    { type: 'schema', schema: schema.meta({ id }) },
  ]).generateComponents();
  return structuredClone(components!.schemas![id] as SchemaObject);
}

export function problem(kind: ProblemKind, description: string): ResponseConfig {
  return {
    description: `${description} (problem type urn:uap:problem:${kind.slug})`,
    content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemDetailsSchema } },
  };
}

export const UNAVAILABLE = problem(
  PROBLEMS.unavailable,
  'The broker or store is down or slow; retry after Retry-After',
);
export const BAD_QUERY = problem(
  PROBLEMS.validation,
  'Invalid or unknown query parameter, or a cursor of another query',
);
/** The promise of a change to the access log (keys, sources), said in the description of each of its writes. */
export const IN_FORCE =
  'The answer comes once this replica enforces the change; `inForceBy` says by when every api replica does ' +
  '(about 2 s later at most).';

export const ADMIN_FORBIDDEN = problem(PROBLEMS.forbidden, 'The API key lacks the admin scope');

export function securedResponses(): RouteConfig['responses'] {
  return {
    401: problem(PROBLEMS.unauthorized, 'Missing, malformed or unknown API key'),
    403: problem(PROBLEMS.forbidden, 'The API key lacks the scope for this method'),
    429: problem(PROBLEMS.tooManyRequests, 'Rate limit exceeded; retry after Retry-After'),
  };
}

/**
 * What ingest answers a key bound to a source (with API keys on), beyond securedResponses: a paused source (403),
 * a type it may not send (422, where the dialect refuses the whole request for it), its rate limit (429).
 */
export function sourcePolicyResponses(options: { typeNotAllowed: boolean }): RouteConfig['responses'] {
  return {
    403: {
      description:
        'The API key lacks the ingest scope (problem type urn:uap:problem:forbidden), or the source it is bound to ' +
        'is paused (urn:uap:problem:source-paused); nothing is stored',
      content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemDetailsSchema } },
    },
    ...(options.typeNotAllowed
      ? {
          422: problem(
            PROBLEMS.typeNotAllowed,
            'An event has a type the source of the API key may not send (its allowedTypes); `errors` names each ' +
              'such event, and nothing is stored',
          ),
        }
      : {}),
    429: problem(
      PROBLEMS.tooManyRequests,
      'The rate limit of the API key, or of the source it is bound to (its rateLimitPerMinute), is exceeded; retry ' +
        'after Retry-After',
    ),
  };
}

/** Express `/a/:id` to OpenAPI `/a/{id}`. */
export function toOpenApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/**
 * The rules an operation applies that its schema cannot state (see BEYOND_SCHEMA_RULES). A 400 that
 * breaks one of them names it in `errors[].rule`; any other 400 means the request broke the schema.
 */
export function rules(...names: BeyondSchemaRule[]) {
  return { 'x-rules-beyond-schema': names.map((rule) => ({ rule, description: BEYOND_SCHEMA_RULES[rule] })) };
}

/** A receipt as the api issues it; ingest answers with one, receipts read it, reads accept it as a token. */
export const ReceiptTokenSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/)
  .describe('Opaque and signed: the event’s topic partition and offset. GET /api/v1/receipts/{receipt}.');
