import { ActivityTypeCatalog } from '@uap/shared/activity-types';
import { encodeActivityMessage, HEADERS } from '@uap/shared/contract';
import { anActivity } from '@uap/shared/testing';
import type { Batch, Consumer, KafkaMessage } from 'kafkajs';
import pino from 'pino';
import { Registry } from 'prom-client';
import { RecordActivitiesUseCase } from '../../application/record-activities.use-case';
import { InMemoryActivityRepository, InMemoryDeadLetterPublisher } from '../../testing/in-memory.fakes';
import { createWorkerMetrics, type WorkerMetrics } from '../../infrastructure/metrics/worker.metrics';
import { PartitionStallMonitor } from '../../application/partition-stall.monitor';
import { ActivityConsumer, classifyMessages, type ActivityConsumerDeps } from './activity.consumer';

const logger = pino({ level: 'silent' });
const types = new ActivityTypeCatalog();
let nextOffset = 0;

function aMessage(value: string | null, headers: KafkaMessage['headers'] = {}): KafkaMessage {
  return {
    key: Buffer.from('user-1'),
    value: value === null ? null : Buffer.from(value),
    headers,
    offset: String(nextOffset++),
    timestamp: String(Date.now()),
    attributes: 0,
  } as KafkaMessage;
}

const anEventMessage = (event = anActivity()) => aMessage(encodeActivityMessage(event).value);

/** The slice of kafkajs' eachBatch payload the consumer uses, recording what it was asked to do. */
function aBatch(messages: KafkaMessage[], options: { staleAfterHeartbeats?: number } = {}) {
  const calls: string[] = [];
  let running = true;
  let heartbeats = 0;
  return {
    calls,
    stop: () => (running = false),
    payload: {
      batch: { topic: 'user-activities', partition: 3, messages } as unknown as Batch,
      resolveOffset: (offset: string) => void calls.push(`resolve ${offset}`),
      commitOffsetsIfNecessary: async () => void calls.push('commit'),
      heartbeat: async () => {
        heartbeats++;
        calls.push('heartbeat');
      },
      isRunning: () => running,
      isStale: () => options.staleAfterHeartbeats !== undefined && heartbeats >= options.staleAfterHeartbeats,
    },
  };
}

function setUp(writeChunkSize = 100, extra: Partial<ActivityConsumerDeps> = {}) {
  const repository = new InMemoryActivityRepository();
  const deadLetters = new InMemoryDeadLetterPublisher();
  const sleeps: number[] = [];
  const consumer = new ActivityConsumer(
    { topic: 'user-activities', writeChunkSize, retryInitialMs: 100, retryMaxMs: 1_000, stallAfterMs: 10_000 },
    {
      consumer: {} as Consumer,
      recordActivities: new RecordActivitiesUseCase({ repository, deadLetters, logger }),
      types,
      logger,
      onFatal: () => undefined,
      sleep: async (ms) => void sleeps.push(ms),
      ...extra,
    },
  );
  return { repository, deadLetters, consumer, sleeps };
}

describe('classifyMessages', () => {
  it('when messages are valid, invalid JSON, schema-violating or of an unknown version, then each is classified', () => {
    const event = anActivity();
    const messages = [
      anEventMessage(event),
      aMessage('{oops', { 'request-id': 'r1' }),
      aMessage(JSON.stringify({ ...anActivity(), userId: '' })),
      aMessage(JSON.stringify({ ...anActivity(), schemaVersion: 9 })),
      aMessage(null),
    ];

    const { events, deadLetters } = classifyMessages(messages, 'topic-a', 4, types);

    expect(events.map((e) => e.event)).toEqual([{ ...event, typeVersion: 1 }]);
    expect(events[0]!.message).toMatchObject({
      source: { topic: 'topic-a', partition: 4, offset: messages[0]!.offset },
    });
    expect(deadLetters.map((l) => l.reason)).toEqual([
      'invalid-json',
      'schema-violation',
      'unknown-schema-version',
      'invalid-json',
    ]);
    expect(deadLetters[0]).toMatchObject({
      value: Buffer.from('{oops'),
      key: Buffer.from('user-1'),
      headers: { 'request-id': 'r1' },
      source: { topic: 'topic-a', partition: 4, offset: messages[1]!.offset },
    });
    expect(deadLetters[1]!.error).toContain('userId');
  });

  it('when a raw producer sends an unknown type or metadata that breaks its schema, then each is a schema-violation naming the pointer and version', () => {
    const messages = [
      aMessage(JSON.stringify({ ...anActivity(), type: 'VIDEO_PLAY' })),
      aMessage(JSON.stringify({ ...anActivity(), type: 'SEARCH', metadata: { query: 7 } })),
    ];

    const { events, deadLetters } = classifyMessages(messages, 'topic-a', 0, types);

    expect(events).toEqual([]);
    expect(deadLetters.map((l) => [l.reason, l.error])).toEqual([
      ['schema-violation', '/type: VIDEO_PLAY is not a planned activity type'],
      ['schema-violation', '/metadata/query: must be string (SEARCH v1)'],
    ]);
  });

  it('when the api stamped the event (typeVersion, or planned=false), then it is stored as it is, unchecked', () => {
    const stamped = { ...anActivity(), type: 'VIDEO_PLAY', typeVersion: 3 };
    const unplanned = { ...anActivity(), type: 'VIDEO_PLAY', planned: false as const };

    const { events } = classifyMessages([anEventMessage(stamped), anEventMessage(unplanned)], 't', 0, types);

    expect(events.map((e) => e.event)).toEqual([stamped, unplanned]);
  });

  it('when the policy accepts unknown types and flags bad metadata, then raw events are stored marked so', () => {
    const lenient = new ActivityTypeCatalog({ unknownTypes: 'accept', invalidMetadata: 'accept-and-flag' });
    const unknown = { ...anActivity(), type: 'VIDEO_PLAY' };
    const flagged = { ...anActivity(), type: 'SEARCH', metadata: {} };

    const { events } = classifyMessages([anEventMessage(unknown), anEventMessage(flagged)], 't', 0, lenient);

    expect(events.map((e) => e.event)).toEqual([
      { ...unknown, planned: false },
      { ...flagged, typeVersion: 1, violations: [{ pointer: '/metadata/query', message: 'is required' }] },
    ]);
  });
});

describe('ActivityConsumer.handleBatch', () => {
  it('when a batch is stored, then offsets are resolved and committed per chunk, after each write', async () => {
    const { repository, consumer } = setUp(2);
    const messages = [anEventMessage(), anEventMessage(), anEventMessage()];
    const { payload, calls } = aBatch(messages);

    await consumer.handleBatch(payload);

    expect(repository.stored.size).toBe(3);
    expect(calls).toEqual([
      `resolve ${messages[1]!.offset}`,
      'commit',
      'heartbeat',
      `resolve ${messages[2]!.offset}`,
      'commit',
      'heartbeat',
    ]);
    expect(consumer.stats).toMatchObject({ inserted: 3, duplicates: 0, deadLettered: 0 });
  });

  it('when an invalid message sits between valid ones, then it is dead-lettered and the others are stored', async () => {
    const { repository, deadLetters, consumer } = setUp();
    const bad = aMessage('not json');
    const { payload, calls } = aBatch([anEventMessage(), bad, anEventMessage()]);

    await consumer.handleBatch(payload);

    expect(repository.stored.size).toBe(2);
    expect(deadLetters.sent).toEqual([
      expect.objectContaining({ reason: 'invalid-json', value: Buffer.from('not json') }),
    ]);
    expect(calls[0]).toBe(`resolve ${payload.batch.messages[2]!.offset}`);
  });

  it('when a redelivered batch holds stored events, then they count as duplicates and the offsets still move on', async () => {
    const { repository, consumer } = setUp();
    const messages = [anEventMessage(), anEventMessage()];
    await consumer.handleBatch(aBatch(messages).payload);
    const { payload, calls } = aBatch(messages);

    await consumer.handleBatch(payload);

    expect(repository.stored.size).toBe(2);
    expect(consumer.stats).toMatchObject({ inserted: 2, duplicates: 2 });
    expect(calls).toContain(`resolve ${messages[1]!.offset}`);
  });

  it('when the store fails 3 times, then the chunk is retried with capped exponential backoff, heartbeating, and committed only after it is stored', async () => {
    const { repository, consumer, sleeps } = setUp();
    repository.failNextWrites(3);
    const messages = [anEventMessage()];
    const { payload, calls } = aBatch(messages);

    await consumer.handleBatch(payload);

    expect(repository.writeAttempts).toBe(4);
    expect(repository.stored.size).toBe(1);
    expect(sleeps).toEqual([100, 200, 400]);
    expect(calls).toEqual([
      'heartbeat',
      'heartbeat',
      'heartbeat',
      `resolve ${messages[0]!.offset}`,
      'commit',
      'heartbeat',
    ]);
    expect(consumer.stats.retries).toBe(3);
  });

  it('when the outage is long, then the backoff is capped and slept in slices', async () => {
    const { repository, consumer, sleeps } = setUp();
    repository.failNextWrites(6);

    await consumer.handleBatch(aBatch([anEventMessage()]).payload);

    // 100, 200, 400, 800, then capped at 1000 (slept as 500 + 500) twice.
    expect(sleeps).toEqual([100, 200, 400, 500, 300, 500, 500, 500, 500]);
    expect(repository.stored.size).toBe(1);
  });

  it('when the consumer stops during an outage, then nothing is resolved or committed and the batch is abandoned', async () => {
    const { repository, consumer } = setUp();
    repository.failNextWrites(1_000);
    const batch = aBatch([anEventMessage(), anEventMessage()]);
    const sleep = jest.fn();
    let slept = 0;
    (consumer as unknown as { sleep: (ms: number) => Promise<void> }).sleep = async () => {
      sleep();
      if (++slept === 5) batch.stop();
    };

    await consumer.handleBatch(batch.payload);

    expect(batch.calls.filter((c) => c !== 'heartbeat')).toEqual([]);
    expect(repository.stored.size).toBe(0);
    expect(sleep).toHaveBeenCalledTimes(5);
  });

  it('when the partition goes stale (rebalance) between chunks, then the rest of the batch is left unresolved', async () => {
    const { repository, consumer } = setUp(1);
    const messages = [anEventMessage(), anEventMessage(), anEventMessage()];
    const { payload, calls } = aBatch(messages, { staleAfterHeartbeats: 1 });

    await consumer.handleBatch(payload);

    expect(repository.stored.size).toBe(1);
    expect(calls).toEqual([`resolve ${messages[0]!.offset}`, 'commit', 'heartbeat']);
  });

  it('when the store refuses one document of a chunk, then it is dead-lettered and the partition moves on', async () => {
    const { repository, deadLetters, consumer } = setUp();
    repository.refuse((event) => event.metadata['poison'] === true, 'whole-write');
    const poison = anEventMessage(anActivity({ metadata: { poison: true } }));
    const messages = [anEventMessage(), poison, anEventMessage()];
    const { payload, calls } = aBatch(messages);

    await consumer.handleBatch(payload);

    expect(repository.stored.size).toBe(2);
    expect(deadLetters.sent).toEqual([
      expect.objectContaining({
        reason: 'store-rejected',
        value: poison.value,
        source: expect.objectContaining({ offset: poison.offset }),
      }),
    ]);
    expect(calls).toEqual([`resolve ${messages[2]!.offset}`, 'commit', 'heartbeat']);
    expect(consumer.stats).toMatchObject({ deadLettered: 1, retries: 0 });
    expect(consumer.chunksInHand()).toEqual([]);
  });

  it('when a chunk is in hand longer than stallAfterMs, then its partition is reported stalled until the chunk is stored', async () => {
    let clock = 0;
    const { repository, consumer } = setUp(100, { now: () => clock });
    repository.failNextWrites(3);
    const seen: Array<{ partition: number; stalled: boolean; attempts: number }> = [];
    (consumer as unknown as { sleep: (ms: number) => Promise<void> }).sleep = async (ms) => {
      clock += ms * 20;
      const [chunk] = consumer.chunksInHand();
      if (chunk) seen.push({ partition: chunk.partition, stalled: chunk.stalled, attempts: chunk.attempts });
    };

    await consumer.handleBatch(aBatch([anEventMessage()]).payload);

    // Backoff 100, 200, 400 ms, each slept as 20x on this clock: 2 s, 6 s, then 14 s in hand.
    expect(seen).toEqual([
      { partition: 3, stalled: false, attempts: 1 },
      { partition: 3, stalled: false, attempts: 2 },
      { partition: 3, stalled: true, attempts: 3 },
    ]);
    expect(consumer.stalledPartitions()).toEqual([]);
  });

  it('when recording fails with a non-retriable error, then it is thrown and nothing is resolved', async () => {
    const { consumer } = setUp();
    (consumer as unknown as { deps: { recordActivities: unknown } }).deps.recordActivities = {
      execute: async () => {
        throw new TypeError('bug');
      },
    };
    const { payload, calls } = aBatch([anEventMessage()]);

    await expect(consumer.handleBatch(payload)).rejects.toThrow('bug');
    expect(calls).toEqual([]);
  });
});

describe('ActivityConsumer lifecycle', () => {
  /** A kafkajs consumer stand-in that records the run options and lets the test emit its events. */
  function aFakeKafkaConsumer() {
    const listeners = new Map<string, (event: { payload: unknown }) => void>();
    const runOptions: Array<Record<string, unknown>> = [];
    const consumer = {
      events: { GROUP_JOIN: 'group-join', STOP: 'stop', CRASH: 'crash' },
      on: (name: string, listener: (event: { payload: unknown }) => void) => void listeners.set(name, listener),
      connect: async () => undefined,
      subscribe: async () => undefined,
      run: async (options: Record<string, unknown>) => void runOptions.push(options),
      disconnect: async () => undefined,
    };
    const emit = (name: string, payload: unknown) => listeners.get(name)?.({ payload });
    return { consumer: consumer as unknown as Consumer, emit, runOptions };
  }

  function started(onFatal: (error: Error) => void = () => undefined, metrics?: WorkerMetrics) {
    const fake = aFakeKafkaConsumer();
    const activityConsumer = new ActivityConsumer(
      { topic: 't', writeChunkSize: 10, retryInitialMs: 1, retryMaxMs: 1, stallAfterMs: 1_000 },
      {
        consumer: fake.consumer,
        recordActivities: { execute: jest.fn() },
        types,
        logger,
        onFatal,
        ...(metrics ? { metrics } : {}),
      },
    );
    return { ...fake, activityConsumer, ready: activityConsumer.start() };
  }

  it('when it runs, then offsets are resolved by hand and commits happen whenever asked', async () => {
    const { runOptions, ready } = started();
    await ready;
    expect(runOptions[0]).toMatchObject({ eachBatchAutoResolve: false, autoCommitThreshold: 1 });
  });

  it('when the group is joined, then it reports so until the consumer stops', async () => {
    const { activityConsumer, emit, ready } = started();
    await ready;
    expect(activityConsumer.hasJoinedGroup()).toBe(false);
    emit('group-join', { memberId: 'm1', memberAssignment: { t: [0] } });
    expect(activityConsumer.hasJoinedGroup()).toBe(true);
    emit('stop', {});
    expect(activityConsumer.hasJoinedGroup()).toBe(false);
  });

  it('when the member joins its group again and again, then every join after the first counts as a rejoin', async () => {
    const metrics = createWorkerMetrics(new Registry());
    const { emit, ready } = started(undefined, metrics);
    await ready;
    for (let i = 0; i < 3; i++)
      emit('group-join', { groupId: 'activity-worker', memberId: `m${i}`, memberAssignment: {} });

    expect(await metrics.registry.getSingleMetricAsString('uap_worker_group_rejoins_total')).toContain(
      'uap_worker_group_rejoins_total{group="activity-worker"} 2',
    );
  });

  it('when kafkajs crashes and will restart, then the process is left alone', async () => {
    const onFatal = jest.fn();
    const { emit, ready } = started(onFatal);
    await ready;
    emit('crash', { error: new Error('broker away'), restart: true, groupId: 'g' });
    expect(onFatal).not.toHaveBeenCalled();
  });

  it('when kafkajs crashes and will not restart, then onFatal is called and readiness drops', async () => {
    const onFatal = jest.fn();
    const { activityConsumer, emit, ready } = started(onFatal);
    await ready;
    emit('group-join', { memberId: 'm1', memberAssignment: {} });
    const error = new Error('not retriable');
    emit('crash', { error, restart: false, groupId: 'g' });
    expect(onFatal).toHaveBeenCalledWith(error);
    expect(activityConsumer.hasJoinedGroup()).toBe(false);
  });
});

describe('ActivityConsumer metrics', () => {
  async function sample(metrics: WorkerMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
    const base = name.replace(/_(count|sum|bucket)$/, '');
    const { values } = await metrics.registry.getSingleMetric(base)!.get();
    return values
      .filter((v) => ((v as { metricName?: string }).metricName ?? base) === name)
      .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
      .reduce((sum, v) => sum + v.value, 0);
  }

  it('when chunks are stored, deduplicated and dead-lettered, then the counters and histograms follow', async () => {
    const metrics = createWorkerMetrics(new Registry());
    let clock = 1_000_000;
    const { consumer } = setUp(2, { metrics, now: () => (clock += 250) });
    const receivedAt = new Date(clock - 4_000).toISOString();
    const first = anActivity({ receivedAt });

    await consumer.handleBatch(aBatch([anEventMessage(first), anEventMessage(anActivity({ receivedAt }))]).payload);
    await consumer.handleBatch(aBatch([anEventMessage(first), aMessage('{bad'), aMessage(null)]).payload);

    expect(await sample(metrics, 'uap_worker_events_persisted_total')).toBe(2);
    expect(await sample(metrics, 'uap_worker_events_duplicate_total')).toBe(1);
    expect(await sample(metrics, 'uap_worker_events_dead_lettered_total', { reason: 'invalid-json' })).toBe(2);
    // Chunks of 2: [a, b], then [a-again, bad], then [null].
    expect(await sample(metrics, 'uap_worker_batch_size_count')).toBe(3);
    expect(await sample(metrics, 'uap_worker_batch_size_sum')).toBe(5);
    expect(await sample(metrics, 'uap_worker_batch_duration_seconds_count')).toBe(3);
    // Only the first chunk had no duplicate: its two events were stored 4.5 s after they were received.
    expect(await sample(metrics, 'uap_worker_end_to_end_lag_seconds_count')).toBe(2);
    expect(await sample(metrics, 'uap_worker_end_to_end_lag_seconds_sum')).toBeCloseTo(2 * 4.5);
  });

  it('when unplanned and flagged events are stored, then each counts once per kind; planned ones do not', async () => {
    const metrics = createWorkerMetrics(new Registry());
    const { consumer } = setUp(10, { metrics });
    const violations = [{ pointer: '/metadata/query', message: 'must be string' }];
    const events = [
      anActivity({ type: 'VIDEO_PLAY', planned: false }),
      anActivity({ type: 'VIDEO_PLAY', planned: false }),
      anActivity({ type: 'SEARCH', typeVersion: 1, violations }),
      anActivity({ typeVersion: 1 }),
    ];

    await consumer.handleBatch(aBatch(events.map((event) => anEventMessage(event))).payload);

    expect(await sample(metrics, 'uap_worker_events_flagged_total', { kind: 'unplanned' })).toBe(2);
    expect(await sample(metrics, 'uap_worker_events_flagged_total', { kind: 'metadata' })).toBe(1);
    expect(await sample(metrics, 'uap_worker_events_flagged_total')).toBe(3);
  });

  it('when messages are dead-lettered, then each counts under the source its source-id header names: none without one, other when malformed', async () => {
    const metrics = createWorkerMetrics(new Registry());
    const { consumer } = setUp(10, { metrics });
    const withSource = (value: string) => ({ [HEADERS.sourceId]: Buffer.from(value) });

    await consumer.handleBatch(
      aBatch([
        aMessage('{bad', withSource('web')),
        aMessage('{bad', withSource('web')),
        aMessage('{bad', withSource('Not A Source')),
        aMessage('{bad'),
        anEventMessage(anActivity({ sourceId: 'web' })),
      ]).payload,
    );

    expect(await sample(metrics, 'uap_source_dead_letters_total', { source: 'web' })).toBe(2);
    expect(await sample(metrics, 'uap_source_dead_letters_total', { source: 'other' })).toBe(1);
    expect(await sample(metrics, 'uap_source_dead_letters_total', { source: 'none' })).toBe(1);
  });

  it('when the store is down and comes back, then the chunk duration includes the wait', async () => {
    const metrics = createWorkerMetrics(new Registry());
    let clock = 0;
    const { consumer, repository } = setUp(10, { metrics, now: () => clock });
    repository.failNextWrites(1);
    const original = repository.insertNew.bind(repository);
    jest.spyOn(repository, 'insertNew').mockImplementation(async (events, at) => {
      clock += 3_000;
      return original(events, at);
    });

    await consumer.handleBatch(aBatch([anEventMessage()]).payload);

    expect(await sample(metrics, 'uap_worker_batch_duration_seconds_sum')).toBe(6);
    expect(await sample(metrics, 'uap_worker_events_persisted_total')).toBe(1);
  });
});

describe('a slow chunk, with rebalances in between', () => {
  const STALL_AFTER_MS = 60_000;
  const CHUNK_MS = 30_000;

  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  /** The broker's side: partition 2's committed offset and end, and whether the group is rebalancing. */
  function aGroup() {
    const group = { committed: 480, end: 1_000, rebalancing: false };
    const readOffsets = async () => [
      { topic: 'user-activities', partition: 2, committedOffset: group.committed, lag: group.end - group.committed },
    ];
    return { group, readOffsets };
  }

  /** One member of the group taking partition 2's batch, with a store that takes CHUNK_MS to write it. */
  function aMember(group: { committed: number; rebalancing: boolean }) {
    const messages = Array.from({ length: 3 }, (_, i) => ({ ...anEventMessage(), offset: String(480 + i) }));
    const state = { heartbeats: 0, resolved: '' };
    const consumer = new ActivityConsumer(
      { topic: 'user-activities', writeChunkSize: 500, retryInitialMs: 100, retryMaxMs: 1_000, stallAfterMs: 60_000 },
      {
        consumer: {} as Consumer,
        recordActivities: {
          execute: () =>
            new Promise((resolve) =>
              setTimeout(() => resolve({ inserted: 0, duplicates: 3, erased: 0, deadLetters: [] }), CHUNK_MS),
            ),
        },
        types,
        logger,
        onFatal: () => undefined,
      },
    );
    const payload = {
      batch: { topic: 'user-activities', partition: 2, messages } as unknown as Batch,
      resolveOffset: (offset: string) => void (state.resolved = offset),
      commitOffsetsIfNecessary: async () => {
        if (state.resolved) group.committed = Number(state.resolved) + 1;
      },
      heartbeat: async () => {
        state.heartbeats++;
        if (group.rebalancing) throw Object.assign(new Error('rebalancing'), { type: 'REBALANCE_IN_PROGRESS' });
      },
      isRunning: () => true,
      isStale: () => false,
    };
    return {
      consumer,
      state,
      handled: consumer.handleBatch(payload).then(
        () => 'committed',
        () => 'given up',
      ),
    };
  }

  it('when every attempt is cut by a rebalance, then the group-wide detector reports the stall that chunk ages hide, and clears once a chunk commits', async () => {
    const { group, readOffsets } = aGroup();
    const monitor = new PartitionStallMonitor(
      { topic: 'user-activities', stallAfterMs: STALL_AFTER_MS },
      { readOffsets, logger },
    );
    monitor.start();

    // Two owners in turn: each is cut by a rebalance 10 s into its chunk, finishes the write, and gives it up.
    let member = aMember(group);
    for (let turn = 0; turn < 2; turn++) {
      await jest.advanceTimersByTimeAsync(10_000);
      group.rebalancing = true;
      await jest.advanceTimersByTimeAsync(2_000);
      group.rebalancing = false;
      await jest.advanceTimersByTimeAsync(CHUNK_MS - 12_000);
      await expect(member.handled).resolves.toBe('given up');
      expect(group.committed).toBe(480);
      if (turn === 0) member = aMember(group);
    }
    expect(monitor.stalled()).toEqual([]);

    // The third owner's chunk is only 5 s in hand, so its own age says all is well; the committed offset says not.
    const third = aMember(group);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(third.consumer.chunksInHand().map((c) => c.stalled)).toEqual([false]);
    expect(monitor.stalled()).toMatchObject([
      { topic: 'user-activities', partition: 2, committedOffset: 480, lag: 520, since: 0 },
    ]);

    // No rebalance this time: it heartbeats throughout, commits, and the stall clears.
    await jest.advanceTimersByTimeAsync(CHUNK_MS);
    await expect(third.handled).resolves.toBe('committed');
    expect(third.state.heartbeats).toBeGreaterThanOrEqual(CHUNK_MS / 1_000 - 1);
    expect(group.committed).toBe(483);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(monitor.stalled()).toEqual([]);
    await monitor.stop();
  });
});
