import type * as CreateLogger from './create-logger';

describe('createLogger', () => {
  afterEach(() => jest.resetModules());

  function loadWithPrettySpy() {
    const loaded = jest.fn();
    jest.doMock('pino-pretty', () => {
      loaded();
      return jest.requireActual('pino-pretty');
    });
    const { createLogger } = jest.requireActual<typeof CreateLogger>('./create-logger');
    return { createLogger, loaded };
  }

  it('when logs are JSON, then pino-pretty is never loaded', () => {
    const { createLogger, loaded } = loadWithPrettySpy();

    createLogger({ name: 'svc', level: 'silent', format: 'json' }).info('hello');

    expect(loaded).not.toHaveBeenCalled();
  });

  it('when logs are pretty, then pino-pretty is loaded for it', () => {
    const { createLogger, loaded } = loadWithPrettySpy();

    createLogger({ name: 'svc', level: 'silent', format: 'pretty' }).info('hello');

    expect(loaded).toHaveBeenCalledTimes(1);
  });
});
