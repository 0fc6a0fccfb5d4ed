import type * as Contract from './index';

// The contract must load without the runtime: domain code and the SDK's types depend on that.
describe('@uap/shared/contract', () => {
  const LOADED = 'a runtime module was loaded';

  beforeEach(() => {
    jest.resetModules();
    for (const runtimeModule of ['kafkajs', 'pino', 'pino-pretty']) {
      jest.doMock(runtimeModule, () => {
        throw new Error(`${LOADED}: ${runtimeModule}`);
      });
    }
  });

  it('when the contract is imported, then neither kafkajs nor pino is loaded', () => {
    const contract = jest.requireActual<typeof Contract>('./index');
    expect(contract.BUILT_IN_ACTIVITY_TYPES).toContain('SEARCH');
  });

  it('when the runtime is imported, then the guard above notices (it loads kafkajs)', () => {
    expect(() => jest.requireActual('../runtime/index')).toThrow(LOADED);
  });
});
