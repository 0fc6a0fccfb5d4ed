import { RANKABLE_FIELD_PATTERN } from '@uap/shared/activity-types';
import { matchesStep, parseSteps, STEPS_PATTERN, whereOf } from './funnel-steps';
import { METADATA_PATH_PATTERN } from './insights-limits';
import { parseWithin, WITHIN_PATTERN } from './iso-duration';

describe('funnel steps', () => {
  it('when steps name types and metadata equalities, then each step has its type and its equalities in order', () => {
    expect(parseSteps('SIGNUP,SEARCH[metadata.query=running shoes;metadata.page.n=1],PURCHASE')).toEqual({
      steps: [
        { type: 'SIGNUP', where: [] },
        {
          type: 'SEARCH',
          where: [
            { path: 'metadata.query', value: 'running shoes' },
            { path: 'metadata.page.n', value: '1' },
          ],
        },
        { type: 'PURCHASE', where: [] },
      ],
    });
  });

  it('when a value holds commas, brackets, equal signs or nothing, then they belong to the value', () => {
    const parsed = parseSteps('SEARCH[metadata.q=a,b=[c],SEARCH[metadata.q=]');
    expect(parsed).toEqual({
      steps: [
        { type: 'SEARCH', where: [{ path: 'metadata.q', value: 'a,b=[c' }] },
        { type: 'SEARCH', where: [{ path: 'metadata.q', value: '' }] },
      ],
    });
  });

  it.each([
    ['SIGNUP', 'a funnel has 2 to 10 steps; 1 given'],
    [Array.from({ length: 11 }, () => 'LOGIN').join(','), 'a funnel has 2 to 10 steps; 11 given'],
    ['SIGNUP,search', 'step 2 ("search") is not TYPE or TYPE[metadata.<path>=<value>;…]'],
    ['SIGNUP,SEARCH[query=x]', 'step 2 ("SEARCH[query=x]") is not TYPE or TYPE[metadata.<path>=<value>;…]'],
    ['SIGNUP,SEARCH[metadata.q=x', 'step 2 ("SEARCH[metadata.q=x") is not TYPE or TYPE[metadata.<path>=<value>;…]'],
    ['SIGNUP,SEARCH[metadata.q=x;metadata.q=y]', 'step 2 compares metadata.q twice; name each path once per step'],
    [
      Array.from({ length: 6 }, (_, i) => `SEARCH[metadata.a${i}=1;metadata.b${i}=2]`).join(','),
      'the steps compare 12 distinct metadata paths; at most 10',
    ],
  ])('when steps are %j, then they break funnel-steps: %s', (text, message) => {
    expect(parseSteps(text)).toEqual({ errors: [{ path: 'steps', message, rule: 'funnel-steps' }] });
  });

  it('when the parser accepts steps, then the documented pattern accepts them too (the document never says less)', () => {
    const accepted = [
      'A,B',
      'SIGNUP,SEARCH[metadata.query=shoes],PURCHASE',
      'SEARCH[metadata.q=a,b=[c],SEARCH[metadata.q=]',
      'X[metadata.a.b.c.d=ü ß;metadata._x=1],Y',
    ];
    for (const text of accepted) {
      expect([text, 'steps' in parseSteps(text)]).toEqual([text, true]);
      expect([text, STEPS_PATTERN.test(text)]).toEqual([text, true]);
    }
    for (const text of ['A,,B', 'A,B]', 'A[metadata.x=1]B,C', 'A[metadata.x=\u0001],B', 'A[metadata.0=1],B']) {
      expect([text, STEPS_PATTERN.test(text), 'steps' in parseSteps(text)]).toEqual([text, false, false]);
    }
  });

  it('when a step compares a value, then a stored string, number or boolean matches by its text', () => {
    const step = { type: 'SEARCH', where: [{ path: 'metadata.n' as const, value: '1' }] };
    expect(matchesStep(step, 'SEARCH', { 'metadata.n': 1 })).toBe(true);
    expect(matchesStep(step, 'SEARCH', { 'metadata.n': '1' })).toBe(true);
    expect(matchesStep(step, 'SEARCH', { 'metadata.n': 1.5 })).toBe(false);
    expect(matchesStep(step, 'SEARCH', {})).toBe(false);
    expect(matchesStep(step, 'LOGIN', { 'metadata.n': 1 })).toBe(false);
    const flag = { type: 'SEARCH', where: [{ path: 'metadata.b' as const, value: 'true' }] };
    expect(matchesStep(flag, 'SEARCH', { 'metadata.b': true })).toBe(true);
    expect(matchesStep({ type: 'SEARCH', where: [] }, 'SEARCH', {})).toBe(true);
  });

  it('when a step is shown in the answer, then its equalities are an object keyed by path, absent without any', () => {
    expect(whereOf({ type: 'A', where: [{ path: 'metadata.q', value: 'x' }] })).toEqual({ 'metadata.q': 'x' });
    expect(whereOf({ type: 'A', where: [] })).toBeUndefined();
  });

  it('when a metadata path is checked, then it is the registry’s rankable-field shape exactly', () => {
    expect(METADATA_PATH_PATTERN.source).toBe(RANKABLE_FIELD_PATTERN.source);
  });
});

describe('funnel window (within)', () => {
  it.each([
    ['P7D', 7 * 86_400_000],
    ['PT30M', 30 * 60_000],
    ['P1DT12H', 36 * 3_600_000],
    ['P1W2D', 9 * 86_400_000],
    ['PT1M', 60_000],
    ['P90D', 90 * 86_400_000],
    ['P12W6D', 90 * 86_400_000],
    ['PT2160H', 90 * 86_400_000],
  ])('when within is %s, then it lasts %d ms', (text, ms) => {
    expect(parseWithin(text)).toEqual({ ms });
  });

  it.each(['P', 'PT', 'P7DT', 'P1Y', 'P1M', 'PT30S', 'p7d', 'P7.5D', 'PT0M', 'PT0H', 'P90DT1M'])(
    'when within is %s, then it breaks funnel-window',
    (text) => {
      expect(parseWithin(text)).toEqual({ error: expect.objectContaining({ path: 'within', rule: 'funnel-window' }) });
    },
  );

  it('when within is not a duration of the pattern’s shape, then the documented pattern refuses it too', () => {
    for (const text of ['P1Y', 'PT30S', 'p7d', 'P7.5D', 'P١D'])
      expect([text, WITHIN_PATTERN.test(text)]).toEqual([text, false]);
  });
});
