import request from 'supertest';
import { InMemoryActivityPublisher } from '../../../testing/in-memory-activity.publisher';
import { testApp } from '../../../testing/test-app';
import type { ReadinessCheck } from './health.router';

const check = (name: string, result: boolean | Error): ReadinessCheck => ({
  name,
  check: async () => {
    if (result instanceof Error) throw result;
    return result;
  },
});

describe('probes', () => {
  it('when the process runs, then /healthz is 200 even if dependencies are down', async () => {
    const app = testApp({ publisher: new InMemoryActivityPublisher(), readiness: [check('kafka', false)] });
    const res = await request(app).get('/healthz');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('when every dependency is up, then /readyz is 200 and lists them', async () => {
    const app = testApp({
      publisher: new InMemoryActivityPublisher(),
      readiness: [check('kafka', true), check('store', true)],
    });
    const res = await request(app).get('/readyz');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', checks: { kafka: 'up', store: 'up' } });
  });

  it.each([
    ['reports false', false],
    ['throws', new Error('boom')],
  ])('when one dependency check %s, then /readyz is 503 and names it', async (_label, result) => {
    const app = testApp({
      publisher: new InMemoryActivityPublisher(),
      readiness: [check('kafka', true), check('store', result)],
    });
    const res = await request(app).get('/readyz');

    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'not-ready', checks: { kafka: 'up', store: 'down' } });
  });

  it('when HEAD /healthz is sent, then it answers like GET without a body', async () => {
    const app = testApp({ publisher: new InMemoryActivityPublisher() });
    const res = await request(app).head('/healthz');

    expect(res.status).toBe(200);
  });
});
