import { IsoDateTimeSchema } from '@uap/shared/contract';
import { z } from 'zod';
import { DomainError, toFieldErrors, type BeyondSchemaRule, type FieldError } from '../../domain/domain-error';

// express 5's default ('simple') query parser hands repeated keys over as arrays and leaves
// `userId[$ne]=x` as a literal key, so every value is a string or string[] and keys need checking.
export const once = (what: string) =>
  z.string({
    error: (issue) => (Array.isArray(issue.input) ? `${what} must be given at most once` : `${what} must be a string`),
  });

// zod-to-openapi documents a chain by its input side, which for a query parameter is always a
// string. Each helper below therefore states the parameter's exact OpenAPI schema itself (a `type`
// in the metadata replaces the generated one), so the document accepts what the server accepts.
type JsonSchema = Record<string, unknown>;

/** The JSON Schema of a value schema as a client sends it, for the OpenAPI document. */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as JsonSchema;
  return rest;
}

/** A scalar string parameter validated by `schema` (an enum, a pattern, …), documented as exactly that. */
export const stringParam = <T extends z.ZodType<unknown, string>>(name: string, schema: T) =>
  once(name).pipe(schema).meta(jsonSchemaOf(schema));

const DIGITS = /^[0-9]{1,7}$/;
export const integerParam = (name: string, min: number, max: number) =>
  once(name)
    .regex(DIGITS, `${name} must be a whole number`)
    .transform(Number)
    .pipe(z.int().min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`))
    .meta({ type: 'integer', minimum: min, maximum: max });

export const dateParam = (name: string) =>
  once(name)
    .refine(
      (value) => IsoDateTimeSchema.safeParse(value).success,
      `${name} must be an ISO-8601 date-time with an offset, e.g. 2026-01-01T00:00:00Z`,
    )
    .transform((value) => new Date(value))
    .meta({ type: 'string', format: 'date-time' });

/**
 * A repeatable parameter of enum values, `k=A&k=B` or `k=A,B` (or both), deduplicated. Documented as
 * an exploded form array whose items are one value or a comma list of them, which is exactly that.
 */
export function enumListParam<const T extends readonly [string, ...string[]]>(name: string, values: T) {
  const one = `(${values.join('|')})`;
  return z
    .union([z.string(), z.array(z.string()).max(values.length * 2, `${name} given too many times`)])
    .transform((value) => (Array.isArray(value) ? value : [value]).flatMap((item) => item.split(',')))
    .pipe(z.array(z.enum(values)))
    .transform((items) => [...new Set(items)])
    .meta({
      type: 'array',
      items: { type: 'string', pattern: `^${one}(,${one})*$` },
      minItems: 1,
      maxItems: values.length * 2,
      param: { style: 'form', explode: true },
    });
}

/**
 * A repeatable parameter of names from an open vocabulary (`k=A&k=B` or `k=A,B`, or both), each valid for
 * `item` (a pattern, which the document states), deduplicated. A name nobody uses is valid and simply
 * matches nothing. More than `maxItems` distinct names in all is refused under `rule`: the document bounds
 * each value and the repetitions, but no JSON Schema can bound the names of all repetitions together.
 */
export function nameListParam(
  name: string,
  item: z.ZodType<string, string>,
  options: { maxItems: number; rule: BeyondSchemaRule },
) {
  const pattern = jsonSchemaOf(item)['pattern'];
  if (typeof pattern !== 'string') throw new Error(`${name}: the item schema must state a pattern to document`);
  const one = pattern.replace(/^\^/, '').replace(/\$$/, '');
  return z
    .union([z.string(), z.array(z.string()).max(options.maxItems, `${name} given too many times`)])
    .transform((value) => (Array.isArray(value) ? value : [value]).flatMap((entry) => entry.split(',')))
    .pipe(z.array(item))
    .transform((items) => [...new Set(items)])
    .superRefine((items, ctx) => {
      if (items.length <= options.maxItems) return;
      ctx.addIssue({
        code: 'custom',
        message: `at most ${options.maxItems} distinct ${name} values in all, repeated and comma-separated together`,
        params: { rule: options.rule },
      });
    })
    .meta({
      type: 'array',
      items: { type: 'string', pattern: `^${one}(,${one}){0,${options.maxItems - 1}}$` },
      minItems: 1,
      maxItems: options.maxItems,
      param: { style: 'form', explode: true },
    });
}

const OPERATOR_SYNTAX = /[[\]$.]/;

/** [from, to) must not be empty or reversed: a rule across two fields, so it is named in the error. */
export function rangeErrors(range: { from?: Date | undefined; to?: Date | undefined }, path = 'from'): FieldError[] {
  return range.from && range.to && range.from >= range.to
    ? [{ path, message: 'from must be before to (from is inclusive, to exclusive)', rule: 'range-order' }]
    : [];
}

/** Throws the range error, if any. */
export function assertRange(range: { from?: Date | undefined; to?: Date | undefined }, path?: string): void {
  const errors = rangeErrors(range, path);
  if (errors.length > 0) throw invalid(errors);
}

export function invalid(errors: FieldError[]): DomainError {
  return new DomainError('VALIDATION_FAILED', 'The query parameters are invalid', { errors });
}

/**
 * Validates the raw query before zod sees it: bracket and operator keys are named as such, unknown
 * keys listed, and only then are values parsed. Nothing that fails here reaches the use case.
 */
export function parseQuery<T>(schema: z.ZodType<T>, allowed: readonly string[], query: unknown): T {
  const raw = { ...(query as Record<string, unknown>) };
  const errors: FieldError[] = [];
  for (const key of Object.keys(raw)) {
    const path = key.length > 64 ? `${key.slice(0, 64)}…` : key;
    if (OPERATOR_SYNTAX.test(key)) {
      errors.push({
        path,
        message: 'operator or bracket syntax is not supported; send plain values like userId=alice',
      });
    } else if (!allowed.includes(key)) {
      errors.push({
        path,
        message:
          allowed.length > 0
            ? `unknown parameter; allowed: ${allowed.join(', ')}`
            : 'this endpoint takes no parameters',
      });
    }
  }
  if (errors.length > 0) throw invalid(errors);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw invalid(toFieldErrors(parsed.error.issues));
  return parsed.data;
}
