import { CONTRACT_RULES } from '@uap/shared/contract';
import { QUERY_LIMITS } from './activity-query';

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
  /** The client's If-Match names a version that is no longer current: it would overwrite a change it never saw. */
  | 'PRECONDITION_FAILED'
  /** A change to something that exists must say which version it saw (If-Match). */
  | 'PRECONDITION_REQUIRED'
  /** A dependency (broker, store) is down or slow; the client should retry the same request. */
  | 'SERVICE_UNAVAILABLE'
  /** Keys and sources (manage-access): each its own problem type, so a client can tell them apart. */
  | 'KEY_NOT_FOUND'
  /** A key from API_KEYS: fixed by configuration, so it cannot be rotated or revoked through the API. */
  | 'BOOTSTRAP_KEY'
  /** Only a live key that was not rotated yet can be rotated. */
  | 'KEY_NOT_ROTATABLE'
  /** A key names a source that does not exist. */
  | 'UNKNOWN_SOURCE'
  | 'SOURCE_EXISTS'
  | 'SOURCE_NOT_FOUND'
  /** The sending key's source is paused: nothing it sends is accepted until it is resumed. */
  | 'SOURCE_PAUSED'
  /** An event's type is not among those the sending key's source may send (its allowedTypes). */
  | 'TYPE_NOT_ALLOWED';

/**
 * The rules a request can break that no OpenAPI schema can state: they compare two fields, depend on
 * the clock or the data, or need a secret to check. The document lists per operation which of them it
 * applies, and a field error names the one it broke, so a client (and the fuzzer in CI) can tell a
 * broken rule from a schema violation.
 */
export const BEYOND_SCHEMA_RULES = {
  'range-order': 'from must be before to (from is inclusive, to exclusive).',
  [CONTRACT_RULES.futureOccurredAt]: 'occurredAt may be at most the configured skew ahead of the server clock.',
  [CONTRACT_RULES.metadataContent]:
    'metadata (on /v1 also properties, traits, context, integrations and unnamed fields): at most 8 KB serialized (32 KB on /v1) and 5 levels deep; no key starting with "$", containing "." or NUL, or a prototype key; no NUL or unpaired surrogate in keys or strings; no array directly inside an array.',
  [CONTRACT_RULES.actor]: 'Either userId or anonymousId is required.',
  'segment-event-name':
    'A track call’s event names its activity type: a name some type lists in its eventNames maps to that type, any other is put in UPPER_SNAKE ("Order Completed" → ORDER_COMPLETED), which must then start with a letter and have at most 64 characters.',
  'segment-event-time':
    'A message’s time corrected for the device’s skew, receivedAt − (sentAt − (originalTimestamp ?? timestamp)), may be at most the configured skew ahead of the server clock, and not before the year 0000.',
  'segment-type-metadata':
    'properties (track, page, screen) or traits (identify, group) must match the metadataSchema of the activity type the call maps to (GET /api/v1/activity-types), unless the policy accepts and flags such events.',
  'cursor-not-issued': 'A cursor must be one this API issued, sent with the same filters and sort.',
  'cursor-with-page': 'cursor and page cannot be combined.',
  'offset-cap': 'Offset paging reaches page × limit ≤ 10,000 rows.',
  'stats-bucket-cap': 'Stats answer at most 10,080 buckets (7 days of minutes): a longer range needs a coarser bucket.',
  'type-count-cap': `At most ${QUERY_LIMITS.maxTypes} distinct activity types in one query, repeated and comma-separated together.`,
  'stats-count-cap':
    'Stats count at most 100,000 events one by one (a userId in the range, or the partial minute at an unaligned end).',
  'usable-json-schema':
    'metadataSchema must be a usable JSON Schema (2020-12): self-contained (local $ref only), at most 64 KB, 32 levels and 10,000 values, known keywords and formats only, patterns that RE2 runs and that nest no quantifiers.',
  'planned-type':
    'type must name an activity type the registry holds and has not retired (GET /api/v1/activity-types); other names follow the unplanned policy, which may refuse them.',
  'insights-range': 'Active users answer at most 366 whole UTC days (from floored and to ceiled to UTC midnights).',
  'insights-field':
    'field must be userId, type, or a metadata path that every requested type declares in its current version’s rankableFields (GET /api/v1/activity-types/{name}); a metadata field therefore needs type.',
  'funnel-steps':
    'steps: 2-10 comma-separated steps, each an activity type with optional [metadata.<path>=<value>;…] equalities, each path at most once per step and at most 10 distinct paths in all.',
  'funnel-window':
    'within: an ISO-8601 duration of W, D, H and M parts (P7D, PT30M, P1DT12H), from 1 minute to 90 days.',
  'funnel-event-cap':
    'A funnel reads at most 1,000,000 events of its step types in [from, to + within): narrow the range.',
  'key-expiry': 'expiresAt must be in the future.',
  'known-source': 'sourceId must name a source that exists (GET /api/v1/sources); otherwise the answer is 422.',
  'type-not-allowed':
    'type (on /v1 the type a call maps to) must be one of the allowedTypes of the source the API key is bound to, when that source lists any (GET /api/v1/sources/{id}).',
  'token-not-issued':
    'Receipts, consistency tokens and stream event ids must be ones this API issued (receipts and tokens are signed by this deployment).',
} as const;
export type BeyondSchemaRule = keyof typeof BEYOND_SCHEMA_RULES;

const isRule = (value: unknown): value is BeyondSchemaRule =>
  typeof value === 'string' && Object.hasOwn(BEYOND_SCHEMA_RULES, value);

export interface FieldError {
  /** Dotted path into the request, e.g. `events.3.userId`; `(root)` for the document itself. */
  path: string;
  message: string;
  /** Set when the request broke a rule its schema cannot state. */
  rule?: BeyondSchemaRule;
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
export function toFieldErrors(
  issues: ReadonlyArray<{ path: PathLike; message: string; params?: { rule?: unknown } | undefined }>,
): FieldError[] {
  return issues.map((issue) => ({
    path: formatPath(issue.path),
    message: issue.message,
    ...(isRule(issue.params?.rule) ? { rule: issue.params.rule } : {}),
  }));
}
