import { inspectMetadataSchema, SCHEMA_LIMITS } from './schema-guard';

const SEARCH_SCHEMA = {
  type: 'object',
  required: ['query'],
  properties: { query: { type: 'string', minLength: 1, maxLength: 512 } },
};

function withPattern(pattern: string): Record<string, unknown> {
  return { type: 'object', properties: { q: { type: 'string', pattern } } };
}

function messagesOf(schema: unknown): string[] {
  return inspectMetadataSchema(schema).map((problem) => problem.message);
}

describe('inspectMetadataSchema: acceptable schemas', () => {
  it.each([
    ['the SEARCH schema', SEARCH_SCHEMA],
    ['an empty schema', {}],
    ['the 2020-12 $schema', { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' }],
    [
      'a local $ref to $defs',
      {
        type: 'object',
        $defs: { money: { type: 'object', properties: { amount: { type: 'number' }, currency: { type: 'string' } } } },
        properties: { price: { $ref: '#/$defs/money' }, refund: { $ref: '#/$defs/money' } },
      },
    ],
    ['a $ref to the root', { type: 'object', properties: { child: { $ref: '#' } } }],
    ['boolean subschemas', { properties: { anything: true, nothing: false }, additionalProperties: false }],
    [
      'ordinary patterns and formats',
      {
        properties: {
          sku: { type: 'string', pattern: '^[A-Z]{3}-\\d{4}$' },
          phone: { type: 'string', pattern: '^\\+?[0-9]{7,15}$' },
          groups: { type: 'string', pattern: '^(?:\\d{3})+$' },
          named: { type: 'string', pattern: '^(?<year>\\d{4})-(?<month>\\d{2})$' },
          letters: { type: 'string', pattern: '^\\p{L}+$' },
          brackets: { type: 'string', pattern: '^[\\])(+*]+$' },
          at: { type: 'string', format: 'date-time' },
          id: { type: 'string', format: 'uuid' },
        },
        patternProperties: { '^x-[a-z]+$': { type: 'string' } },
      },
    ],
    ['an optional group', withPattern('^(ab)?c+$')],
    ['a group repeated once', withPattern('^(a+){1}$')],
    ['a quantified group with a fixed-length body', withPattern('^(ab\\d{2}){2,5}$')],
  ])('when the schema is %s, then it is accepted', (_name, schema) => {
    expect(inspectMetadataSchema(schema)).toEqual([]);
  });

  it('when a property is NAMED like a keyword, then it is not mistaken for one', () => {
    const schema = {
      type: 'object',
      properties: {
        pattern: { type: 'string' },
        $ref: { type: 'string' },
        format: { type: 'string' },
        $id: { type: 'string' },
      },
      required: ['pattern', '$ref'],
      default: { pattern: '(a+)+', $ref: 'https://example.com/x.json' },
      enum: [{ format: 'nope' }],
    };
    expect(inspectMetadataSchema(schema)).toEqual([]);
  });
});

describe('inspectMetadataSchema: the root', () => {
  it.each([
    ['an array', []],
    ['a string', 'object'],
    ['null', null],
    ['a boolean', true],
    ['undefined', undefined],
  ])('when the schema is %s, then it is refused as not an object', (_name, schema) => {
    expect(inspectMetadataSchema(schema)).toEqual([{ pointer: '', message: expect.stringMatching(/JSON object/) }]);
  });

  it('when the root type is not object, then it is refused because metadata is always an object', () => {
    expect(inspectMetadataSchema({ type: 'string' })).toEqual([
      { pointer: '/type', message: expect.stringMatching(/must be "object".*always an object/) },
    ]);
  });

  it('when $schema names another dialect, then it is refused', () => {
    expect(inspectMetadataSchema({ $schema: 'http://json-schema.org/draft-07/schema#' })).toEqual([
      { pointer: '/$schema', message: expect.stringMatching(/2020-12/) },
    ]);
  });
});

describe('inspectMetadataSchema: references', () => {
  it.each([
    'https://example.com/schema.json',
    'http://example.com/schema.json#/x',
    'file:///etc/passwd',
    'other.json',
    'other.json#/$defs/a',
  ])('when $ref is %s, then it is refused as remote', (ref) => {
    expect(inspectMetadataSchema({ properties: { a: { $ref: ref } } })).toEqual([
      {
        pointer: '/properties/a/$ref',
        message: 'remote $ref is not allowed: schemas are self-contained, the registry never fetches',
      },
    ]);
  });

  it('when $dynamicRef is remote, then it is refused too', () => {
    expect(messagesOf({ $dynamicRef: 'https://example.com/s' })).toEqual([expect.stringMatching(/remote \$ref/)]);
  });

  it.each(['$id', '$anchor', '$dynamicAnchor', '$vocabulary'])(
    'when the schema uses %s, then it is refused',
    (keyword) => {
      expect(inspectMetadataSchema({ properties: { a: { [keyword]: 'x' } } })).toEqual([
        {
          pointer: `/properties/a/${keyword}`,
          message: expect.stringMatching(/not allowed: schemas are self-contained/),
        },
      ]);
    },
  );

  it('when a local $ref points to nothing or outside a schema position, then it is refused', () => {
    const schema = {
      properties: { a: { $ref: '#/$defs/missing' }, b: { $ref: '#/hidden' } },
      hidden: { type: 'string', pattern: '(a+)+' },
    };
    expect(inspectMetadataSchema(schema)).toEqual([
      { pointer: '/properties/a/$ref', message: expect.stringMatching(/does not point to a schema/) },
      { pointer: '/properties/b/$ref', message: expect.stringMatching(/does not point to a schema/) },
    ]);
  });
});

describe('inspectMetadataSchema: patterns', () => {
  it('when a pattern is not a valid regular expression, then it is refused with the reason', () => {
    expect(inspectMetadataSchema(withPattern('(abc'))).toEqual([
      { pointer: '/properties/q/pattern', message: expect.stringMatching(/not a valid regular expression/) },
    ]);
  });

  it('when a pattern is valid only without the u flag, then it is refused', () => {
    expect(messagesOf(withPattern('\\-{'))).toEqual([expect.stringMatching(/not a valid regular expression/)]);
  });

  it.each(['^(a)\\1$', '^(?<x>a)\\k<x>$', '^(?=a)a', '^a(?!b)', '(?<=a)b', '(?<!a)b'])(
    'when the pattern %s needs backreferences or lookaround, then it is refused as not linear-time',
    (pattern) => {
      expect(messagesOf(withPattern(pattern))).toEqual([expect.stringMatching(/RE2.*backreferences or lookaround/)]);
    },
  );

  it.each(['(a+)+', '(a*)*b', '^(\\d+)*$', '(a|a?)+', '(x{1,}){2,}', '((ab)*c)+', '(?:a+)+', '(?<n>a+){2}', '(a+?)*'])(
    'when the pattern %s nests quantifiers, then it is refused as catastrophic on backtracking engines',
    (pattern) => {
      expect(messagesOf(withPattern(pattern))).toEqual([expect.stringMatching(/nested quantifier.*backtracking/)]);
    },
  );

  it('when escapes or classes hold parentheses and quantifiers, then they are not read as groups', () => {
    expect(messagesOf(withPattern('^\\(a+\\)+$'))).toEqual([]);
    expect(messagesOf(withPattern('^([+*]x)+$'))).toEqual([]);
    expect(messagesOf(withPattern('^(\\u{1F600}x)+$'))).toEqual([]);
  });

  it('when patterns would take long to compile, then they are refused before RE2 compiles anything', () => {
    // RE2 (re2-wasm) takes 0.3 s on x{0,1000} and aborts for good on \p{L}{100}: the estimate must stop both.
    for (const pattern of ['x{0,1000}', '.{1000}', '\\p{L}{100}', '^[\\p{L}\\p{M}]{1,64}$']) {
      const started = performance.now();
      expect(messagesOf(withPattern(pattern))).toEqual([expect.stringMatching(/too costly to compile/)]);
      expect(performance.now() - started).toBeLessThan(50);
    }
  });

  it('when a schema has many patterns, then their costs add up', () => {
    const properties = { a: { pattern: '^\\p{L}+$' }, b: { pattern: '^\\p{L}+$' }, c: { pattern: '^\\p{L}+$' } };
    expect(inspectMetadataSchema({ properties })).toEqual([
      { pointer: '/properties/c/pattern', message: expect.stringMatching(/too costly to compile/) },
    ]);
    expect(inspectMetadataSchema({ properties: { a: properties.a, b: properties.b } })).toEqual([]);
  });

  it('when the schema is refused for another reason, then RE2 is not consulted', () => {
    const schema = { properties: { a: { format: 'nope' }, b: { pattern: '(?=a)' } } };
    expect(inspectMetadataSchema(schema).map((problem) => problem.pointer)).toEqual(['/properties/a/format']);
  });

  it('when RE2 has refused 60,000 patterns, then it still works (each probe frees its WebAssembly memory)', () => {
    // Unfreed, re2-wasm's 16 MB heap holds about 50,000 refusals; then RE2 aborts for the whole process.
    for (let i = 0; i < 60_000; i++) {
      const [problem] = inspectMetadataSchema(withPattern(`(?=a)${i}`));
      if (!problem?.message.includes('lookaround')) throw new Error(`refusal ${i}: ${problem?.message}`);
    }
    expect(messagesOf(withPattern('^[a-z]+$'))).toEqual([]);
    expect(messagesOf(withPattern('(?!a)'))).toEqual([expect.stringMatching(/RE2/)]);
  });

  it('when a pattern is too long, then it is refused', () => {
    expect(messagesOf(withPattern('a'.repeat(SCHEMA_LIMITS.maxPatternLength + 1)))).toEqual([
      expect.stringMatching(/at most 512/),
    ]);
  });

  it('when a pattern is not a string, then it is refused', () => {
    expect(messagesOf(withPattern(42 as unknown as string))).toEqual(['`pattern` must be a string']);
  });

  it('when a patternProperties key is hostile, then it is refused at that key', () => {
    expect(inspectMetadataSchema({ patternProperties: { '^(a+)+$': { type: 'string' } } })).toEqual([
      { pointer: '/patternProperties/^(a+)+$', message: expect.stringMatching(/patternProperties.*nested quantifier/) },
    ]);
  });

  it('when a hostile pattern hides in any subschema position, then it is found', () => {
    const bad = { pattern: '(a+)+' };
    const schema = {
      items: bad,
      prefixItems: [bad],
      additionalProperties: bad,
      not: bad,
      if: bad,
      then: bad,
      else: bad,
      contains: bad,
      propertyNames: bad,
      unevaluatedProperties: bad,
      unevaluatedItems: bad,
      allOf: [bad],
      anyOf: [bad],
      oneOf: [bad],
      $defs: { a: bad },
      dependentSchemas: { a: bad },
    };
    expect(inspectMetadataSchema(schema).map((problem) => problem.pointer)).toEqual([
      '/items/pattern',
      '/prefixItems/0/pattern',
      '/additionalProperties/pattern',
      '/not/pattern',
      '/if/pattern',
      '/then/pattern',
      '/else/pattern',
      '/contains/pattern',
      '/propertyNames/pattern',
      '/unevaluatedProperties/pattern',
      '/unevaluatedItems/pattern',
      '/allOf/0/pattern',
      '/anyOf/0/pattern',
      '/oneOf/0/pattern',
      '/$defs/a/pattern',
      '/dependentSchemas/a/pattern',
    ]);
  });
});

describe('inspectMetadataSchema: formats and shape', () => {
  it('when a format is not supported, then it is refused naming the supported ones', () => {
    expect(inspectMetadataSchema({ properties: { a: { type: 'string', format: 'credit-card' } } })).toEqual([
      { pointer: '/properties/a/format', message: expect.stringMatching(/must be one of date-time.*uuid/) },
    ]);
  });

  it('when a subschema is neither an object nor a boolean, then it is refused', () => {
    expect(inspectMetadataSchema({ properties: { a: 'string' } })).toEqual([
      { pointer: '/properties/a', message: 'a schema must be an object or a boolean' },
    ]);
  });

  it('when there are many problems, then at most 20 are reported', () => {
    const properties = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`p${i}`, { format: 'nope' }]));
    expect(inspectMetadataSchema({ properties })).toHaveLength(20);
  });

  it('when a schema is 10,000 levels deep, then it is refused without throwing', () => {
    let schema: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 10_000; i++) schema = { type: 'object', properties: { a: schema } };
    expect(inspectMetadataSchema(schema)).toEqual([
      { pointer: expect.any(String), message: expect.stringMatching(/deeper than 32/) },
    ]);
  });

  it('when a schema is 200,000 arrays deep (beyond what JSON.stringify survives), then it is refused', () => {
    let schema: unknown = [];
    for (let i = 0; i < 200_000; i++) schema = [schema];
    expect(() => JSON.stringify(schema)).toThrow(RangeError);
    expect(messagesOf({ enum: schema })).toEqual([expect.stringMatching(/deeper than/)]);
  });

  it('when a schema has too many values, then it is refused before they are walked', () => {
    expect(messagesOf({ enum: Array.from({ length: 1_000_000 }, (_, i) => i) })).toEqual([
      expect.stringMatching(/more than 10000 values/),
    ]);
  });

  it('when a schema is 5 MB, then it is refused without throwing', () => {
    const schema = { type: 'object', description: 'x'.repeat(5 * 1024 * 1024) };
    expect(messagesOf(schema)).toEqual([expect.stringMatching(/at most 65536 are accepted/)]);
  });

  it('when a schema is 5 MB of properties, then it is refused without throwing', () => {
    const properties = Object.fromEntries(
      Array.from({ length: 100_000 }, (_, i) => [`property_${i}`, { type: 'string' }]),
    );
    expect(messagesOf({ type: 'object', properties })).toEqual([expect.stringMatching(/more than 10000 values/)]);
  });

  it('when the input is not JSON (a cycle, a function), then it is refused without throwing', () => {
    const cyclic: Record<string, unknown> = { type: 'object' };
    cyclic.properties = { self: cyclic };
    expect(messagesOf(cyclic)).toHaveLength(1);
    expect(messagesOf({ properties: { a: () => 1 } })).toEqual(['the schema holds a value that is not JSON']);
    expect(messagesOf(new Date())).toEqual([expect.stringMatching(/JSON object/)]);
  });
});
