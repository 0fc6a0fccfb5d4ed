import type { Request, Response } from 'express';
import { z } from 'zod';
import {
  BEYOND_SCHEMA_RULES,
  type BeyondSchemaRule,
  type DomainErrorCode,
  type FieldError,
} from '../../domain/domain-error';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** RFC 9457 problem details, plus `errors` for validation and `requestId` for support tickets. */
export const ProblemDetailsSchema = z
  .object({
    type: z.string().describe('URN naming the kind of problem, e.g. urn:uap:problem:validation-failed'),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    instance: z.string().describe('The request path'),
    requestId: z.string().optional().describe('Also sent as the X-Request-Id header'),
    errors: z
      .array(
        z.object({
          path: z.string().describe('Dotted path, e.g. events.3.userId'),
          message: z.string(),
          rule: z
            .enum(Object.keys(BEYOND_SCHEMA_RULES) as [BeyondSchemaRule, ...BeyondSchemaRule[]])
            .optional()
            .describe('Set when the request broke a rule its schema cannot state; see x-rules-beyond-schema.'),
        }),
      )
      .optional()
      .describe('One entry per invalid field (validation problems only)'),
    errorCount: z.int().optional().describe('Set when `errors` was cut short: how many there were in all.'),
  })
  .meta({ id: 'Problem' });
export type ProblemDetails = z.infer<typeof ProblemDetailsSchema>;

/** A hostile body can hold thousands of bad keys; listing them all would make the answer larger than the question. */
export const MAX_LISTED_ERRORS = 100;

export interface ProblemKind {
  status: number;
  title: string;
  /** Short slug; becomes the problem `type` URN. */
  slug: string;
}

export const PROBLEMS = {
  malformedJson: { status: 400, title: 'Malformed JSON', slug: 'malformed-json' },
  validation: { status: 400, title: 'Validation failed', slug: 'validation-failed' },
  badRequest: { status: 400, title: 'Bad request', slug: 'bad-request' },
  unauthorized: { status: 401, title: 'Unauthorized', slug: 'unauthorized' },
  forbidden: { status: 403, title: 'Forbidden', slug: 'forbidden' },
  notFound: { status: 404, title: 'Not found', slug: 'not-found' },
  methodNotAllowed: { status: 405, title: 'Method not allowed', slug: 'method-not-allowed' },
  conflict: { status: 409, title: 'Conflict', slug: 'conflict' },
  preconditionFailed: { status: 412, title: 'Precondition failed', slug: 'precondition-failed' },
  payloadTooLarge: { status: 413, title: 'Payload too large', slug: 'payload-too-large' },
  unsupportedMediaType: { status: 415, title: 'Unsupported media type', slug: 'unsupported-media-type' },
  preconditionRequired: { status: 428, title: 'Precondition required', slug: 'precondition-required' },
  tooManyRequests: { status: 429, title: 'Too many requests', slug: 'too-many-requests' },
  internal: { status: 500, title: 'Internal server error', slug: 'internal' },
  unavailable: { status: 503, title: 'Service unavailable', slug: 'service-unavailable' },
  keyNotFound: { status: 404, title: 'API key not found', slug: 'key-not-found' },
  bootstrapKey: { status: 409, title: 'Bootstrap key', slug: 'bootstrap-key' },
  keyNotRotatable: { status: 409, title: 'API key cannot be rotated', slug: 'key-not-rotatable' },
  unknownSource: { status: 422, title: 'Unknown source', slug: 'unknown-source' },
  sourceExists: { status: 409, title: 'Source exists', slug: 'source-exists' },
  sourceNotFound: { status: 404, title: 'Source not found', slug: 'source-not-found' },
  sourcePaused: { status: 403, title: 'Source paused', slug: 'source-paused' },
  typeNotAllowed: { status: 422, title: 'Type not allowed', slug: 'type-not-allowed' },
} as const satisfies Record<string, ProblemKind>;

export const DOMAIN_ERROR_PROBLEMS: Record<DomainErrorCode, ProblemKind> = {
  VALIDATION_FAILED: PROBLEMS.validation,
  NOT_FOUND: PROBLEMS.notFound,
  PAYLOAD_TOO_LARGE: PROBLEMS.payloadTooLarge,
  CONFLICT: PROBLEMS.conflict,
  PRECONDITION_FAILED: PROBLEMS.preconditionFailed,
  PRECONDITION_REQUIRED: PROBLEMS.preconditionRequired,
  SERVICE_UNAVAILABLE: PROBLEMS.unavailable,
  KEY_NOT_FOUND: PROBLEMS.keyNotFound,
  BOOTSTRAP_KEY: PROBLEMS.bootstrapKey,
  KEY_NOT_ROTATABLE: PROBLEMS.keyNotRotatable,
  UNKNOWN_SOURCE: PROBLEMS.unknownSource,
  SOURCE_EXISTS: PROBLEMS.sourceExists,
  SOURCE_NOT_FOUND: PROBLEMS.sourceNotFound,
  SOURCE_PAUSED: PROBLEMS.sourcePaused,
  TYPE_NOT_ALLOWED: PROBLEMS.typeNotAllowed,
};

export function problemType(kind: ProblemKind): string {
  return `urn:uap:problem:${kind.slug}`;
}

/** The request id set by the request-id middleware (empty before it ran). */
export function requestIdOf(res: Response): string {
  return typeof res.locals['requestId'] === 'string' ? res.locals['requestId'] : '';
}

export function sendProblem(
  req: Request,
  res: Response,
  kind: ProblemKind,
  detail: string,
  extra: { errors?: FieldError[]; headers?: Record<string, string>; members?: Record<string, unknown> } = {},
): void {
  const body: ProblemDetails = {
    // Extension members (RFC 9457 §3.2) a problem type defines, such as a partly accepted batch's counts.
    ...extra.members,
    type: problemType(kind),
    title: kind.title,
    status: kind.status,
    detail,
    // The path only: the query string is client input and may be long or hostile.
    instance: req.originalUrl.split('?')[0] ?? '/',
    requestId: requestIdOf(res),
    ...(extra.errors === undefined ? {} : { errors: extra.errors.slice(0, MAX_LISTED_ERRORS) }),
    ...(extra.errors !== undefined && extra.errors.length > MAX_LISTED_ERRORS
      ? { errorCount: extra.errors.length }
      : {}),
  };
  // Read by the metrics middleware, which counts rejected events by this reason.
  res.locals['problem'] = kind.slug;
  for (const [name, value] of Object.entries(extra.headers ?? {})) res.setHeader(name, value);
  res.status(kind.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}
