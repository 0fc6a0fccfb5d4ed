import { UapHttpError } from '@uap/client';
import { stoppedLines, typeRefusalLines } from './types-format';

const problem = (status: number, title: string, detail: string) => ({
  type: 'urn:uap:problem:x',
  title,
  status,
  detail,
  instance: '/api/v1/activity-types/LOGIN',
});
const NEEDS = { needs: 'changing activity types needs an API key with the admin scope' };

describe('typeRefusalLines', () => {
  it('when a 409 names no changes, then its detail is printed as any refusal', () => {
    const err = new UapHttpError(409, problem(409, 'Conflict', 'LOGIN is being changed'));
    expect(typeRefusalLines(err, { ...NEEDS, name: 'LOGIN', breakable: true })).toEqual([
      'types: HTTP 409 Conflict: LOGIN is being changed',
    ]);
  });

  it('when a 428 comes (the type was created after it was read), then it says to run again', () => {
    const err = new UapHttpError(428, problem(428, 'Precondition required', 'LOGIN exists at version 1'));
    expect(typeRefusalLines(err, { ...NEEDS, name: 'LOGIN' })).toEqual([
      'types: HTTP 428 Precondition required: LOGIN exists at version 1',
      '  (LOGIN was created by someone else since it was read: run the command again to re-read it)',
    ]);
  });

  it('when the key is missing, then the line says which key is needed', () => {
    expect(typeRefusalLines(new UapHttpError(401, undefined), NEEDS)).toEqual([
      'types: HTTP 401',
      '  (changing activity types needs an API key with the admin scope: --key or UAP_API_KEY)',
    ]);
  });
});

describe('stoppedLines', () => {
  it('when the last type is refused, then only what stays applied is said', () => {
    expect(stoppedLines('C', 2, ['A', 'B', 'C'])).toEqual([
      'types: stopped at C (3 of 3): the 2 types before it stay applied.',
      '  Fix it and apply the file again: the types already applied come back unchanged.',
    ]);
  });

  it('when the only type is refused, then there is nothing to apply again', () => {
    expect(stoppedLines('A', 0, ['A'])).toEqual(['types: stopped at A (1 of 1): nothing was applied before it.']);
  });

  it('when the first of several is refused, then the ones after it were not tried', () => {
    expect(stoppedLines('A', 0, ['A', 'B', 'C'])[0]).toBe(
      'types: stopped at A (1 of 3): nothing was applied before it; the 2 after it were not tried.',
    );
  });
});
