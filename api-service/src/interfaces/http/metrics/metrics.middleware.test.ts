import { randomUUID } from 'node:crypto';
import { anActivityInput } from '@uap/shared/testing';
import pino from 'pino';
import { Registry } from 'prom-client';
import request from 'supertest';
import { createApp } from '../../../app';
import { IngestActivityUseCase } from '../../../application/ingest-activity.use-case';
import { QueryActivitiesUseCase } from '../../../application/query-activities.use-case';
import { DomainError } from '../../../domain/domain-error';
import {
  createApiMetrics,
  eventsBySource,
  timedPublisher,
  type ApiMetrics,
} from '../../../infrastructure/metrics/api.metrics';
import { InMemoryActivityPublisher } from '../../../testing/in-memory-activity.publisher';
import { InMemoryActivityReader } from '../../../testing/in-memory-activity.reader';
import { TEST_APP_CONFIG, TEST_INGEST_CONFIG, TEST_RECEIPTS } from '../../../testing/test-app';

function appWith(metrics: ApiMetrics, publisher = new InMemoryActivityPublisher()) {
  return createApp({
    logger: pino({ level: 'silent' }),
    ingest: new IngestActivityUseCase(TEST_INGEST_CONFIG, {
      publisher: timedPublisher(publisher, metrics),
      receipts: TEST_RECEIPTS,
    }),
    queries: new QueryActivitiesUseCase({ reader: new InMemoryActivityReader() }),
    readiness: [],
    config: TEST_APP_CONFIG,
    metrics,
  });
}

/** Sum of a series' samples matching `labels`; histogram samples by their full name (`..._count`). */
async function valueOf(metrics: ApiMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const base = name.replace(/_(count|sum|bucket)$/, '');
  const metric = metrics.registry.getSingleMetric(base);
  if (!metric) throw new Error(`no metric ${base}`);
  const { values } = await metric.get();
  return values
    .filter((v) => ((v as { metricName?: string }).metricName ?? base) === name)
    .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}

describe('API metrics', () => {
  let metrics: ApiMetrics;
  let publisher: InMemoryActivityPublisher;
  let app: ReturnType<typeof appWith>;

  beforeEach(() => {
    metrics = createApiMetrics(new Registry());
    publisher = new InMemoryActivityPublisher();
    app = appWith(metrics, publisher);
  });

  it('when events are accepted one by one and in a batch, then the accepted counter counts events', async () => {
    await request(app).post('/api/v1/activities').send(anActivityInput()).expect(202);
    await request(app)
      .post('/api/v1/activities/batch')
      .send({ events: [anActivityInput(), anActivityInput(), anActivityInput()] })
      .expect(202);

    expect(await valueOf(metrics, 'uap_events_accepted_total')).toBe(4);
    expect(await valueOf(metrics, 'uap_events_rejected_total')).toBe(0);
    expect(await valueOf(metrics, 'uap_kafka_publish_duration_seconds_count', { outcome: 'ok' })).toBe(2);
  });

  it('when ingest requests are refused, then the rejected counter says why and how many events', async () => {
    const invalid = { ...anActivityInput(), type: 'NOPE' };
    await request(app)
      .post('/api/v1/activities/batch')
      .send({ events: [invalid, invalid] })
      .expect(400);
    await request(app).post('/api/v1/activities').set('content-type', 'application/json').send('{"x":').expect(400);
    await request(app).post('/api/v1/activities').set('content-type', 'text/plain').send('hi').expect(415);
    await request(app)
      .post('/api/v1/activities')
      .send({ ...anActivityInput(), metadata: { pad: 'x'.repeat(70_000) } })
      .expect(413);
    publisher.failWith = new DomainError('SERVICE_UNAVAILABLE', 'broker down', { retriable: true });
    await request(app).post('/api/v1/activities').send(anActivityInput()).expect(503);

    expect(await valueOf(metrics, 'uap_events_rejected_total', { reason: 'validation-failed' })).toBe(2);
    expect(await valueOf(metrics, 'uap_events_rejected_total', { reason: 'malformed-json' })).toBe(1);
    expect(await valueOf(metrics, 'uap_events_rejected_total', { reason: 'unsupported-media-type' })).toBe(1);
    expect(await valueOf(metrics, 'uap_events_rejected_total', { reason: 'payload-too-large' })).toBe(1);
    expect(await valueOf(metrics, 'uap_events_rejected_total', { reason: 'service-unavailable' })).toBe(1);
    expect(await valueOf(metrics, 'uap_events_accepted_total')).toBe(0);
    expect(await valueOf(metrics, 'uap_kafka_publish_duration_seconds_count', { outcome: 'error' })).toBe(1);
  });

  it('when reads and unknown paths are requested, then the duration histogram is labelled by route pattern', async () => {
    const id = randomUUID();
    await request(app).get(`/api/v1/activities/${id}`).expect(404);
    await request(app).get('/api/v1/users/alice/activities').expect(200);
    await request(app).get(`/no/such/${id}`).expect(404);
    await request(app).get('/api/v1/activities').send().expect(200);

    const count = (labels: Record<string, string>) =>
      valueOf(metrics, 'uap_http_request_duration_seconds_count', labels);
    expect(await count({ route: '/api/v1/activities/:eventId', status_code: '404', method: 'GET' })).toBe(1);
    expect(await count({ route: '/api/v1/users/:userId/activities', status_code: '200' })).toBe(1);
    expect(await count({ route: 'unmatched', status_code: '404' })).toBe(1);
    expect(await count({ route: '/api/v1/activities', status_code: '200' })).toBe(1);
    // Reads are not ingest: they move neither event counter.
    expect(await valueOf(metrics, 'uap_events_rejected_total')).toBe(0);
    const exposition = await metrics.registry.metrics();
    expect(exposition).not.toContain(id);
    expect(exposition).not.toContain('alice');
  });

  it('when /metrics is scraped, then it answers in the Prometheus text format with the named series', async () => {
    await request(app).post('/api/v1/activities').send(anActivityInput()).expect(202);
    const res = await request(app).get('/metrics').expect(200);

    expect(res.headers['content-type']).toContain('text/plain');
    for (const name of [
      'uap_http_request_duration_seconds_bucket',
      'uap_events_accepted_total 1',
      'uap_kafka_publish_duration_seconds_bucket',
    ]) {
      expect(res.text).toContain(name);
    }
    expect(res.text).toContain('# TYPE uap_events_rejected_total counter');
  });

  it('when metrics are off, then /metrics is not served nor documented, and requests are still answered', async () => {
    const off = createApp({
      logger: pino({ level: 'silent' }),
      ingest: new IngestActivityUseCase(TEST_INGEST_CONFIG, { publisher, receipts: TEST_RECEIPTS }),
      readiness: [],
      config: TEST_APP_CONFIG,
      metrics: 'off',
    });

    await request(off).post('/api/v1/activities').send(anActivityInput()).expect(202);
    const scrape = await request(off).get('/metrics');
    const doc = (await request(off).get('/openapi.json').expect(200)).body;

    expect(scrape.status).toBe(404);
    expect(scrape.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(doc.paths['/metrics']).toBeUndefined();
    expect(doc.paths['/healthz']).toBeDefined();
  });

  it('when two apps have their own registries, then their counters are independent', async () => {
    const other = createApiMetrics(new Registry());
    await request(appWith(other)).post('/api/v1/activities').send(anActivityInput()).expect(202);

    expect(await valueOf(other, 'uap_events_accepted_total')).toBe(1);
    expect(await valueOf(metrics, 'uap_events_accepted_total')).toBe(0);
  });

  it('when the access catalog is stale or current, then its gauges say so at scrape time, like the type catalog’s', async () => {
    const status = { current: false, position: 0, confirmedAgoMs: undefined as number | undefined };
    const withAccess = createApiMetrics(new Registry(), { access: () => status });

    expect(await valueOf(withAccess, 'uap_access_catalog_current')).toBe(0);
    expect(await valueOf(withAccess, 'uap_access_catalog_confirmed_age_seconds')).toBe(-1);
    Object.assign(status, { current: true, position: 42, confirmedAgoMs: 250 });
    expect(await valueOf(withAccess, 'uap_access_catalog_current')).toBe(1);
    expect(await valueOf(withAccess, 'uap_access_catalog_position')).toBe(42);
    expect(await valueOf(withAccess, 'uap_access_catalog_confirmed_age_seconds')).toBe(0.25);
    expect(metrics.registry.getSingleMetric('uap_access_catalog_current')).toBeUndefined();
  });

  it('when source counts are read, then they are the uap_source_events_total series by source label', async () => {
    metrics.sourceEvents.inc({ source: 'web', outcome: 'accepted' }, 3);
    metrics.sourceEvents.inc({ source: 'web', outcome: 'refused' });
    metrics.sourceEvents.inc({ source: 'ios', outcome: 'refused' }, 2);
    metrics.unsourcedEvents.accepted += 5;

    const counts = await eventsBySource(metrics);

    expect(Object.fromEntries(counts)).toEqual({
      web: { accepted: 3, refused: 1 },
      ios: { accepted: 0, refused: 2 },
      none: { accepted: 5, refused: 0 },
    });
  });
});
