import type { JsonSchema } from './activity-type';
import { backwardIncompatibilities } from './compatibility';

/** An object schema with the given properties, plus any other keywords. */
function anObject(properties: Record<string, unknown>, extra: JsonSchema = {}): JsonSchema {
  return { type: 'object', properties, ...extra };
}

describe('backwardIncompatibilities: what stays compatible', () => {
  const search = anObject({ query: { type: 'string', minLength: 1, maxLength: 512 } }, { required: ['query'] });

  it('when the schemas are identical, then they are compatible', () => {
    expect(backwardIncompatibilities(search, structuredClone(search))).toEqual([]);
    const odd = { anyOf: [{ required: ['a'] }, { required: ['b'] }], $defs: { x: { type: 'string' } } };
    expect(backwardIncompatibilities(odd, structuredClone(odd))).toEqual([]);
  });

  it.each<[string, JsonSchema, JsonSchema]>([
    [
      'a new optional property on a closed object',
      anObject({ a: { type: 'string' } }, { additionalProperties: false }),
      anObject({ a: { type: 'string' }, b: { type: 'integer' } }, { additionalProperties: false }),
    ],
    ['a new unconstrained property', anObject({ a: { type: 'string' } }), anObject({ a: { type: 'string' }, b: {} })],
    [
      'a raised maxLength',
      search,
      anObject({ query: { type: 'string', minLength: 1, maxLength: 1024 } }, { required: ['query'] }),
    ],
    ['a lowered minLength', search, anObject({ query: { type: 'string', maxLength: 512 } }, { required: ['query'] })],
    ['a removed required', search, anObject({ query: { type: 'string', minLength: 1, maxLength: 512 } })],
    ['integer to number', anObject({ n: { type: 'integer' } }), anObject({ n: { type: 'number' } })],
    ['a type widened to a union', anObject({ n: { type: 'string' } }), anObject({ n: { type: ['string', 'null'] } })],
    ['a type removed', anObject({ n: { type: 'string' } }), anObject({ n: {} })],
    [
      'a removed property declaration on an open object',
      anObject({ a: { type: 'string' }, b: { type: 'string' } }),
      anObject({ a: { type: 'string' } }),
    ],
    ['an enum that gained values', anObject({ t: { enum: ['a', 'b'] } }), anObject({ t: { enum: ['a', 'b', 'c'] } })],
    ['a const that became an enum', anObject({ t: { const: 'a' } }), anObject({ t: { enum: ['a', 'b'] } })],
    ['a lowered minimum', anObject({ n: { minimum: 5 } }), anObject({ n: { minimum: 0 } })],
    [
      'an exclusive maximum made inclusive',
      anObject({ n: { exclusiveMaximum: 10 } }),
      anObject({ n: { maximum: 10 } }),
    ],
    [
      'a minimum swapped for a looser exclusive one',
      anObject({ n: { minimum: 5 } }),
      anObject({ n: { exclusiveMinimum: 4 } }),
    ],
    ['a multipleOf that divides the old one', anObject({ n: { multipleOf: 6 } }), anObject({ n: { multipleOf: 3 } })],
    ['a removed pattern and format', anObject({ s: { pattern: '^a', format: 'email' } }), anObject({ s: {} })],
    [
      'widened item bounds',
      anObject({ l: { type: 'array', minItems: 2, maxItems: 3 } }),
      anObject({ l: { type: 'array', maxItems: 9 } }),
    ],
    ['uniqueItems dropped', anObject({ l: { uniqueItems: true } }), anObject({ l: { uniqueItems: false } })],
    ['widened property counts', { minProperties: 2, maxProperties: 3 }, { maxProperties: 4 }],
    ['additionalProperties false removed', anObject({}, { additionalProperties: false }), anObject({})],
    [
      'additionalProperties widened',
      anObject({}, { additionalProperties: { type: 'integer' } }),
      anObject({}, { additionalProperties: { type: 'number' } }),
    ],
    ['propertyNames loosened', { propertyNames: { maxLength: 10 } }, { propertyNames: { maxLength: 20 } }],
    [
      'items widened',
      anObject({ l: { type: 'array', items: { type: 'integer' } } }),
      anObject({ l: { type: 'array', items: {} } }),
    ],
    [
      'a description edited',
      anObject({ a: { type: 'string', description: 'old' } }),
      anObject({ a: { type: 'string', description: 'new' } }),
    ],
    [
      'a previously forbidden property now declared',
      anObject({}, { additionalProperties: false }),
      anObject({ x: { type: 'string' } }, { additionalProperties: false }),
    ],
    ['an explicit object type at the root', {}, { type: 'object' }],
    [
      'a string keyword added to a number',
      anObject({ n: { type: 'number' } }),
      anObject({ n: { type: 'number', maxLength: 3 } }),
    ],
  ])('when the change is %s, then it is compatible', (_name, previous, next) => {
    expect(backwardIncompatibilities(previous, next)).toEqual([]);
  });
});

describe('backwardIncompatibilities: what breaks', () => {
  it.each<[string, JsonSchema, JsonSchema, string[]]>([
    [
      'a newly required property',
      anObject({ plan: { type: 'string' } }),
      anObject({ plan: { type: 'string' } }, { required: ['plan'] }),
      ['`metadata.plan` became required'],
    ],
    [
      'a changed type',
      anObject({ amount: { type: 'number' } }),
      anObject({ amount: { type: 'string' } }),
      ['`metadata.amount` changed type from number to string'],
    ],
    [
      'number narrowed to integer',
      anObject({ n: { type: 'number' } }),
      anObject({ n: { type: 'integer' } }),
      ['`metadata.n` changed type from number to integer'],
    ],
    [
      'a type added where any was accepted',
      anObject({ n: { minimum: 0 } }),
      anObject({ n: { type: 'number', minimum: 0 } }),
      ['`metadata.n` is now restricted to type number'],
    ],
    [
      'a lowered maxLength',
      anObject({ query: { type: 'string', maxLength: 512 } }),
      anObject({ query: { type: 'string', maxLength: 100 } }),
      ['`metadata.query` maxLength lowered from 512 to 100'],
    ],
    [
      'a raised minLength',
      anObject({ query: { type: 'string', minLength: 1 } }),
      anObject({ query: { type: 'string', minLength: 3 } }),
      ['`metadata.query` minLength raised from 1 to 3'],
    ],
    [
      'an enum where anything was accepted',
      anObject({ tier: { type: 'string' } }),
      anObject({ tier: { type: 'string', enum: ['free', 'pro'] } }),
      ['`metadata.tier` is now restricted to an enum'],
    ],
    [
      'an enum that lost values',
      anObject({ tier: { enum: ['free', 'pro', 'team'] } }),
      anObject({ tier: { enum: ['free', 'pro'] } }),
      ['`metadata.tier` no longer allows "team"'],
    ],
    [
      'a changed const',
      anObject({ v: { const: 1 } }),
      anObject({ v: { const: 2 } }),
      ['`metadata.v` no longer allows 1'],
    ],
    [
      'a new const',
      anObject({ v: { type: 'integer' } }),
      anObject({ v: { type: 'integer', const: 2 } }),
      ['`metadata.v` is now restricted to a constant'],
    ],
    [
      'additional properties forbidden',
      anObject({ a: { type: 'string' } }),
      anObject({ a: { type: 'string' } }, { additionalProperties: false }),
      ['`metadata` no longer allows additional properties'],
    ],
    [
      'a new constrained property on an open object',
      anObject({ a: { type: 'string' } }),
      anObject({ a: { type: 'string' }, x: { type: 'string' } }),
      ['`metadata.x` is newly constrained'],
    ],
    [
      'a declared property removed from a closed object',
      anObject({ a: { type: 'string' }, b: { type: 'string' } }, { additionalProperties: false }),
      anObject({ a: { type: 'string' } }, { additionalProperties: false }),
      ['`metadata.b` is no longer allowed'],
    ],
    [
      'a new property checked against the old additionalProperties schema',
      anObject({}, { additionalProperties: { type: 'string' } }),
      anObject({ x: { type: 'string', maxLength: 5 } }, { additionalProperties: { type: 'string' } }),
      ['`metadata.x` now has maxLength 5'],
    ],
    [
      'additionalProperties narrowed',
      anObject({}, { additionalProperties: { type: 'number' } }),
      anObject({}, { additionalProperties: { type: 'integer' } }),
      ['`metadata.*` changed type from number to integer'],
    ],
    [
      'a raised minimum',
      anObject({ n: { type: 'number', minimum: 0 } }),
      anObject({ n: { type: 'number', minimum: 1 } }),
      ['`metadata.n` minimum raised from 0 to 1'],
    ],
    [
      'an inclusive minimum made exclusive',
      anObject({ n: { minimum: 0 } }),
      anObject({ n: { exclusiveMinimum: 0 } }),
      ['`metadata.n` lower bound raised from minimum 0 to exclusiveMinimum 0'],
    ],
    [
      'a new maximum',
      anObject({ n: { type: 'integer' } }),
      anObject({ n: { type: 'integer', maximum: 10 } }),
      ['`metadata.n` now has maximum 10'],
    ],
    [
      'a lowered exclusiveMaximum',
      anObject({ n: { exclusiveMaximum: 10 } }),
      anObject({ n: { exclusiveMaximum: 9 } }),
      ['`metadata.n` exclusiveMaximum lowered from 10 to 9'],
    ],
    [
      'a multipleOf that is not a divisor',
      anObject({ n: { multipleOf: 2 } }),
      anObject({ n: { multipleOf: 3 } }),
      ['`metadata.n` multipleOf changed from 2 to 3'],
    ],
    [
      'a new multipleOf',
      anObject({ n: { type: 'number' } }),
      anObject({ n: { type: 'number', multipleOf: 0.5 } }),
      ['`metadata.n` now must be a multiple of 0.5'],
    ],
    [
      'a new pattern',
      anObject({ s: { type: 'string' } }),
      anObject({ s: { type: 'string', pattern: '^[a-z]+$' } }),
      ['`metadata.s` now must match pattern "^[a-z]+$"'],
    ],
    [
      'a changed pattern',
      anObject({ s: { pattern: '^a' } }),
      anObject({ s: { pattern: '^b' } }),
      ['`metadata.s` pattern changed from "^a" to "^b"'],
    ],
    [
      'a new format',
      anObject({ s: { type: 'string' } }),
      anObject({ s: { type: 'string', format: 'email' } }),
      ['`metadata.s` now must have format "email"'],
    ],
    [
      'a changed format',
      anObject({ s: { format: 'date' } }),
      anObject({ s: { format: 'date-time' } }),
      ['`metadata.s` format changed from "date" to "date-time"'],
    ],
    [
      'tighter item bounds and unique items',
      anObject({ l: { type: 'array', maxItems: 5 } }),
      anObject({ l: { type: 'array', minItems: 1, maxItems: 4, uniqueItems: true } }),
      [
        '`metadata.l` now has minItems 1',
        '`metadata.l` maxItems lowered from 5 to 4',
        '`metadata.l` items must now be unique',
      ],
    ],
    [
      'narrowed items',
      anObject({ l: { type: 'array', items: { type: 'string' } } }),
      anObject({ l: { type: 'array', items: { type: 'string', maxLength: 3 } } }),
      ['`metadata.l[]` now has maxLength 3'],
    ],
    [
      'tighter property counts',
      { minProperties: 1, maxProperties: 5 },
      { minProperties: 2, maxProperties: 4 },
      ['`metadata` minProperties raised from 1 to 2', '`metadata` maxProperties lowered from 5 to 4'],
    ],
    [
      'new propertyNames',
      {},
      { propertyNames: { pattern: '^[a-z]+$' } },
      ['each property name of `metadata` is newly constrained'],
    ],
    [
      'tighter propertyNames',
      { propertyNames: { maxLength: 20 } },
      { propertyNames: { maxLength: 10 } },
      ['each property name of `metadata` maxLength lowered from 20 to 10'],
    ],
    [
      'a property that became false',
      anObject({ a: { type: 'string' } }),
      anObject({ a: false }),
      ['`metadata.a` is no longer allowed'],
    ],
    [
      'a change deep inside nested objects',
      anObject({ order: anObject({ lines: { type: 'array', items: anObject({ sku: { type: 'string' } }) } }) }),
      anObject({
        order: anObject({
          lines: { type: 'array', items: anObject({ sku: { type: 'string' } }, { required: ['sku'] }) },
        }),
      }),
      ['`metadata.order.lines[].sku` became required'],
    ],
    [
      'a property name that is not an identifier',
      anObject({ 'first name': { type: 'string' } }),
      anObject({ 'first name': { type: 'string' } }, { required: ['first name'] }),
      ['`metadata["first name"]` became required'],
    ],
  ])('when the change is %s, then it is reported', (_name, previous, next, expected) => {
    expect(backwardIncompatibilities(previous, next)).toEqual(expected);
  });

  it('when several things change, then each is named', () => {
    const previous = anObject({ a: { type: 'string', maxLength: 10 }, b: { type: 'number' } });
    const next = anObject({ a: { type: 'string', maxLength: 5 }, b: { type: 'string' } }, { required: ['b'] });
    expect(backwardIncompatibilities(previous, next)).toEqual([
      '`metadata.b` became required',
      '`metadata.a` maxLength lowered from 10 to 5',
      '`metadata.b` changed type from number to string',
    ]);
  });
});

describe('backwardIncompatibilities: what cannot be proven', () => {
  it.each([
    ['anyOf', { anyOf: [{ type: 'string' }] }, { anyOf: [{ type: 'number' }] }],
    ['allOf', { allOf: [{ minLength: 1 }] }, { allOf: [{ minLength: 2 }] }],
    ['oneOf', { oneOf: [{ type: 'string' }] }, { oneOf: [{ type: 'string' }, { type: 'null' }] }],
    ['not', { not: { type: 'null' } }, { not: { type: 'string' } }],
    ['if', { if: { type: 'string' } }, { if: { type: 'number' } }],
    ['$ref', { $ref: '#/$defs/a' }, { $ref: '#/$defs/b' }],
    ['dependentRequired', { dependentRequired: { a: ['b'] } }, { dependentRequired: { a: ['c'] } }],
    ['prefixItems', { prefixItems: [{ type: 'string' }] }, { prefixItems: [{ type: 'number' }] }],
    ['contains', { contains: { type: 'string' } }, { contains: { type: 'number' } }],
  ])('when `%s` changed, then it is reported as unprovable', (keyword, before, after) => {
    expect(backwardIncompatibilities(anObject({ x: before }), anObject({ x: after }))).toEqual([
      `cannot prove \`metadata.x\` stays compatible: \`${keyword}\` changed`,
    ]);
  });

  it('when such a keyword is unchanged and the rest widens, then it is compatible', () => {
    const previous = anObject({ x: { anyOf: [{ type: 'string' }, { type: 'number' }], maxLength: 5 } });
    const next = anObject({ x: { anyOf: [{ type: 'string' }, { type: 'number' }], maxLength: 10 } });
    expect(backwardIncompatibilities(previous, next)).toEqual([]);
  });

  it('when $defs changed at the root, then it is reported there', () => {
    const previous = { $defs: { a: { type: 'string' } }, properties: { x: { $ref: '#/$defs/a' } } };
    const next = { $defs: { a: { type: 'number' } }, properties: { x: { $ref: '#/$defs/a' } } };
    expect(backwardIncompatibilities(previous, next)).toEqual([
      'cannot prove `metadata` stays compatible: `$defs` changed',
    ]);
  });

  it('when a property declaration is removed beside unevaluatedProperties, then it is not assumed compatible', () => {
    const previous = anObject({ a: { type: 'string' } }, { unevaluatedProperties: false });
    const next = anObject({}, { unevaluatedProperties: false });
    expect(backwardIncompatibilities(previous, next)).toEqual([
      'cannot prove `metadata` stays compatible: `unevaluatedProperties` depends on the keywords that changed',
    ]);
  });

  it('when properties change beside patternProperties, then it is not assumed compatible', () => {
    const previous = anObject({}, { patternProperties: { '^x': { type: 'string' } }, additionalProperties: false });
    const next = anObject(
      { xa: { type: 'number' } },
      { patternProperties: { '^x': { type: 'string' } }, additionalProperties: false },
    );
    expect(backwardIncompatibilities(previous, next)).toEqual([
      'cannot prove `metadata` stays compatible: its properties changed beside `patternProperties`',
    ]);
  });
});
