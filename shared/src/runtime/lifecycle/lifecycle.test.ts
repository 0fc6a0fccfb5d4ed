import pino from 'pino';
import { Lifecycle } from './lifecycle';

function setUp(shutdownTimeoutMs = 1_000) {
  const exits: number[] = [];
  const closed: string[] = [];
  const lifecycle = new Lifecycle(pino({ level: 'silent' }), { shutdownTimeoutMs, exit: (code) => exits.push(code) });
  return { lifecycle, exits, closed };
}

describe('Lifecycle', () => {
  it('when stopped, then resources close last-registered first and the process exits with the given code', async () => {
    const { lifecycle, exits, closed } = setUp();
    lifecycle.onStop('store', async () => void closed.push('store'));
    lifecycle.onStop('producer', async () => void closed.push('producer'));
    lifecycle.onStop('http', () => void closed.push('http'));

    await Promise.all([lifecycle.stop('SIGTERM'), lifecycle.stop('SIGINT')]);

    expect(closed).toEqual(['http', 'producer', 'store']);
    expect(exits).toEqual([0]);
  });

  it('when one resource fails to close, then the others still close and the exit code is the one asked for', async () => {
    const { lifecycle, exits, closed } = setUp();
    lifecycle.onStop('store', async () => void closed.push('store'));
    lifecycle.onStop('producer', async () => {
      throw new Error('broker gone');
    });

    await lifecycle.stop('SIGTERM');

    expect(closed).toEqual(['store']);
    expect(exits).toEqual([0]);
  });

  it('when a resource hangs past the deadline, then the process exits with 1 without waiting for it', async () => {
    jest.useFakeTimers();
    try {
      const { lifecycle, exits } = setUp(500);
      lifecycle.onStop('stuck', () => new Promise(() => undefined));

      void lifecycle.stop('SIGTERM');
      await jest.advanceTimersByTimeAsync(499);
      expect(exits).toEqual([]);
      await jest.advanceTimersByTimeAsync(1);

      expect(exits).toEqual([1]);
    } finally {
      jest.useRealTimers();
    }
  });
});
