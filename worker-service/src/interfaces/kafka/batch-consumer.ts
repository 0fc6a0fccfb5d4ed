import type { Logger } from '@uap/shared';
import type { Consumer, EachBatchPayload } from 'kafkajs';
import { isRetriable } from '../../application/retriable.errors';

export type BatchControl = Pick<
  EachBatchPayload,
  'batch' | 'resolveOffset' | 'heartbeat' | 'commitOffsetsIfNecessary' | 'isRunning' | 'isStale'
>;

export interface RetryPolicy {
  retryInitialMs: number;
  retryMaxMs: number;
  sleep: (ms: number) => Promise<void>;
  log: Logger;
  /** Called before every attempt, the first included (1-based). */
  onAttempt?: (attempt: number) => void;
}

/** While waiting out an outage, heartbeat and look for shutdown or rebalance at least this often. */
const WAIT_SLICE_MS = 500;

/**
 * Runs `work` until it succeeds, retrying retriable failures forever with capped exponential backoff
 * and without committing; anything else is thrown. Undefined when the batch had to be given up
 * (shutdown or rebalance): the uncommitted messages are then fetched again by whoever owns them.
 */
export async function retryInBatch<T>(
  work: () => Promise<T>,
  payload: BatchControl,
  policy: RetryPolicy,
): Promise<T | undefined> {
  for (let attempt = 0; ; attempt++) {
    policy.onAttempt?.(attempt + 1);
    try {
      const result = await work();
      if (attempt > 0) policy.log.info({ attempts: attempt + 1 }, 'store is back; chunk recorded');
      return result;
    } catch (err) {
      if (!isRetriable(err)) throw err;
      const delayMs = Math.min(policy.retryMaxMs, policy.retryInitialMs * 2 ** Math.min(attempt, 30));
      policy.log.warn(
        { err, attempt: attempt + 1, delayMs, partition: payload.batch.partition },
        'recording failed; retrying without committing',
      );
      if (!(await waitHeartbeating(delayMs, payload, policy.sleep))) return undefined;
    }
  }
}

/**
 * Waits inside eachBatch rather than pausing the partition: the fetch loop is blocked meanwhile
 * anyway, and staying here keeps the uncommitted chunk in hand for the next attempt.
 */
async function waitHeartbeating(ms: number, payload: BatchControl, sleep: (ms: number) => Promise<void>) {
  for (let left = ms; left > 0;) {
    if (!payload.isRunning() || payload.isStale()) return false;
    const slice = Math.min(left, WAIT_SLICE_MS);
    await sleep(slice);
    left -= slice;
    // Keeps the session alive; throws during a rebalance, which hands the partition over uncommitted.
    await payload.heartbeat();
  }
  return payload.isRunning() && !payload.isStale();
}

export interface BatchConsumerOptions {
  topic: string;
  log: Logger;
  /** Called with true when the group assigned this member its partitions, false when it stops or crashes. */
  onMembership: (joined: boolean) => void;
  /** Called when kafkajs gives up on the consumer; the process must not live on without it. */
  onFatal: (error: Error) => void;
  partitionsConcurrency?: number;
  eachBatch: (payload: EachBatchPayload) => Promise<void>;
}

/**
 * Subscribes from the beginning (a new group skips nothing written before it existed) and runs
 * eachBatch with offsets resolved by hand and committed on every commitOffsetsIfNecessary call,
 * i.e. only after what the batch handler stored.
 */
export async function startBatchConsumer(consumer: Consumer, options: BatchConsumerOptions): Promise<void> {
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    options.onMembership(true);
    options.log.info({ memberId: payload.memberId, assignment: payload.memberAssignment }, 'joined consumer group');
  });
  consumer.on(consumer.events.STOP, () => options.onMembership(false));
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    options.onMembership(false);
    options.log.error({ err: payload.error, restart: payload.restart }, 'consumer crashed');
    if (!payload.restart) options.onFatal(payload.error);
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
  await consumer.run({
    eachBatchAutoResolve: false,
    autoCommitThreshold: 1,
    partitionsConsumedConcurrently: options.partitionsConcurrency ?? 1,
    eachBatch: options.eachBatch,
  });
}
