import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats, { type FormatName } from 'ajv-formats';
import { RE2 } from 're2-wasm';
import type { SchemaViolation } from '../contract';
import type { JsonSchema } from './activity-type';
import { SUPPORTED_FORMATS } from './schema-guard';

/** At most this many violations are reported per event: enough to fix a client, bounded for a hostile one. */
export const MAX_VIOLATIONS = 20;

export type MetadataCheck = (metadata: Record<string, unknown>) => SchemaViolation[];

// Patterns run on RE2 (a linear-time automaton, compiled to WebAssembly, no native build), so no pattern
// and no input can make validation backtrack; the schema guard also refuses patterns that would backtrack in
// clients' engines. ajv passes the 'u' flag that RE2 requires.
//
// re2-wasm 1.0.2 never frees an RE2 (its 16 MB WebAssembly heap is process-wide and fixed; when it is full,
// every RE2 fails, in ingest too). So each distinct pattern is compiled once per process and shared by every
// schema version that uses it (ajv only calls `test`, which keeps no state without the g or y flag), and the
// number of distinct patterns is bounded: past MAX_PATTERNS a new one fails to compile, which the registry's
// write path reports as a 400 and never reaches ingest.
export const MAX_PATTERNS = 2_000;
const compiledPatterns = new Map<string, RE2>();
const re2Engine = Object.assign(
  (pattern: string, flags: string) => {
    const key = `${flags}/${pattern}`;
    let compiled = compiledPatterns.get(key);
    if (compiled === undefined) {
      if (compiledPatterns.size >= MAX_PATTERNS) {
        throw new Error(`the registry already uses ${MAX_PATTERNS} distinct patterns, the most this process holds`);
      }
      compiled = new RE2(pattern, flags);
      compiledPatterns.set(key, compiled);
    }
    return compiled;
  },
  { code: 're2' },
);

/**
 * ajv compiles each schema to a JavaScript function once, so an event costs a function call, not a walk of
 * the schema: chosen over zod-from-JSON-Schema because it implements 2020-12 itself (the draft the registry
 * promises) and reports a JSON pointer for every violation. strict mode turns an unknown keyword into a
 * compile error (400 for the admin) instead of a rule that silently checks nothing.
 */
export function createMetadataCompiler(): (schema: JsonSchema) => MetadataCheck {
  const ajv = new Ajv2020({
    strict: true,
    strictTypes: false,
    strictRequired: false,
    strictTuples: false,
    allErrors: true,
    addUsedSchema: false,
    code: { regExp: re2Engine },
  });
  addFormats(ajv, [...SUPPORTED_FORMATS] as FormatName[]);
  return (schema) => {
    const validate = ajv.compile(schema);
    return (metadata) => (validate(metadata) ? [] : violationsOf(validate));
  };
}

function violationsOf(validate: ValidateFunction): SchemaViolation[] {
  return (validate.errors ?? []).slice(0, MAX_VIOLATIONS).map(toViolation);
}

/** Points at the offending field itself: ajv reports a missing or extra property at its parent. */
function toViolation(error: ErrorObject): SchemaViolation {
  const at = `/metadata${error.instancePath}`;
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return { pointer: `${at}/${escapePointer(missing)}`, message: 'is required' };
  }
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return { pointer: `${at}/${escapePointer(extra)}`, message: 'is not allowed (additional property)' };
  }
  return { pointer: at, message: error.message ?? `breaks ${error.keyword}` };
}

const escapePointer = (token: string) => token.replace(/~/g, '~0').replace(/\//g, '~1');
