import { registryFieldsOf } from './stored-activity';

describe('stored activity fields', () => {
  it('when a document stored before the registry is read, then it has no typeVersion, planned or violations', () => {
    expect(registryFieldsOf({ eventId: 'e', type: 'LOGIN', schemaVersion: 1 })).toEqual({});
  });

  it('when the worker stored typeVersion, planned and violations, then they come back as written', () => {
    const violations = [{ pointer: '/metadata/seconds', message: 'must be integer' }];
    expect(registryFieldsOf({ typeVersion: 2, planned: false, violations })).toEqual({
      typeVersion: 2,
      planned: false,
      violations,
    });
  });

  it('when a field holds something no worker writes, then it is left out rather than passed on', () => {
    expect(
      registryFieldsOf({
        typeVersion: '2',
        planned: true,
        violations: [{ pointer: 1 }, { pointer: '/a', message: 'm', _id: 'x' }],
      }),
    ).toEqual({ violations: [{ pointer: '/a', message: 'm' }] });
  });
});
