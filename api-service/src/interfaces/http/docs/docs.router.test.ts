import { ActivityTypeCatalog } from '@uap/shared/activity-types';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../../app';
import { IngestActivityUseCase } from '../../../application/ingest-activity.use-case';
import { planType } from '../../../testing/activity-type.fixtures';
import { TEST_APP_CONFIG, TEST_INGEST_CONFIG, TEST_RECEIPTS } from '../../../testing/test-app';
import type { OpenApiDocument } from '../openapi/openapi.document';
import { servedDocument } from './docs.router';

function appFollowing(catalog: ActivityTypeCatalog) {
  const ingest = new IngestActivityUseCase(TEST_INGEST_CONFIG, {
    publisher: { publish: async () => [] },
    receipts: TEST_RECEIPTS,
    types: catalog,
  });
  return createApp({
    logger: pino({ level: 'silent' }),
    ingest,
    readiness: [],
    config: TEST_APP_CONFIG,
  });
}

const mappingOf = (document: OpenApiDocument) =>
  (document.components?.schemas?.['ActivityInput'] as { discriminator: { mapping: Record<string, string> } })
    .discriminator.mapping;

describe('GET /openapi.json', () => {
  it('when it is fetched, then it carries a strong ETag and asks clients to revalidate', async () => {
    const res = await request(appFollowing(new ActivityTypeCatalog())).get('/openapi.json').expect(200);

    expect(res.headers['etag']).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.type).toBe('application/json');
  });

  it('when If-None-Match names the current ETag, then the answer is 304 without a body; another ETag gets 200', async () => {
    const app = appFollowing(new ActivityTypeCatalog());
    const { headers } = await request(app).get('/openapi.json').expect(200);

    const notModified = await request(app).get('/openapi.json').set('If-None-Match', headers['etag']!).expect(304);
    expect(notModified.text).toBeFalsy();
    expect(notModified.headers['etag']).toBe(headers['etag']);
    await request(app).get('/openapi.json').set('If-None-Match', '"stale"').expect(200);
  });

  it('when the registry gained a type, then the next fetch documents it under a new ETag, and the old ETag gets 200', async () => {
    const catalog = new ActivityTypeCatalog();
    const app = appFollowing(catalog);
    const before = await request(app).get('/openapi.json').expect(200);
    expect(mappingOf(before.body as OpenApiDocument)).not.toHaveProperty('VIDEO_PLAY');

    planType(catalog);
    const after = await request(app).get('/openapi.json').set('If-None-Match', before.headers['etag']!).expect(200);

    expect(after.headers['etag']).not.toBe(before.headers['etag']);
    const document = after.body as OpenApiDocument;
    expect(mappingOf(document)['VIDEO_PLAY']).toBe('#/components/schemas/ActivityInput_VIDEO_PLAY');
    expect(document.components?.schemas?.['ActivityMetadata_VIDEO_PLAY']).toMatchObject({ required: ['videoId'] });
    await request(app).get('/openapi.json').set('If-None-Match', after.headers['etag']!).expect(304);
  });

  it('when a type is retired, then the next fetch no longer offers it', async () => {
    const catalog = new ActivityTypeCatalog();
    const app = appFollowing(catalog);
    await request(app).get('/openapi.json').expect(200);

    planType(catalog, { name: 'CLICK', status: 'retired' });
    const res = await request(app).get('/openapi.json').expect(200);

    expect(mappingOf(res.body as OpenApiDocument)).not.toHaveProperty('CLICK');
    expect(res.body.components.schemas).not.toHaveProperty('ActivityInput_CLICK');
  });

  it('when the registry moved without changing the document (a stray record), then the ETag stays', async () => {
    const catalog = new ActivityTypeCatalog();
    const app = appFollowing(catalog);
    const before = await request(app).get('/openapi.json').expect(200);

    catalog.skip(catalog.position);
    await request(app).get('/openapi.json').set('If-None-Match', before.headers['etag']!).expect(304);
  });
});

describe('servedDocument', () => {
  it('when it is asked again at the same revision, then the document is not rebuilt; a new revision rebuilds it', () => {
    let revision = 0;
    let builds = 0;
    const current = servedDocument({
      build: () => ({ openapi: '3.1.0', info: { title: 't', version: String(++builds) } }) as OpenApiDocument,
      revision: () => revision,
    });

    const first = current();
    current();
    current();
    expect(builds).toBe(1);

    revision = 1;
    const second = current();
    current();
    expect(builds).toBe(2);
    expect(second.revision).toBe(1);
    expect(second.etag).not.toBe(first.etag);
  });
});
