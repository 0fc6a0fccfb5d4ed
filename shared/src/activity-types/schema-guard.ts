import { RE2 } from 're2-wasm';

/**
 * Bounds on a submitted metadata schema. They keep compiling and validating cheap, so that trying hostile
 * schemas cannot move ingest latency: a schema is inspected before ajv ever sees it.
 */
export const SCHEMA_LIMITS = { maxBytes: 64 * 1024, maxDepth: 32, maxNodes: 10_000, maxPatternLength: 512 } as const;

/** The `format` values the validators check (ajv-formats); any other would be silently ignored, so it is refused. */
export const SUPPORTED_FORMATS = [
  'date-time',
  'date',
  'time',
  'duration',
  'email',
  'hostname',
  'ipv4',
  'ipv6',
  'uri',
  'uri-reference',
  'uuid',
] as const;

export interface SchemaProblem {
  /** JSON pointer into the submitted schema, e.g. "/properties/q/pattern"; "" is the root. */
  pointer: string;
  message: string;
}

const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';
const MAX_PROBLEMS = 20;

// Where subschemas live. Every other member of a schema object is data (enum, const, default, examples…)
// or a property name chosen by the user, and must not be read as a keyword.
const SCHEMA_KEYWORDS = new Set([
  'items',
  'additionalItems',
  'additionalProperties',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
  'unevaluatedProperties',
  'unevaluatedItems',
]);
const SCHEMA_ARRAY_KEYWORDS = new Set(['prefixItems', 'allOf', 'anyOf', 'oneOf']);
// `definitions` and `dependencies` are draft-07 spellings that ajv's 2020 dialect still compiles.
const SCHEMA_MAP_KEYWORDS = new Set([
  'properties',
  'patternProperties',
  '$defs',
  'definitions',
  'dependentSchemas',
  'dependencies',
]);
const REF_KEYWORDS = new Set(['$ref', '$dynamicRef', '$recursiveRef']);
const NAMING_KEYWORDS = new Set(['$id', '$anchor', '$dynamicAnchor', '$recursiveAnchor', '$vocabulary']);
const FORMATS: ReadonlySet<string> = new Set(SUPPORTED_FORMATS);

/** The reasons a metadata schema is refused, or [] when it is acceptable. Never throws, whatever the input. */
export function inspectMetadataSchema(schema: unknown): SchemaProblem[] {
  try {
    if (!isPlainObject(schema)) {
      return [{ pointer: '', message: 'the schema must be a JSON object: it validates an event’s metadata object' }];
    }
    // Shape first, without recursion: JSON.stringify itself overflows the stack on very deep input.
    const shape = inspectShape(schema);
    if (shape) return [shape];
    const bytes = Buffer.byteLength(JSON.stringify(schema), 'utf8');
    if (bytes > SCHEMA_LIMITS.maxBytes) {
      return [{ pointer: '', message: `the schema is ${bytes} bytes; at most ${SCHEMA_LIMITS.maxBytes} are accepted` }];
    }
    return inspectKeywords(schema);
  } catch {
    // Proxies, throwing getters and other non-JSON input from in-process callers.
    return [{ pointer: '', message: 'the schema could not be read as JSON' }];
  }
}

/** Depth, node count and JSON-ness, with an explicit stack; stops at the first excess. */
function inspectShape(root: Record<string, unknown>): SchemaProblem | undefined {
  const stack: Array<{ value: unknown; pointer: string; depth: number }> = [{ value: root, pointer: '', depth: 1 }];
  let nodes = 1;
  while (stack.length > 0) {
    const { value, pointer, depth } = stack.pop()!;
    if (value === null || typeof value === 'string' || typeof value === 'boolean') continue;
    if (typeof value === 'number' && Number.isFinite(value)) continue;
    if (!Array.isArray(value) && !isPlainObject(value)) {
      return { pointer, message: 'the schema holds a value that is not JSON' };
    }
    if (depth > SCHEMA_LIMITS.maxDepth) {
      return { pointer, message: `the schema nests deeper than ${SCHEMA_LIMITS.maxDepth} levels` };
    }
    // Counted before any child is copied, so that a huge array costs nothing.
    const keys = Array.isArray(value) ? undefined : Object.keys(value);
    nodes += keys ? keys.length : (value as unknown[]).length;
    if (nodes > SCHEMA_LIMITS.maxNodes) {
      return { pointer, message: `the schema has more than ${SCHEMA_LIMITS.maxNodes} values` };
    }
    const children = keys
      ? keys.map((key) => [key, (value as Record<string, unknown>)[key]] as const)
      : [...(value as unknown[]).entries()];
    for (const [key, child] of children) {
      stack.push({ value: child, pointer: `${pointer}/${escapePointer(String(key))}`, depth: depth + 1 });
    }
  }
  return undefined;
}

/** The keyword rules, walking only schema positions. Depth is already bounded, the stack is for symmetry. */
function inspectKeywords(root: Record<string, unknown>): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const report = (pointer: string, message: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ pointer, message });
  };
  // A local $ref may only land on a position this walk inspected, or it could smuggle in an unchecked pattern.
  const schemaPointers = new Set<string>();
  const refs: Array<{ pointer: string; ref: string }> = [];

  if ('type' in root && root.type !== 'object' && !(Array.isArray(root.type) && root.type.includes('object'))) {
    report('/type', 'the root `type` must be "object": the schema validates an event’s metadata, always an object');
  }
  const stack: Array<{ value: unknown; pointer: string }> = [{ value: root, pointer: '' }];
  while (stack.length > 0 && problems.length < MAX_PROBLEMS) {
    const { value: schema, pointer } = stack.pop()!;
    if (typeof schema === 'boolean') continue;
    if (!isPlainObject(schema)) {
      report(pointer, 'a schema must be an object or a boolean');
      continue;
    }
    schemaPointers.add(pointer);
    const children: Array<{ value: unknown; pointer: string }> = [];
    for (const [keyword, value] of Object.entries(schema)) {
      const at = `${pointer}/${escapePointer(keyword)}`;
      if (keyword === '$schema' && value !== DRAFT_2020_12) {
        report(at, `\`$schema\` must be "${DRAFT_2020_12}": it is the only dialect the registry validates with`);
      } else if (REF_KEYWORDS.has(keyword)) {
        if (typeof value !== 'string') report(at, `\`${keyword}\` must be a string`);
        else if (!value.startsWith('#')) {
          report(at, 'remote $ref is not allowed: schemas are self-contained, the registry never fetches');
        } else refs.push({ pointer: at, ref: value });
      } else if (NAMING_KEYWORDS.has(keyword)) {
        report(at, `\`${keyword}\` is not allowed: schemas are self-contained and may not name or import documents`);
      } else if (keyword === 'pattern') {
        const why = patternProblem(value);
        if (why) report(at, `\`pattern\` ${why}`);
      } else if (keyword === 'format') {
        if (typeof value !== 'string' || !FORMATS.has(value)) {
          report(at, `\`format\` must be one of ${SUPPORTED_FORMATS.join(', ')}: others would not be checked`);
        }
      } else if (SCHEMA_KEYWORDS.has(keyword)) {
        // `items` as an array is the draft-07 tuple form; inspect it all the same.
        if (Array.isArray(value)) value.forEach((item, i) => children.push({ value: item, pointer: `${at}/${i}` }));
        else children.push({ value, pointer: at });
      } else if (SCHEMA_ARRAY_KEYWORDS.has(keyword)) {
        if (!Array.isArray(value)) report(at, `\`${keyword}\` must be an array of schemas`);
        else value.forEach((item, i) => children.push({ value: item, pointer: `${at}/${i}` }));
      } else if (SCHEMA_MAP_KEYWORDS.has(keyword)) {
        if (!isPlainObject(value)) {
          report(at, `\`${keyword}\` must be an object of schemas`);
          continue;
        }
        for (const [name, member] of Object.entries(value)) {
          const memberAt = `${at}/${escapePointer(name)}`;
          if (keyword === 'patternProperties') {
            const why = patternProblem(name);
            if (why) report(memberAt, `the \`patternProperties\` key ${why}`);
          }
          // draft-07 `dependencies` mixes schemas with arrays of required names.
          if (keyword === 'dependencies' && Array.isArray(member)) continue;
          children.push({ value: member, pointer: memberAt });
        }
      }
    }
    // Reversed, so that problems come out in document order.
    stack.push(...children.reverse());
  }

  for (const { pointer, ref } of refs) {
    if (!schemaPointers.has(refTarget(ref))) {
      report(
        pointer,
        `$ref "${ref}" does not point to a schema in this document; use one under $defs, e.g. "#/$defs/name"`,
      );
    }
  }
  return problems;
}

/** Why a regular expression is refused, or undefined. */
function patternProblem(pattern: unknown): string | undefined {
  if (typeof pattern !== 'string') return 'must be a string';
  if (pattern.length > SCHEMA_LIMITS.maxPatternLength) {
    return `is ${pattern.length} characters long; at most ${SCHEMA_LIMITS.maxPatternLength} are accepted`;
  }
  try {
    new RegExp(pattern, 'u');
  } catch (error) {
    return `is not a valid regular expression: ${(error as Error).message}`;
  }
  const re2 = re2Verdict(pattern);
  if (re2 === 'unavailable') return 'could not be checked: the regular expression engine is unavailable';
  if (re2) {
    return (
      'cannot run on the linear-time engine (RE2) the registry validates with, which has no backreferences ' +
      `or lookaround (\\1, \\k<name>, (?=, (?!, (?<=, (?<!) and repeats at most 1000 times: ${re2}`
    );
  }
  if (hasNestedQuantifier(pattern)) {
    return (
      'has a nested quantifier, like (a+)+: clients that generate code from the published schema run it on ' +
      'backtracking engines, where it takes exponential time; repeat a group whose body has a fixed length'
    );
  }
  return undefined;
}

interface Re2Native {
  ok(): boolean;
  error(): string;
  delete(): void;
}

/**
 * re2-wasm 1.0.2 never frees what it allocates in its fixed 16 MB WebAssembly heap, and every RE2 in the
 * process shares that heap, the validators' included: about 50,000 refused patterns fill it, and from then on
 * RE2 aborts for good, in ingest too. So a probe intercepts the native object the RE2 constructor makes
 * (`this.wrapper`), reads its verdict, stops the constructor before it allocates group names, and frees it.
 * Should re2-wasm change its internals, the verdict stays right and only the freeing is lost.
 */
class Re2Probe extends RE2 {}
const COMPILED = Symbol('compiled');
let probed: Re2Native | undefined;
Object.defineProperty(Re2Probe.prototype, 'wrapper', {
  set(native: Re2Native) {
    probed = native;
  },
  get() {
    return {
      ok: () => probed?.ok(),
      error: () => probed?.error(),
      capturingGroupNames: () => {
        throw COMPILED;
      },
    };
  },
});

/** undefined when RE2 compiles the pattern, else RE2's reason, or 'unavailable' when RE2 itself has failed. */
function re2Verdict(pattern: string): string | undefined {
  try {
    new Re2Probe(pattern, 'u');
    return undefined;
  } catch (error) {
    if (error === COMPILED) return undefined;
    if (error instanceof SyntaxError) return error.message.replace(/^Invalid regular expression: \/.*\/u: /s, '');
    return 'unavailable';
  } finally {
    probed?.delete();
    probed = undefined;
  }
}

/**
 * Star height above one: a repeating quantifier (max > 1) on a group whose body holds a quantifier that lets
 * the match length vary (`*`, `+`, `?`, `{n,}`, `{n,m}` with m > n). `(a+)+`, `(\d+)*`, `(a|a?)+` are nested;
 * `(\d{3})+`, `(ab)?`, `(a+){1}` are not. It does not see ambiguous alternation like `(a|ab)+`. The pattern
 * has already compiled with flag 'u', so `{` only appears in quantifiers, classes and escapes.
 */
function hasNestedQuantifier(pattern: string): boolean {
  // One entry per open group: does its body so far have a length-varying quantifier?
  const groups: boolean[] = [false];
  // Whether the atom just read is a group with a varying body; undefined for any other atom.
  let groupJustClosed: boolean | undefined;
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i];
    const quantifier = readQuantifier(pattern, i);
    if (quantifier) {
      if (groupJustClosed && quantifier.max > 1) return true;
      if (quantifier.max > quantifier.min) groups[groups.length - 1] = true;
      i = quantifier.end;
      groupJustClosed = undefined;
      continue;
    }
    groupJustClosed = undefined;
    if (ch === '\\') i = skipEscape(pattern, i);
    else if (ch === '[') i = skipClass(pattern, i);
    else if (ch === '(') {
      groups.push(false);
      i = skipGroupPrefix(pattern, i + 1);
    } else if (ch === ')' && groups.length > 1) {
      const varies = groups.pop()!;
      if (varies) groups[groups.length - 1] = true;
      groupJustClosed = varies;
      i++;
    } else i++;
  }
  return false;
}

function readQuantifier(pattern: string, i: number): { min: number; max: number; end: number } | undefined {
  const ch = pattern[i];
  let min: number;
  let max: number;
  let end = i + 1;
  if (ch === '*') [min, max] = [0, Infinity];
  else if (ch === '+') [min, max] = [1, Infinity];
  else if (ch === '?') [min, max] = [0, 1];
  else if (ch === '{') {
    const braces = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i, i + 32));
    if (!braces) return undefined;
    min = Number(braces[1]);
    max = braces[2] === undefined ? min : braces[3] ? Number(braces[3]) : Infinity;
    end = i + braces[0].length;
  } else return undefined;
  if (pattern[end] === '?') end++; // lazy: same repetition, other order
  return { min, max, end };
}

/** Past `\x`, `\u{…}` and `\p{…}` (whose braces are not quantifiers). */
function skipEscape(pattern: string, i: number): number {
  if ('uPp'.includes(pattern[i + 1] ?? '') && pattern[i + 2] === '{') {
    const close = pattern.indexOf('}', i + 3);
    return close === -1 ? pattern.length : close + 1;
  }
  return i + 2;
}

/** Past a character class; `]` closes it unless escaped. */
function skipClass(pattern: string, i: number): number {
  let j = i + 1;
  if (pattern[j] === '^') j++;
  while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
  return j + 1;
}

/** Past `?:`, `?=`, `?!`, `?<=`, `?<!` or `?<name>`, whose `?` is not a quantifier. */
function skipGroupPrefix(pattern: string, j: number): number {
  if (pattern[j] !== '?') return j;
  if (pattern[j + 1] !== '<') return j + 2;
  if (pattern[j + 2] === '=' || pattern[j + 2] === '!') return j + 3;
  const close = pattern.indexOf('>', j);
  return close === -1 ? pattern.length : close + 1;
}

/** The JSON pointer a local `$ref` names: "#" is the root, "#/$defs/a%20b" is "/$defs/a b". */
function refTarget(ref: string): string {
  try {
    return decodeURIComponent(ref.slice(1));
  } catch {
    return ref; // an undecodable fragment matches no schema pointer
  }
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}
