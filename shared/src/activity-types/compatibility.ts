import type { JsonSchema } from './activity-type';

type Schema = Record<string, unknown>;

/** Where a subschema applies: `path` is relative to the event (`metadata.plan`), `label` is how messages say it. */
interface Place {
  path: string;
  label: string;
  root?: boolean;
}

type BoundKeywords = [inclusive: string, exclusive?: string];

interface Bound {
  keyword: string;
  value: number;
  exclusive: boolean;
}

const words = (text: string) => new Set(text.trim().split(/\s+/));

// Keywords that never change what validates (ajv does not check content* by default).
const ANNOTATIONS = words(`$schema $comment title description default examples deprecated readOnly writeOnly
  contentMediaType contentEncoding contentSchema`);

// Keywords this module reasons about; any other that differs is reported as unprovable.
const HANDLED = words(`type enum const required properties additionalProperties propertyNames items pattern format
  multipleOf uniqueItems minLength maxLength minimum exclusiveMinimum maximum exclusiveMaximum minItems maxItems
  minProperties maxProperties`);

// [the type they constrain, +1 for a lower bound or -1 for an upper one, inclusive keyword, exclusive keyword]
const BOUNDS: Array<[string, 1 | -1, ...BoundKeywords]> = [
  ['string', 1, 'minLength'],
  ['string', -1, 'maxLength'],
  ['number', 1, 'minimum', 'exclusiveMinimum'],
  ['number', -1, 'maximum', 'exclusiveMaximum'],
  ['array', 1, 'minItems'],
  ['array', -1, 'maxItems'],
  ['object', 1, 'minProperties'],
  ['object', -1, 'maxProperties'],
];

/**
 * What makes `next` refuse some metadata that `previous` accepted (Confluent's BACKWARD mode), one message per
 * change; [] when every metadata object `previous` accepted is still accepted. Sound, not complete: where the
 * keywords are beyond this structural reasoning and changed, it says it cannot prove compatibility.
 * Paths name additional properties `metadata.*`, array items `metadata.tags[]`.
 */
export function backwardIncompatibilities(previous: JsonSchema, next: JsonSchema): string[] {
  const changes: string[] = [];
  compare(previous, next, { path: 'metadata', label: '`metadata`', root: true }, changes);
  return changes;
}

function compare(prev: unknown, next: unknown, at: Place, out: string[]): void {
  if (prev === false || isTrivial(next) || deepEqual(prev, next)) return;
  if (next === false) return void out.push(`${at.label} is no longer allowed`);
  // At the root metadata is always an object, so the detailed rules below give better messages.
  if (!at.root && isTrivial(prev)) return void out.push(`${at.label} is newly constrained`);
  if (!isObject(prev) || !isObject(next)) return void out.push(`cannot prove ${at.label} stays compatible`);

  const keywords = new Set([...Object.keys(prev), ...Object.keys(next)]);
  const unprovable = [...keywords].filter((k) => !HANDLED.has(k) && !ANNOTATIONS.has(k));
  for (const keyword of unprovable) {
    if (!deepEqual(prev[keyword], next[keyword])) {
      out.push(`cannot prove ${at.label} stays compatible: \`${keyword}\` changed`);
    }
  }
  // unevaluated* depend on what every other keyword evaluated, so any change beside them may matter.
  const unevaluated = unprovable.filter((k) => k.startsWith('unevaluated'));
  if (unevaluated.length > 0) {
    if (unevaluated.every((k) => deepEqual(prev[k], next[k]))) {
      out.push(`cannot prove ${at.label} stays compatible: \`${unevaluated[0]}\` depends on the keywords that changed`);
    }
    return;
  }

  // A metadata object is always an object: at the root only that type matters.
  const prevTypes = at.root ? new Set(['object']) : typesOf(prev);
  const nextTypes = typesOf(next);
  const may = (type: string) => !prevTypes || prevTypes.has(type) || (type === 'number' && prevTypes.has('integer'));
  if (nextTypes) {
    const covered = (t: string) => nextTypes.has(t) || (t === 'integer' && nextTypes.has('number'));
    if (!prevTypes) out.push(`${at.label} is now restricted to type ${[...nextTypes].join(' or ')}`);
    else if (![...prevTypes].every(covered)) {
      out.push(`${at.label} changed type from ${[...prevTypes].join(' or ')} to ${[...nextTypes].join(' or ')}`);
    }
  }

  compareValues(prev, next, at, out);
  for (const [type, sign, ...keywords] of BOUNDS) {
    if (may(type)) compareBounds(prev, next, sign, keywords, at, out);
  }
  if (may('number')) compareMultipleOf(prev, next, at, out);
  if (may('string')) {
    const demands = { pattern: 'now must match pattern', format: 'now must have format' };
    for (const [keyword, demand] of Object.entries(demands)) {
      const [before, after] = [prev[keyword], next[keyword]];
      if (after === undefined || after === before) continue;
      out.push(
        before === undefined
          ? `${at.label} ${demand} ${JSON.stringify(after)}`
          : `${at.label} ${keyword} changed from ${JSON.stringify(before)} to ${JSON.stringify(after)}`,
      );
    }
  }
  if (may('array')) {
    if (next.uniqueItems === true && prev.uniqueItems !== true) out.push(`${at.label} items must now be unique`);
    if (Array.isArray(prev.items) || Array.isArray(next.items)) {
      if (!deepEqual(prev.items, next.items)) out.push(`cannot prove ${at.label} stays compatible: \`items\` changed`);
    } else compare(prev.items ?? true, next.items ?? true, place(`${at.path}[]`), out);
  }
  if (may('object')) compareObjects(prev, next, at, out);
}

function compareObjects(prev: Schema, next: Schema, at: Place, out: string[]): void {
  const prevRequired = new Set(stringsOf(prev.required));
  for (const name of stringsOf(next.required)) {
    if (!prevRequired.has(name)) out.push(`${place(propertyPath(at.path, name)).label} became required`);
  }
  compare(prev.propertyNames ?? true, next.propertyNames ?? true, namesOf(at), out);

  const same =
    deepEqual(prev.properties, next.properties) && deepEqual(prev.additionalProperties, next.additionalProperties);
  if (same) return;
  // A name matching a pattern escapes additionalProperties, which the per-name reasoning below assumes.
  if (prev.patternProperties !== undefined || next.patternProperties !== undefined) {
    return void out.push(
      `cannot prove ${at.label} stays compatible: its properties changed beside \`patternProperties\``,
    );
  }
  const prevProperties = isObject(prev.properties) ? prev.properties : {};
  const nextProperties = isObject(next.properties) ? next.properties : {};
  const prevRest = prev.additionalProperties ?? true;
  const nextRest = next.additionalProperties ?? true;
  // A property declared on one side only is governed by additionalProperties on the other.
  for (const name of new Set([...Object.keys(prevProperties), ...Object.keys(nextProperties)])) {
    const before = Object.hasOwn(prevProperties, name) ? prevProperties[name] : prevRest;
    const after = Object.hasOwn(nextProperties, name) ? nextProperties[name] : nextRest;
    compare(before, after, place(propertyPath(at.path, name)), out);
  }
  if (nextRest === false && prevRest !== false) out.push(`${at.label} no longer allows additional properties`);
  else compare(prevRest, nextRest, place(`${at.path}.*`), out);
}

/** enum and const: every value accepted before must be listed still. */
function compareValues(prev: Schema, next: Schema, at: Place, out: string[]): void {
  if (next.enum === undefined && next.const === undefined) return;
  const before = 'const' in prev ? [prev.const] : Array.isArray(prev.enum) ? prev.enum : undefined;
  if (!before) return void out.push(`${at.label} is now restricted to ${'const' in next ? 'a constant' : 'an enum'}`);
  const admits = (value: unknown) =>
    (!('const' in next) || deepEqual(next.const, value)) &&
    (!Array.isArray(next.enum) || next.enum.some((allowed) => deepEqual(allowed, value)));
  const lost = before.filter((value) => !admits(value));
  if (lost.length > 0) out.push(`${at.label} no longer allows ${lost.map((v) => JSON.stringify(v)).join(', ')}`);
}

function compareBounds(prev: Schema, next: Schema, sign: 1 | -1, keywords: BoundKeywords, at: Place, out: string[]) {
  const before = boundOf(prev, sign, keywords);
  const after = boundOf(next, sign, keywords);
  if (!after || (before && !tighter(after, before, sign))) return;
  const verb = sign === 1 ? 'raised' : 'lowered';
  if (!before) out.push(`${at.label} now has ${after.keyword} ${after.value}`);
  else if (before.keyword === after.keyword) {
    out.push(`${at.label} ${after.keyword} ${verb} from ${before.value} to ${after.value}`);
  } else {
    const bound = sign === 1 ? 'lower bound' : 'upper bound';
    out.push(`${at.label} ${bound} ${verb} from ${before.keyword} ${before.value} to ${after.keyword} ${after.value}`);
  }
}

/** The tightest of an inclusive and an exclusive bound (minimum and exclusiveMinimum may both be set). */
function boundOf(schema: Schema, sign: 1 | -1, [inclusive, exclusive]: BoundKeywords): Bound | undefined {
  const bounds: Bound[] = [];
  if (typeof schema[inclusive] === 'number')
    bounds.push({ keyword: inclusive, value: schema[inclusive], exclusive: false });
  if (exclusive && typeof schema[exclusive] === 'number') {
    bounds.push({ keyword: exclusive, value: schema[exclusive], exclusive: true });
  }
  return bounds.reduce<Bound | undefined>(
    (best, bound) => (!best || tighter(bound, best, sign) ? bound : best),
    undefined,
  );
}

function tighter(a: Bound, b: Bound, sign: 1 | -1): boolean {
  return sign * (a.value - b.value) > 0 || (a.value === b.value && a.exclusive && !b.exclusive);
}

function compareMultipleOf(prev: Schema, next: Schema, at: Place, out: string[]): void {
  const [before, after] = [prev.multipleOf, next.multipleOf];
  if (typeof after !== 'number' || before === after) return;
  // Every multiple of 6 is a multiple of 3: a divisor of the old step is compatible.
  const quotient = typeof before === 'number' ? before / after : NaN;
  if (Math.abs(quotient - Math.round(quotient)) < 1e-9) return;
  out.push(
    typeof before === 'number'
      ? `${at.label} multipleOf changed from ${before} to ${after}`
      : `${at.label} now must be a multiple of ${after}`,
  );
}

function typesOf(schema: Schema): Set<string> | undefined {
  if (typeof schema.type === 'string') return new Set([schema.type]);
  return Array.isArray(schema.type) ? new Set(stringsOf(schema.type)) : undefined;
}

function place(path: string): Place {
  return { path, label: `\`${path}\`` };
}

function namesOf(at: Place): Place {
  return { path: `${at.path}{name}`, label: `each property name of ${at.label}` };
}

function propertyPath(path: string, name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `${path}.${name}` : `${path}[${JSON.stringify(name)}]`;
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** Accepts anything: `true`, `{}`, or only annotations. */
function isTrivial(schema: unknown): boolean {
  return schema === true || (isObject(schema) && Object.keys(schema).every((k) => ANNOTATIONS.has(k)));
}

function isObject(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const [left, right] = [a as Schema, b as Schema];
  const keys = Object.keys(left);
  return (
    keys.length === Object.keys(right).length &&
    keys.every((k) => Object.hasOwn(right, k) && deepEqual(left[k], right[k]))
  );
}
