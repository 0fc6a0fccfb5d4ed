import { IsoDateTimeSchema } from '@uap/shared';
import { z } from 'zod';
import { DomainError, toFieldErrors, type FieldError } from '../../domain/domain-error';

// express 5's default ('simple') query parser hands repeated keys over as arrays and leaves
// `userId[$ne]=x` as a literal key, so every value is a string or string[] and keys need checking.
export const once = (what: string) =>
  z.string({
    error: (issue) => (Array.isArray(issue.input) ? `${what} must be given at most once` : `${what} must be a string`),
  });

const DIGITS = /^[0-9]{1,7}$/;
export const integerParam = (name: string, min: number, max: number) =>
  once(name)
    .regex(DIGITS, `${name} must be a whole number`)
    .transform(Number)
    .pipe(z.int().min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`));

export const dateParam = (name: string) =>
  once(name)
    .refine(
      (value) => IsoDateTimeSchema.safeParse(value).success,
      `${name} must be an ISO-8601 date-time with an offset, e.g. 2026-01-01T00:00:00Z`,
    )
    .transform((value) => new Date(value));

const OPERATOR_SYNTAX = /[[\]$.]/;

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
