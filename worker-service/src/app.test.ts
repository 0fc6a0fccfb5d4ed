import request from 'supertest';
import { createApp, type AppDeps } from './app';

function appWith(overrides: Partial<AppDeps> = {}) {
  return createApp({
    hasJoinedGroup: () => true,
    pingStore: async () => undefined,
    stats: () => ({ inserted: 3 }),
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
    expect(res.body).toEqual({ status: 'ready', consumer: 'joined', store: 'ok', stats: { inserted: 3 } });
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
});
