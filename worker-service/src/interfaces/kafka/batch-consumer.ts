import { logConsumerCrash, type Logger } from '@uap/shared/runtime';
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
  /** How often to heartbeat while `work` runs (default 1 s). */
  heartbeatEveryMs?: number;
}

/** While waiting out an outage, heartbeat and look for shutdown or rebalance at least this often. */
const WAIT_SLICE_MS = 500;
/** kafkajs sends at most one heartbeat per heartbeatInterval, so asking more often costs nothing. */
const HEARTBEAT_WHILE_WORKING_MS = 1_000;

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Runs `work` while heartbeating every `everyMs`, so a slow store write does not outlive the session and
 * get this member thrown out of the group. A refused heartbeat (a rebalance, or the coordinator no longer
 * knowing this member) is remembered and heartbeating stops, but the write is never abandoned midway.
 */
async function heartbeatingWhile<T>(work: () => Promise<T>, payload: BatchControl, everyMs: number) {
  let refused: { error: unknown } | undefined;
  let beating: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (beating || refused) return;
    beating = payload
      .heartbeat()
      .catch((error: unknown) => void (refused = { error }))
      .finally(() => (beating = undefined));
  }, everyMs);
  try {
    const outcome: Outcome<T> = await work().then(
      (value) => ({ ok: true, value }),
      (error: unknown) => ({ ok: false, error }),
    );
    await beating;
    return { outcome, refused };
  } finally {
    clearInterval(timer);
  }
}

/**
 * Runs `work` until it succeeds, retrying retriable failures forever with capped exponential backoff
 * and without committing; anything else is thrown. Undefined when the batch had to be given up
 * (shutdown or rebalance): the uncommitted messages are then fetched again by whoever owns them.
 * A heartbeat refused while `work` ran is thrown once it is done, even if it succeeded: the member has
 * to rejoin, and kafkajs does so at once when eachBatch throws it. The chunk stays uncommitted; whoever
 * owns the partition next records it again, and the store's unique eventId makes that a no-op.
 */
export async function retryInBatch<T>(
  work: () => Promise<T>,
  payload: BatchControl,
  policy: RetryPolicy,
): Promise<T | undefined> {
  for (let attempt = 0; ; attempt++) {
    policy.onAttempt?.(attempt + 1);
    const { outcome, refused } = await heartbeatingWhile(
      work,
      payload,
      policy.heartbeatEveryMs ?? HEARTBEAT_WHILE_WORKING_MS,
    );
    if (!outcome.ok && !isRetriable(outcome.error)) throw outcome.error;
    if (refused) {
      policy.log.warn(
        { err: refused.error, partition: payload.batch.partition, recorded: outcome.ok },
        'heartbeat refused while a chunk was in hand; leaving it uncommitted for the partition’s next owner',
      );
      throw refused.error;
    }
    if (outcome.ok) {
      if (attempt > 0) policy.log.info({ attempts: attempt + 1 }, 'store is back; chunk recorded');
      return outcome.value;
    }
    const delayMs = Math.min(policy.retryMaxMs, policy.retryInitialMs * 2 ** Math.min(attempt, 30));
    policy.log.warn(
      { err: outcome.error, attempt: attempt + 1, delayMs, partition: payload.batch.partition },
      'recording failed; retrying without committing',
    );
    if (!(await waitHeartbeating(delayMs, payload, policy.sleep))) return undefined;
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
  /**
   * Called on every join after the first: a rebalance, or the coordinator having dropped this member.
   * Steady rejoins while a partition's committed offset stands still are a rejoin loop.
   */
  onRejoin?: (groupId: string) => void;
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
  let joins = 0;
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    joins++;
    options.onMembership(true);
    if (joins > 1) options.onRejoin?.(payload.groupId);
    options.log.info(
      { memberId: payload.memberId, assignment: payload.memberAssignment, joins },
      joins > 1 ? 'rejoined consumer group' : 'joined consumer group',
    );
  });
  consumer.on(consumer.events.STOP, () => options.onMembership(false));
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    options.onMembership(false);
    logConsumerCrash(options.log, payload, 'consumer crashed');
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
