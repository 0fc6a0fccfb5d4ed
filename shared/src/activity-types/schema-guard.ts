import { RE2 } from 're2-wasm';

/**
 * Bounds on a submitted metadata schema. They keep compiling and validating cheap, so that trying hostile
 * schemas cannot move ingest latency: a schema is inspected before ajv ever sees it.
 */
export const SCHEMA_LIMITS = {
  maxBytes: 64 * 1024,
  maxDepth: 32,
  maxNodes: 10_000,
  maxPatternLength: 512,
  /** Estimated RE2 compile work for all of a schema's patterns, in units of about 10 µs (see COST): ~0.1 s. */
  maxPatternCost: 10_000,
} as const;

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
  const patterns: PatternUse[] = [];

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
        patterns.push({ pointer: at, role: '`pattern`', pattern: value });
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
            patterns.push({ pointer: memberAt, role: 'the `patternProperties` key', pattern: name });
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
  inspectPatterns(patterns, report, problems.length === 0);
  return problems;
}

interface PatternUse {
  pointer: string;
  /** How the message names it: "`pattern`" or "the `patternProperties` key". */
  role: string;
  pattern: unknown;
}

/**
 * Cheap checks first, for every pattern; RE2 compiles only when they all pass and the estimated compile work
 * fits the budget, so that a hostile schema costs microseconds.
 */
function inspectPatterns(uses: PatternUse[], report: (pointer: string, message: string) => void, clean: boolean) {
  const passed: PatternUse[] = [];
  let cost = 0;
  for (const use of uses) {
    const shape = patternShape(use.pattern);
    if (typeof shape === 'string') {
      report(use.pointer, `${use.role} ${shape}`);
      continue;
    }
    cost += shape.cost;
    if (cost > SCHEMA_LIMITS.maxPatternCost) {
      report(
        use.pointer,
        `${use.role} makes the schema's patterns too costly to compile (about ${cost} units, at most ` +
          `${SCHEMA_LIMITS.maxPatternCost}): Unicode properties (\\p{L}), \`.\` and long counted repetitions ` +
          '({0,1000}) are expensive; use fewer or smaller ones',
      );
      return;
    }
    passed.push(use);
  }
  if (!clean || passed.length < uses.length) return; // refused anyway: spend nothing on RE2
  for (const use of passed) {
    const why = re2Problem(use.pattern as string);
    if (why) report(use.pointer, `${use.role} ${why}`);
  }
}

/** Why a pattern is refused before any compiling, or what it would cost RE2 to compile. */
function patternShape(pattern: unknown): string | { cost: number } {
  if (typeof pattern !== 'string') return 'must be a string';
  if (pattern.length > SCHEMA_LIMITS.maxPatternLength) {
    return `is ${pattern.length} characters long; at most ${SCHEMA_LIMITS.maxPatternLength} are accepted`;
  }
  try {
    new RegExp(pattern, 'u'); // V8 parses here and compiles on first use, so this is cheap
  } catch (error) {
    return `is not a valid regular expression: ${(error as Error).message}`;
  }
  const { nested, cost } = analyzePattern(pattern);
  if (nested) {
    return (
      'has a nested quantifier, like (a+)+: clients that generate code from the published schema run it on ' +
      'backtracking engines, where it takes exponential time; repeat a group whose body has a fixed length'
    );
  }
  return { cost };
}

function re2Problem(pattern: string): string | undefined {
  const verdict = re2Verdict(pattern);
  if (verdict === undefined) return undefined;
  if (verdict === UNAVAILABLE) return 'could not be checked: the regular expression engine is unavailable';
  return (
    'cannot run on the linear-time engine (RE2) the registry validates with, which has no backreferences ' +
    `or lookaround (\\1, \\k<name>, (?=, (?!, (?<=, (?<!) and repeats at most 1000 times: ${verdict}`
  );
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
const UNAVAILABLE = Symbol('unavailable');
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

/** undefined when RE2 compiles the pattern, else RE2's reason, or UNAVAILABLE when RE2 itself has failed. */
function re2Verdict(pattern: string): string | typeof UNAVAILABLE | undefined {
  try {
    new Re2Probe(pattern, 'u');
    return undefined;
  } catch (error) {
    if (error === COMPILED) return undefined;
    if (error instanceof SyntaxError) return error.message.replace(/^Invalid regular expression: \/.*\/u: /s, '');
    return UNAVAILABLE;
  } finally {
    probed?.delete();
    probed = undefined;
  }
}

// What RE2 (re2-wasm 1.0.2) spends compiling an atom, in units of about 10 µs, as measured: `a` 1, `\w` 5,
// `.` and negated classes 16 (they span all of Unicode), `\p{L}` 3,500 (4,000 for margin), and 20 for any
// pattern. A repetition copies its atom.
const COST = { pattern: 20, char: 1, wideChar: 4, word: 5, wide: 16, property: 4_000 };

/**
 * One pass over the pattern, which has already compiled with flag 'u' (so `{` only appears in quantifiers,
 * classes and escapes). It finds:
 * - nested quantifiers (star height above one): a repeating quantifier (max > 1) on a group whose body holds a
 *   quantifier that lets the match length vary (`*`, `+`, `?`, `{n,}`, `{n,m}` with m > n). `(a+)+`, `(\d+)*`,
 *   `(a|a?)+` are nested; `(\d{3})+`, `(ab)?`, `(a+){1}` are not. Ambiguous alternation like `(a|ab)+` is not
 *   seen: RE2 keeps our side linear, this only spares clients' backtracking engines the worst shapes;
 * - the estimated cost of compiling it with RE2.
 */
function analyzePattern(pattern: string): { nested: boolean; cost: number } {
  // One frame per open group: the cost of its body so far, and whether its length varies.
  const groups = [{ cost: 0, varies: false }];
  // The atom just read, which a quantifier would apply to.
  let last: { cost: number; groupVaries?: boolean } | undefined;
  let i = 0;
  while (i < pattern.length) {
    const top = groups[groups.length - 1]!;
    const quantifier = readQuantifier(pattern, i);
    if (quantifier && last) {
      if (last.groupVaries && quantifier.max > 1) return { nested: true, cost: 0 };
      if (quantifier.max > quantifier.min) top.varies = true;
      // RE2 expands x{2,5} into five copies of x, x{3,} into three and a loop; x*, x+ and x? keep one. The
      // optional copies nest, x(x(x)?)?, which costs about (m-n)²/16 more: x{0,1000} takes 0.3 s.
      const bounded = Number.isFinite(quantifier.max);
      const copies = bounded ? quantifier.max : Math.max(quantifier.min, 1);
      const optional = bounded ? quantifier.max - quantifier.min : 0;
      top.cost += last.cost * Math.max(copies - 1, 0) + Math.ceil(optional ** 2 / 16);
      i = quantifier.end;
      last = undefined;
      continue;
    }
    const ch = pattern[i]!;
    let end = i + 1;
    let cost = ch.charCodeAt(0) < 128 ? COST.char : COST.wideChar;
    if (ch === '\\') [end, cost] = readEscape(pattern, i);
    else if (ch === '[') [end, cost] = readClass(pattern, i);
    else if (ch === '.') cost = COST.wide;
    else if (ch === '(') {
      groups.push({ cost: 0, varies: false });
      i = skipGroupPrefix(pattern, i + 1);
      last = undefined;
      continue;
    } else if (ch === ')' && groups.length > 1) {
      const group = groups.pop()!;
      const parent = groups[groups.length - 1]!;
      parent.cost += group.cost;
      parent.varies ||= group.varies;
      last = { cost: group.cost, groupVaries: group.varies };
      i++;
      continue;
    }
    top.cost += cost;
    last = { cost };
    i = end;
  }
  return { nested: false, cost: COST.pattern + groups[0]!.cost };
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
    const braces = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
    if (!braces) return undefined;
    min = Number(braces[1]);
    max = braces[2] === undefined ? min : braces[3] ? Number(braces[3]) : Infinity;
    end = i + braces[0].length;
  } else return undefined;
  if (pattern[end] === '?') end++; // lazy: same repetition, other order
  return { min, max, end };
}

/** [end, cost] of the escape at i; `\u{…}` and `\p{…}` include their braces, which are not quantifiers. */
function readEscape(pattern: string, i: number): [number, number] {
  const letter = pattern[i + 1] ?? '';
  if ('uPp'.includes(letter) && pattern[i + 2] === '{') {
    const close = pattern.indexOf('}', i + 3);
    return [close === -1 ? pattern.length : close + 1, letter === 'u' ? COST.wideChar : COST.property];
  }
  return [i + 2, escapeCost(letter)];
}

function escapeCost(letter: string): number {
  if ('WDS'.includes(letter)) return COST.wide;
  return 'ws'.includes(letter) ? COST.word : COST.char;
}

/** [end, cost] of the character class at i; `]` closes it unless escaped. */
function readClass(pattern: string, i: number): [number, number] {
  let j = i + 1;
  let cost = COST.char;
  if (pattern[j] === '^') {
    cost += COST.wide;
    j++;
  }
  while (j < pattern.length && pattern[j] !== ']') {
    if (pattern[j] === '\\') {
      const [end, escaped] = readEscape(pattern, j);
      cost += escaped;
      j = end;
    } else {
      cost += COST.char;
      j++;
    }
  }
  return [j + 1, cost];
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
