import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import { DomainError, toFieldErrors } from '../../domain/domain-error';
import { DOMAIN_ERROR_PROBLEMS, PROBLEMS, sendProblem, type ProblemKind } from './problem';

export interface ErrorHandlerOptions {
  logger: Logger;
  /** Sent as Retry-After with every retriable failure (broker or store down). */
  retryAfterSeconds: number;
}

/** body-parser's errors are http-errors with a `type`; only their 4xx ones reflect client input. */
type HttpError = Error & { type?: string; status?: number; limit?: number; expose?: boolean };

function bodyParserProblem(err: HttpError): { kind: ProblemKind; detail: string } | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return { kind: PROBLEMS.malformedJson, detail: `The body is not valid JSON: ${err.message}` };
    case 'entity.too.large':
      return { kind: PROBLEMS.payloadTooLarge, detail: `The body exceeds the limit of ${err.limit ?? '?'} bytes` };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { kind: PROBLEMS.unsupportedMediaType, detail: err.message };
  }
  if (err.status !== undefined && err.status >= 400 && err.status < 500) {
    const kind = err.status === 400 ? PROBLEMS.badRequest : { ...PROBLEMS.badRequest, status: err.status };
    return { kind, detail: err.expose ? err.message : 'The request could not be read' };
  }
  return undefined;
}

/**
 * The one place errors become responses: domain and schema errors map to their 4xx, retriable
 * infrastructure failures to 503 + Retry-After, anything else to a bare 500. No stack trace or
 * internal message ever reaches the client; 5xx are logged with the request id.
 */
export function errorHandler(options: ErrorHandlerOptions): ErrorRequestHandler {
  const log = options.logger.child({ component: 'error-handler' });
  const retryAfter = { 'Retry-After': String(options.retryAfterSeconds) };
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    if (err instanceof DomainError) {
      const kind = DOMAIN_ERROR_PROBLEMS[err.code];
      if (kind.status >= 500) log.warn({ err, requestId: res.locals['requestId'] }, 'request failed: %s', err.code);
      sendProblem(req, res, kind, err.message, {
        ...(err.errors.length > 0 ? { errors: err.errors } : {}),
        ...(err.retriable ? { headers: retryAfter } : {}),
      });
      return;
    }
    if (err instanceof ZodError) {
      sendProblem(req, res, PROBLEMS.validation, 'The request does not match the schema', {
        errors: toFieldErrors(err.issues),
      });
      return;
    }
    const fromBody = err instanceof Error ? bodyParserProblem(err as HttpError) : undefined;
    if (fromBody !== undefined) {
      sendProblem(req, res, fromBody.kind, fromBody.detail);
      return;
    }
    log.error({ err, requestId: res.locals['requestId'] }, 'unhandled error');
    sendProblem(req, res, PROBLEMS.internal, 'Something went wrong on our side; the request id helps us find it');
  };
}
