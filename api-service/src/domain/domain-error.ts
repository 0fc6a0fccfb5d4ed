/**
 * What went wrong, in terms a client can act on. The HTTP layer maps each code to a status
 * (interfaces/http/problem.ts); adding a code here makes the compiler ask for that mapping.
 */
export type DomainErrorCode =
  | 'VALIDATION_FAILED'
  | 'NOT_FOUND'
  | 'PAYLOAD_TOO_LARGE'
  /** The request clashes with work already under way (e.g. an overlapping replay job). */
  | 'CONFLICT'
  /** A dependency (broker, store) is down or slow; the client should retry the same request. */
  | 'SERVICE_UNAVAILABLE';

export interface FieldError {
  /** Dotted path into the request, e.g. `events.3.userId`; `(root)` for the document itself. */
  path: string;
  message: string;
}

export interface DomainErrorOptions {
  errors?: FieldError[];
  /** Retrying the same request later may succeed (infrastructure trouble, not bad input). */
  retriable?: boolean;
  cause?: unknown;
}

export class DomainError extends Error {
  override readonly name = 'DomainError';
  readonly errors: FieldError[];
  readonly retriable: boolean;

  constructor(
    readonly code: DomainErrorCode,
    message: string,
    options: DomainErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.errors = options.errors ?? [];
    this.retriable = options.retriable ?? false;
  }
}

type PathLike = ReadonlyArray<PropertyKey>;

export function formatPath(path: PathLike): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

/** Turns schema issues (zod's shape, kept structural so the domain needs no zod import) into field errors. */
export function toFieldErrors(issues: ReadonlyArray<{ path: PathLike; message: string }>): FieldError[] {
  return issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}
