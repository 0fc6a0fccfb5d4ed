import { createMetadataCompiler } from './metadata-validator';

describe('createMetadataCompiler', () => {
  it('when the same pattern is compiled 15,000 times (more than re2-wasm’s heap holds un-freed), then validation still works', () => {
    const compile = createMetadataCompiler();
    const schema = () => ({ type: 'object', properties: { sku: { type: 'string', pattern: '^[a-z0-9-]{1,32}$' } } });
    let check = compile(schema());
    for (let i = 0; i < 15_000; i++) check = compile(schema());

    expect(check({ sku: 'tent-2' })).toEqual([]);
    expect(check({ sku: 'Tent 2' })).toEqual([
      { pointer: '/metadata/sku', message: 'must match pattern "^[a-z0-9-]{1,32}$"' },
    ]);
  });

  it('when a pattern would backtrack catastrophically, then RE2 answers in linear time', () => {
    const check = createMetadataCompiler()({
      type: 'object',
      properties: { q: { type: 'string', pattern: '^(a|a)*$' } },
    });

    expect(check({ q: `${'a'.repeat(5_000)}b` })).toHaveLength(1);
  });
});
