import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../../app';
import { IngestActivityUseCase } from '../../../application/ingest-activity.use-case';
import { ManageActivityTypesUseCase } from '../../../application/manage-activity-types.use-case';
import { InMemoryActivityTypeRegistry } from '../../../testing/in-memory-activity-type.registry';
import { TEST_APP_CONFIG, TEST_INGEST_CONFIG, TEST_RECEIPTS } from '../../../testing/test-app';

const PATH = '/api/v1/activity-types';
const SCHEMA = { type: 'object', required: ['videoId'], properties: { videoId: { type: 'string' } } };

function appWith(registry = new InMemoryActivityTypeRegistry()) {
  return createApp({
    logger: pino({ level: 'silent' }),
    ingest: new IngestActivityUseCase(TEST_INGEST_CONFIG, {
      publisher: { publish: async () => [] },
      receipts: TEST_RECEIPTS,
      types: registry.catalog,
    }),
    activityTypes: new ManageActivityTypesUseCase({ registry }),
    readiness: [],
    config: TEST_APP_CONFIG,
  });
}

describe('PUT /api/v1/activity-types/{name}: event names', () => {
  it('when a type is created with eventNames, then GET shows them on the type and its versions', async () => {
    const app = appWith();
    await request(app)
      .put(`${PATH}/VIDEO_PLAY`)
      .send({ metadataSchema: SCHEMA, eventNames: ['Video Playback Started'] })
      .expect(201);

    const res = await request(app).get(`${PATH}/VIDEO_PLAY`).expect(200);

    expect(res.body).toMatchObject({
      eventNames: ['Video Playback Started'],
      versions: [{ version: 1, eventNames: ['Video Playback Started'] }],
    });
  });

  it('when the list is read, then the built-ins show the Segment names they hold', async () => {
    const res = await request(appWith()).get(PATH).expect(200);
    const types = (res.body as { types: Array<{ name: string; eventNames?: string[] }> }).types;

    expect(types.find((t) => t.name === 'PURCHASE')?.eventNames).toEqual(['Order Completed']);
    expect(types.find((t) => t.name === 'CLICK')).not.toHaveProperty('eventNames');
  });

  it('when a PUT claims a name another type holds, then it is a 409 problem naming that type', async () => {
    const res = await request(appWith())
      .put(`${PATH}/ORDER`)
      .send({ metadataSchema: { type: 'object' }, eventNames: ['Order Completed'] })
      .expect(409);

    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      status: 409,
      detail: expect.stringContaining('"Order Completed" is the event name of PURCHASE'),
      errors: [{ path: 'eventNames.0', message: '"Order Completed" is already claimed by PURCHASE' }],
    });
  });

  it.each([
    ['a name listed twice', ['Video Started', 'Video Started'], 'eventNames.1'],
    ['an empty name', [''], 'eventNames.0'],
    ['a name of 129 characters', ['x'.repeat(129)], 'eventNames.0'],
    ['51 names', Array.from({ length: 51 }, (_, i) => `Event ${i}`), 'eventNames'],
    ['a control character', ['Video\tStarted'], 'eventNames.0'],
    ['a name that is not a string', [7], 'eventNames.0'],
  ])('when eventNames hold %s, then it is a 400 at that place', async (_label, eventNames, path) => {
    const res = await request(appWith())
      .put(`${PATH}/VIDEO_PLAY`)
      .send({ metadataSchema: SCHEMA, eventNames })
      .expect(400);

    expect((res.body as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).toEqual([path]);
  });
});

describe('PUT /api/v1/activity-types/{name}: rankable fields', () => {
  it('when a type is created with rankableFields, then GET shows them, and the built-ins show theirs', async () => {
    const app = appWith();
    await request(app)
      .put(`${PATH}/VIDEO_PLAY`)
      .send({ metadataSchema: SCHEMA, rankableFields: ['metadata.videoId'] })
      .expect(201);

    const one = await request(app).get(`${PATH}/VIDEO_PLAY`).expect(200);
    const list = await request(app).get(PATH).expect(200);

    expect(one.body).toMatchObject({ rankableFields: ['metadata.videoId'], versions: [{ version: 1 }] });
    const types = (list.body as { types: Array<{ name: string; rankableFields?: string[] }> }).types;
    expect(types.find((t) => t.name === 'SEARCH')?.rankableFields).toEqual(['metadata.query']);
    expect(types.find((t) => t.name === 'CLICK')).not.toHaveProperty('rankableFields');
  });

  it.each([
    ['a field listed twice', ['metadata.a', 'metadata.a'], 'rankableFields.1'],
    ['a path outside metadata', ['userId'], 'rankableFields.0'],
    ['an operator', ['metadata.$gt'], 'rankableFields.0'],
    ['11 fields', Array.from({ length: 11 }, (_, i) => `metadata.f${i}`), 'rankableFields'],
    ['a field that is not a string', [7], 'rankableFields.0'],
  ])('when rankableFields hold %s, then it is a 400 at that place', async (_label, rankableFields, path) => {
    const res = await request(appWith())
      .put(`${PATH}/VIDEO_PLAY`)
      .send({ metadataSchema: SCHEMA, rankableFields })
      .expect(400);

    expect((res.body as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).toEqual([path]);
  });
});
