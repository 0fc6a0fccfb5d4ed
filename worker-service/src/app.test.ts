import request from 'supertest';
import { Registry } from 'prom-client';
import { createApp, type AppDeps } from './app';
import { createWorkerMetrics } from './infrastructure/metrics/worker.metrics';

function appWith(overrides: Partial<AppDeps> = {}) {
  return createApp({
    hasJoinedGroup: () => true,
    pingStore: async () => undefined,
    stats: () => ({ inserted: 3 }),
    stalledPartitions: () => [],
    chunksInHand: () => [],
    ...overrides,
  });
}

describe('worker health endpoints', () => {
  it('when the process runs, then /healthz answers 200', async () => {
    await request(appWith({ hasJoinedGroup: () => false }))
      .get('/healthz')
      .expect(200, { status: 'ok' });
  });

  it('when the group is joined and the store answers, then /readyz is 200 with the counters', async () => {
    const res = await request(appWith()).get('/readyz').expect(200);
    expect(res.body).toEqual({
      status: 'ready',
      consumer: 'joined',
      store: 'ok',
      stalled: [],
      inHand: [],
      stats: { inserted: 3 },
    });
  });

  it('when a partition’s committed offset is stalled, then /readyz is 503 and names it beside this process’s chunks', async () => {
    const stuck = { topic: 'acts', partition: 4, committedOffset: 120, lag: 520, since: 1_000, stalledForMs: 61_000 };
    const chunk = { topic: 'acts', partition: 4, firstOffset: '120', since: 50_000, attempts: 1, stalled: false };
    const res = await request(appWith({ stalledPartitions: () => [stuck], chunksInHand: () => [chunk] }))
      .get('/readyz')
      .expect(503);
    expect(res.body).toMatchObject({
      status: 'not-ready',
      consumer: 'joined',
      store: 'ok',
      stalled: [stuck],
      inHand: [chunk],
    });
  });

  it('when the consumer has not joined its group, then /readyz is 503', async () => {
    const res = await request(appWith({ hasJoinedGroup: () => false }))
      .get('/readyz')
      .expect(503);
    expect(res.body).toMatchObject({ status: 'not-ready', consumer: 'not-joined', store: 'ok' });
  });

  it('when the store ping fails or hangs, then /readyz is 503 and says why', async () => {
    const failing = await request(appWith({ pingStore: async () => Promise.reject(new Error('refused')) })).get(
      '/readyz',
    );
    const hanging = await request(
      createApp({
        hasJoinedGroup: () => true,
        pingStore: () => new Promise(() => undefined),
        stats: () => ({}),
        stalledPartitions: () => [],
        chunksInHand: () => [],
        pingTimeoutMs: 50,
      }),
    ).get('/readyz');
    expect([failing.status, hanging.status]).toEqual([503, 503]);
    expect(failing.body.store).toBe('unavailable: refused');
    expect(hanging.body.store).toMatch(/no answer within 50 ms/);
  });

  it('when an unknown path is asked for, then a problem+json 404 comes back', async () => {
    const res = await request(appWith()).get('/nope').expect(404);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, instance: '/nope' });
  });

  it('when /metrics is scraped, then the worker series and the group lag read from the broker are exposed', async () => {
    const metrics = createWorkerMetrics(new Registry(), {
      consumerLag: async () => [{ topic: 'acts', partition: 2, committedOffset: 83, lag: 17 }],
    });
    metrics.eventsPersisted.inc(5);

    const res = await request(appWith({ metrics })).get('/metrics').expect(200);

    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.text).toContain('uap_worker_events_persisted_total 5');
    expect(res.text).toContain('uap_worker_consumer_lag{topic="acts",partition="2"} 17');
    for (const name of [
      'uap_worker_events_duplicate_total',
      'uap_worker_events_dead_lettered_total',
      'uap_worker_batch_size',
      'uap_worker_batch_duration_seconds',
      'uap_worker_end_to_end_lag_seconds',
    ]) {
      expect(res.text).toContain(`# TYPE ${name} `);
    }
  });

  it('when the lag cannot be read, then the scrape still succeeds without the lag series', async () => {
    const metrics = createWorkerMetrics(new Registry(), {
      consumerLag: async () => Promise.reject(new Error('broker away')),
    });

    const res = await request(appWith({ metrics })).get('/metrics').expect(200);

    expect(res.text).toContain('uap_worker_events_persisted_total 0');
    expect(res.text).not.toMatch(/uap_worker_consumer_lag\{/);
  });

  it('when partitions have chunks in hand and the group has a stalled one, then chunk ages and the stall count are exposed', async () => {
    const metrics = createWorkerMetrics(new Registry(), {
      now: () => 100_000,
      chunksInHand: () => [
        { topic: 'acts', partition: 1, since: 99_500 },
        { topic: 'acts', partition: 4, since: 10_000 },
      ],
      stalledPartitions: () => [{ topic: 'acts', partition: 4 }],
    });

    const res = await request(appWith({ metrics })).get('/metrics').expect(200);

    expect(res.text).toContain('uap_worker_chunk_in_hand_seconds{topic="acts",partition="1"} 0.5');
    expect(res.text).toContain('uap_worker_chunk_in_hand_seconds{topic="acts",partition="4"} 90');
    expect(res.text).toContain('uap_worker_partitions_stalled 1');
  });

  it('when a consumer rejoins its group, then the rejoin is counted per group', async () => {
    const metrics = createWorkerMetrics(new Registry());
    metrics.groupRejoins.inc({ group: 'activity-worker' });

    const res = await request(appWith({ metrics })).get('/metrics').expect(200);

    expect(res.text).toContain('uap_worker_group_rejoins_total{group="activity-worker"} 1');
  });
});
