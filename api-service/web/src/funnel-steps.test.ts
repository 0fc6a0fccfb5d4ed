import { formatSteps, parseSteps, stepProblem, type FunnelStep } from './funnel-steps';

describe('funnel steps', () => {
  const steps: FunnelStep[] = [
    { type: 'SIGNUP' },
    { type: 'SEARCH', where: { path: 'metadata.query', value: 'running shoes' } },
    { type: 'PURCHASE', where: { path: 'metadata.item.sku', value: '42' } },
    { type: 'SEARCH', where: { path: 'metadata.query', value: 'shoes, size=[42' } },
  ];

  it('when steps are written and read back, then they are the same steps, in the API syntax (commas and [ inside a value included)', () => {
    const text = formatSteps(steps);

    expect(text).toBe(
      'SIGNUP,SEARCH[metadata.query=running shoes],PURCHASE[metadata.item.sku=42],SEARCH[metadata.query=shoes, size=[42]',
    );
    expect(parseSteps(text)).toEqual(steps);
  });

  it('when the text holds fewer than 2 or more than 10 steps, or a step that does not read, then no step is kept', () => {
    expect(parseSteps(null)).toEqual([]);
    expect(parseSteps('SIGNUP')).toEqual([]);
    expect(parseSteps(Array.from({ length: 11 }, () => 'SEARCH').join(','))).toEqual([]);
    expect(parseSteps(Array.from({ length: 10 }, () => 'SEARCH').join(','))).toHaveLength(10);
    expect(parseSteps('SIGNUP,search')).toEqual([]);
    expect(parseSteps('SIGNUP,SEARCH[query=shoes]')).toEqual([]);
    expect(parseSteps('SIGNUP,SEARCH[metadata.query=]')).toEqual([]);
    expect(parseSteps('SIGNUP,SEARCH[metadata.a=1;metadata.b=2]')).toEqual([]);
  });

  it('when a step cannot be sent, then its problem says what to fix', () => {
    expect(stepProblem({ type: '' })).toBe('choose a type');
    expect(stepProblem({ type: 'SEARCH', where: { path: 'metadata.$where', value: 'x' } })).toMatch(/metadata\.query/);
    expect(stepProblem({ type: 'SEARCH', where: { path: 'metadata.query', value: '' } })).toMatch(/value/);
    expect(stepProblem({ type: 'SEARCH', where: { path: 'metadata.query', value: 'a;b' } })).toMatch(/cannot hold/);
    expect(stepProblem({ type: 'SEARCH', where: { path: 'metadata.query', value: 'x'.repeat(201) } })).toMatch(
      /longer than 200/,
    );
    expect(stepProblem({ type: 'SEARCH', where: { path: 'metadata.query', value: 'a]b' } })).toMatch(/cannot hold/);
    expect(stepProblem({ type: 'SEARCH', where: { path: 'metadata.query', value: 'a\u0007' } })).toMatch(/cannot hold/);
    expect(stepProblem({ type: 'SEARCH', where: { path: 'metadata.query', value: 'shoes, size=[42' } })).toBeNull();
    expect(stepProblem({ type: 'SEARCH', where: { path: 'metadata.query', value: 'red shoes' } })).toBeNull();
  });
});
