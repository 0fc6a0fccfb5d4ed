import type { Batch, Consumer } from 'kafkajs';
import pino from 'pino';
import { StoreUnavailableError } from '../../application/retriable.errors';
import { retryInBatch, startBatchConsumer, type RetryPolicy } from './batch-consumer';

const log = pino({ level: 'silent' });

/** The eachBatch controls, with a heartbeat that counts its calls and is refused while `rebalancing`. */
function aPayload() {
  const state = { heartbeats: 0, rebalancing: false };
  const payload = {
    batch: { topic: 't', partition: 2, messages: [] } as unknown as Batch,
    resolveOffset: jest.fn(),
    commitOffsetsIfNecessary: jest.fn(async () => undefined),
    heartbeat: async () => {
      state.heartbeats++;
      if (state.rebalancing)
        throw Object.assign(new Error('The group is rebalancing'), { type: 'REBALANCE_IN_PROGRESS' });
    },
    isRunning: () => true,
    isStale: () => false,
  };
  return { payload, state };
}

const policy: RetryPolicy = { retryInitialMs: 100, retryMaxMs: 1_000, sleep: async () => undefined, log };
const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe('retryInBatch heartbeating', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('when a chunk takes minutes to write, then it heartbeats every second meanwhile and stops when it is done', async () => {
    const { payload, state } = aPayload();

    const result = retryInBatch(() => after(180_500, 'stored'), payload, policy);
    await jest.advanceTimersByTimeAsync(180_500);

    await expect(result).resolves.toBe('stored');
    expect(state.heartbeats).toBe(180);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(state.heartbeats).toBe(180);
  });

  it('when a heartbeat is refused mid-write, then the write is finished, heartbeating stops and the refusal is thrown', async () => {
    const { payload, state } = aPayload();
    let finished = false;
    const work = () => after(30_000, 'stored').then((v) => ((finished = true), v));

    const result = retryInBatch(work, payload, { ...policy, heartbeatEveryMs: 5_000 });
    const settled = expect(result).rejects.toMatchObject({ type: 'REBALANCE_IN_PROGRESS' });
    await jest.advanceTimersByTimeAsync(10_000);
    state.rebalancing = true;
    await jest.advanceTimersByTimeAsync(5_000);
    expect(finished).toBe(false);
    await jest.advanceTimersByTimeAsync(15_000);

    await settled;
    expect(finished).toBe(true);
    expect(state.heartbeats).toBe(3);
  });

  it('when a heartbeat was refused and the write failed for an outage, then the outage is not retried', async () => {
    const { payload, state } = aPayload();
    state.rebalancing = true;
    let attempts = 0;
    const work = () =>
      after(3_000, undefined).then(() => Promise.reject(new StoreUnavailableError(`down ${++attempts}`)));

    const result = retryInBatch(work, payload, policy);
    const settled = expect(result).rejects.toMatchObject({ type: 'REBALANCE_IN_PROGRESS' });
    await jest.advanceTimersByTimeAsync(3_000);

    await settled;
    expect(attempts).toBe(1);
  });

  it('when a heartbeat is slow to answer, then heartbeats do not pile up', async () => {
    const { payload, state } = aPayload();
    payload.heartbeat = () => (state.heartbeats++, after(4_500, undefined));

    const result = retryInBatch(() => after(10_000, 'stored'), payload, policy);
    // Sent at 1 s and 6 s; the one in flight when the write ends is waited for, in case it is refused.
    await jest.advanceTimersByTimeAsync(10_500);

    await expect(result).resolves.toBe('stored');
    expect(state.heartbeats).toBe(2);
  });
});

describe('startBatchConsumer', () => {
  it('when the group is joined again after the first join, then each rejoin is reported with its group', async () => {
    const listeners = new Map<string, (event: { payload: unknown }) => void>();
    const consumer = {
      events: { GROUP_JOIN: 'group-join', STOP: 'stop', CRASH: 'crash' },
      on: (name: string, listener: (event: { payload: unknown }) => void) => void listeners.set(name, listener),
      connect: async () => undefined,
      subscribe: async () => undefined,
      run: async () => undefined,
    } as unknown as Consumer;
    const onRejoin = jest.fn();
    await startBatchConsumer(consumer, {
      topic: 't',
      log,
      onMembership: () => undefined,
      onRejoin,
      onFatal: () => undefined,
      eachBatch: async () => undefined,
    });
    const join = () => listeners.get('group-join')!({ payload: { groupId: 'g', memberId: 'm', memberAssignment: {} } });

    join();
    expect(onRejoin).not.toHaveBeenCalled();
    join();
    join();
    expect(onRejoin.mock.calls).toEqual([['g'], ['g']]);
  });
});
