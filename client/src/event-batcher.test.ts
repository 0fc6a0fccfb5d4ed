import { anActivityInput } from '@uap/shared/testing';
import { EventBatcher, type BatcherOptions, type DropReason } from './event-batcher';
import { HttpTransport } from './http-transport';
import { DEFAULT_RETRY, retryDelayMs } from './retry-policy';
import { FakeIngestApi } from './testing/fake-api';
import { FakeClock, settle } from './testing/fake-clock';
import type { TrackEvent } from './types';

const PROBLEM_400 = {
  type: 'urn:uap:problem:validation-failed',
  title: 'Validation failed',
  status: 400,
  detail: 'The request does not match the schema',
  instance: '/api/v1/activities/batch',
  errors: [{ path: 'events.0.type', message: 'Invalid option' }],
};

function setup(options: BatcherOptions = {}) {
  const api = new FakeIngestApi();
  const clock = new FakeClock();
  const drops: { events: TrackEvent[]; reason: DropReason }[] = [];
  const errors: { status: number; problem: unknown; events: TrackEvent[] }[] = [];
  let ids = 0;
  const batcher = new EventBatcher(
    new HttpTransport({ baseUrl: 'http://api.test/', apiKey: 'key-1', fetch: api.fetch }),
    {
      clock,
      random: () => 0.5,
      gzip: false,
      newId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
      onDrop: (events, reason) => drops.push({ events, reason }),
      onError: (rejection) => errors.push(rejection),
      ...options,
    },
  );
  return { api, clock, batcher, drops, errors };
}

const events = (n: number, overrides: Partial<TrackEvent> = {}) =>
  Array.from({ length: n }, (_, i) => anActivityInput({ userId: `u-${i}`, ...overrides }));

describe('EventBatcher batching', () => {
  it('when flushAt events are tracked, then exactly one batch goes out with them, and not before', async () => {
    const { api, batcher } = setup({ flushAt: 5, flushIntervalMs: 60_000 });
    for (const event of events(4)) batcher.track(event);
    await settle();
    expect(api.requests).toHaveLength(0);

    batcher.track(anActivityInput({ userId: 'fifth' }));
    await settle();
    expect(api.batches.map((b) => b.length)).toEqual([5]);
    expect(api.requests[0]!.url).toBe('http://api.test/api/v1/activities/batch');
    expect(api.requests[0]!.headers['authorization']).toBe('Bearer key-1');
  });

  it('when fewer than flushAt events wait, then they go out flushIntervalMs after the first, not a ms earlier', async () => {
    const { api, clock, batcher } = setup({ flushAt: 100, flushIntervalMs: 2_000 });
    batcher.track(anActivityInput());
    await clock.advance(500);
    batcher.track(anActivityInput());
    await clock.advance(1_499);
    expect(api.requests).toHaveLength(0);

    await clock.advance(1);
    expect(api.batches.map((b) => b.length)).toEqual([2]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('when an event has no eventId or occurredAt, then the client sets them; given ones are kept', async () => {
    const { api, batcher } = setup({ flushAt: 2 });
    const bare = anActivityInput();
    delete bare.eventId;
    delete bare.occurredAt;
    const returned = batcher.track(bare);
    const given = anActivityInput();
    batcher.track(given);
    await settle();

    const [first, second] = api.batches[0]!;
    expect(returned).toBe('00000000-0000-4000-8000-000000000001');
    expect(first).toMatchObject({ eventId: returned, occurredAt: '2026-01-01T10:00:00.000Z' });
    expect(second).toEqual(given);
  });

  it('when more than maxBatchEvents or maxBatchBytes are queued, then they are split into batches under both', async () => {
    const { api, batcher } = setup({ flushAt: 1_000, maxBatchEvents: 4, maxBatchBytes: 1_000 });
    for (const event of events(10)) batcher.track(event);
    await batcher.flush();

    expect(api.batches.flat()).toHaveLength(10);
    for (const request of api.requests) {
      expect(request.events.length).toBeLessThanOrEqual(4);
      expect(Buffer.byteLength(request.rawBody)).toBeLessThanOrEqual(1_000);
    }
    expect(api.requests.length).toBeGreaterThanOrEqual(3);
  });

  it('when flush() is called, then it resolves after every queued event was sent and acknowledged', async () => {
    const { api, batcher } = setup({ flushAt: 100, flushIntervalMs: 60_000 });
    for (const event of events(7)) batcher.track(event);
    await batcher.flush();

    expect(api.batches.flat()).toHaveLength(7);
    expect(batcher.stats()).toMatchObject({ tracked: 7, accepted: 7, queued: 0, dropped: 0 });
  });

  it('when shutdown() drains, then later events are dropped as closed and counted', async () => {
    const { api, batcher, drops } = setup({ flushAt: 100 });
    for (const event of events(3)) batcher.track(event);
    await batcher.shutdown();
    expect(api.batches.flat()).toHaveLength(3);

    expect(batcher.track(anActivityInput())).toBeUndefined();
    expect(drops.map((d) => [d.reason, d.events.length])).toEqual([['closed', 1]]);
    expect(batcher.stats()).toMatchObject({ accepted: 3, dropped: 1, droppedBy: { closed: 1 } });
  });

  it('when the API stays down past the shutdown timeout, then what is still queued is dropped as shutdown', async () => {
    const { api, clock, batcher, drops } = setup({ flushAt: 2, maxBatchEvents: 2 });
    api.answer(...Array.from({ length: 50 }, () => 'network' as const));
    for (const event of events(6)) batcher.track(event);
    const done = batcher.shutdown(3_000);
    await clock.advance(3_000);
    await done;

    // The 4 still waiting are dropped at once; the batch of 2 waiting to retry gives up instead of retrying.
    await settle();
    expect(drops.map((d) => [d.reason, d.events.length])).toEqual([
      ['shutdown', 4],
      ['shutdown', 2],
    ]);
    expect(batcher.stats()).toMatchObject({ queued: 0, inFlightBatches: 0, droppedBy: { shutdown: 6 } });
    const attemptsAtShutdown = api.requests.length;
    await clock.advance(60_000);
    expect(api.requests).toHaveLength(attemptsAtShutdown);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('EventBatcher retries', () => {
  it('when the API answers 503 with Retry-After, then the same body (same eventIds) is resent after it, plus jitter under one base delay', async () => {
    const { api, clock, batcher } = setup({ flushAt: 3 });
    api.answer({ status: 503, headers: { 'retry-after': '5' }, body: { status: 503 } });
    for (const event of events(3)) batcher.track(event);
    await settle();
    expect(api.requests).toHaveLength(1);

    // random() = 0.5 → 125 ms of jitter on top of the 5 s.
    await clock.advance(5_124);
    expect(api.requests).toHaveLength(1);
    await clock.advance(1);
    expect(api.requests).toHaveLength(2);
    expect(api.requests[1]!.rawBody).toBe(api.requests[0]!.rawBody);
    expect(api.batches[1]!.map((e) => e.eventId)).toEqual(api.batches[0]!.map((e) => e.eventId));
    expect(batcher.stats()).toMatchObject({ accepted: 3, attempts: 2, retries: 1, rejected: 0 });
  });

  it.each([408, 429, 500, 502, 503, 504])('when the API answers %s, then the batch is retried', async (status) => {
    const { api, clock, batcher } = setup({ flushAt: 1 });
    api.answer({ status });
    batcher.track(anActivityInput());
    await clock.advance(DEFAULT_RETRY.baseDelayMs);

    expect(api.requests).toHaveLength(2);
    expect(batcher.stats().accepted).toBe(1);
  });

  it('when there is no answer at all, then it is retried with full jitter under a doubling ceiling', async () => {
    const { api, clock, batcher } = setup({ flushAt: 1, random: () => 0.999, retry: { baseDelayMs: 100 } });
    api.answer('network', 'network', 'network');
    batcher.track(anActivityInput());
    await clock.advance(10_000);

    expect(api.requests).toHaveLength(4);
    // The flush timer's delay first, then the three backoffs: just under 100, 200, 400.
    expect(clock.delays.slice(1)).toEqual([99, 199, 399]);
  });

  it('when the API answers 400 with a problem, then it is not retried, and onError gets the problem and the events', async () => {
    const { api, clock, batcher, errors, drops } = setup({ flushAt: 2 });
    api.answer({ status: 400, body: PROBLEM_400 });
    const sent = events(2);
    for (const event of sent) batcher.track(event);
    await clock.advance(60_000);

    expect(api.requests).toHaveLength(1);
    expect(errors).toEqual([{ status: 400, problem: PROBLEM_400, events: sent }]);
    expect(drops).toEqual([]);
    expect(batcher.stats()).toMatchObject({ rejected: 2, accepted: 0, dropped: 0, retries: 0 });
  });

  it('when maxAttempts are used up, then the batch is dropped as retries_exhausted and counted', async () => {
    const { api, clock, batcher, drops } = setup({ flushAt: 1, retry: { maxAttempts: 3 } });
    api.answer({ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 });
    batcher.track(anActivityInput());
    await clock.advance(60_000);

    expect(api.requests).toHaveLength(3);
    expect(drops.map((d) => d.reason)).toEqual(['retries_exhausted']);
    expect(batcher.stats()).toMatchObject({ dropped: 1, accepted: 0, attempts: 3 });
  });

  it('when every attempt is reported to onAttempt, then the last acceptance is reported too', async () => {
    const attempts: unknown[] = [];
    const { api, clock, batcher } = setup({ flushAt: 1, onAttempt: (a) => attempts.push(a.outcome) });
    api.answer({ status: 503, headers: { 'retry-after': '1' } }, 'network');
    batcher.track(anActivityInput());
    await clock.advance(10_000);

    expect(attempts).toEqual([503, 'network', 202]);
  });
});

describe('EventBatcher callbacks', () => {
  it('when an app callback throws, then delivery goes on and the events are still counted', async () => {
    const boom = () => {
      throw new Error('app bug');
    };
    const { api, batcher } = setup({ flushAt: 1, onAttempt: boom, onAccepted: boom });
    batcher.track(anActivityInput());
    batcher.track(anActivityInput());
    await batcher.flush();

    expect(api.requests).toHaveLength(2);
    expect(batcher.stats()).toMatchObject({ accepted: 2, queued: 0 });
  });
});

describe('EventBatcher 413', () => {
  it('when a batch of several events is refused as too large, then it is halved and each half sent with the same ids', async () => {
    const { api, batcher, errors } = setup({ flushAt: 4 });
    api.answer({ status: 413, body: { status: 413 } });
    const sent = events(4);
    for (const event of sent) batcher.track(event);
    await batcher.flush();

    expect(api.batches.map((b) => b.length)).toEqual([4, 2, 2]);
    expect(api.batches.slice(1).flat()).toEqual(sent);
    expect(errors).toEqual([]);
    expect(batcher.stats()).toMatchObject({ accepted: 4, rejected: 0 });
  });

  it('when a single event is refused as too large, then it is rejected through onError', async () => {
    const { api, batcher, errors } = setup({ flushAt: 2 });
    api.answer({ status: 413 }, { status: 413, body: { status: 413, detail: 'too big' } });
    for (const event of events(2)) batcher.track(event);
    await batcher.flush();

    expect(api.batches.map((b) => b.length)).toEqual([2, 1, 1]);
    expect(errors.map((e) => [e.status, e.events.length])).toEqual([[413, 1]]);
    expect(batcher.stats()).toMatchObject({ accepted: 1, rejected: 1 });
  });

  it('when events hold multi-byte text, then batches stay under maxBatchBytes counted in UTF-8 bytes', async () => {
    const { api, batcher } = setup({ flushAt: 1_000, maxBatchBytes: 2_000 });
    for (const event of events(10, { metadata: { note: 'ü€😀'.repeat(40) } })) batcher.track(event);
    await batcher.flush();

    expect(api.batches.flat()).toHaveLength(10);
    for (const request of api.requests) expect(Buffer.byteLength(request.rawBody)).toBeLessThanOrEqual(2_000);
  });
});

describe('EventBatcher bounded queue', () => {
  it('when the queue is full, then the newest event is dropped with queue_full, counted, and the queued ones keep their place', async () => {
    const { api, clock, batcher, drops } = setup({ flushAt: 1, maxQueueSize: 3 });
    api.answer('network', 'network');
    const kept = events(3).map((e) => batcher.track(e));
    const overflow = anActivityInput({ userId: 'overflow' });
    expect(batcher.track(overflow)).toBeUndefined();

    expect(drops).toEqual([{ events: [expect.objectContaining({ userId: 'overflow' })], reason: 'queue_full' }]);
    expect(batcher.stats()).toMatchObject({ dropped: 1, droppedBy: { queue_full: 1 }, queued: 3, tracked: 3 });

    await clock.advance(60_000);
    expect(api.batches.flat().map((e) => e.eventId)).toEqual(expect.arrayContaining(kept));
    expect(batcher.stats()).toMatchObject({ accepted: 3, queued: 0 });
  });
});

describe('EventBatcher gzip', () => {
  it('when the batch is at least the gzip threshold, then it goes gzip-encoded and inflates to the same events', async () => {
    const { api, batcher } = setup({ flushAt: 20, gzip: 1024 });
    const sent = events(20, { metadata: { note: 'x'.repeat(100) } });
    for (const event of sent) batcher.track(event);
    await batcher.flush();

    expect(api.requests[0]!.headers['content-encoding']).toBe('gzip');
    expect(api.batches[0]).toEqual(sent);
  });

  it('when the batch is smaller than the threshold, then it goes plain', async () => {
    const { api, batcher } = setup({ flushAt: 1, gzip: 1024 });
    batcher.track(anActivityInput());
    await batcher.flush();

    expect(api.requests[0]!.headers['content-encoding']).toBeUndefined();
  });
});

describe('retryDelayMs', () => {
  it('when drawn at the extremes of random(), then the delay stays in [0, min(max, base·2^(n-1)))', () => {
    const options = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1_000 };
    for (const attempt of [1, 2, 3, 4, 5, 10, 60]) {
      const ceiling = Math.min(1_000, 100 * 2 ** (attempt - 1));
      expect(retryDelayMs(attempt, undefined, options, () => 0)).toBe(0);
      expect(retryDelayMs(attempt, undefined, options, () => 0.999999)).toBeLessThan(ceiling);
      expect(retryDelayMs(attempt, undefined, options, () => 0.999999)).toBeGreaterThanOrEqual(ceiling - 1);
    }
  });

  it('when Retry-After exceeds maxRetryAfterMs, then it is capped', () => {
    const options = { ...DEFAULT_RETRY, maxRetryAfterMs: 10_000, baseDelayMs: 100 };
    expect(retryDelayMs(1, 3_600_000, options, () => 0)).toBe(10_000);
  });
});
