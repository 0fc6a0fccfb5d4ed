import { createHash, randomBytes } from 'node:crypto';
import { anActivity, anActivityInput } from '@uap/shared/testing';
import { ACTIVITIES_COLLECTION, encodeActivityMessage } from '@uap/shared/contract';
import { MongoClient } from 'mongodb';
import { toActivityDocument } from '../worker-service/src/infrastructure/mongo/mongo-activity.repository';
import { requiredEnv, storeEnv, testKafka, uniqueName } from './support/integration';
import { ServiceProcess } from './support/service-process';
import { waitUntil } from './support/wait-until';

const ADMIN_KEY = randomBytes(24).toString('hex');
const CLIENT_KEY = randomBytes(24).toString('hex');
const hashOf = (key: string) => createHash('sha256').update(key).digest('hex');

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/**
 * The tracking plan across replicas, on the real broker and store: two api processes and a worker share an
 * activities topic, a registry topic and a database of this suite's own. A change made through api A must
 * hold on api B as soon as A answered; raw producers' events are checked by the worker.
 */
describe('activity types defined at runtime: two apis and a worker', () => {
  const topic = uniqueName('types');
  const registryTopic = `${topic}.types`;
  const dlqTopic = `${topic}.dlq`;
  const dbName = uniqueName('types').replace(/-/g, '_');
  const oldEvents = Array.from({ length: 20 }, (_, i) =>
    anActivity({
      userId: 'veteran',
      type: i % 2 === 0 ? 'SEARCH' : 'LOGIN',
      metadata: i % 2 === 0 ? { query: `q${i}` } : {},
    }),
  );
  let apiA: ServiceProcess;
  let apiB: ServiceProcess;
  let worker: ServiceProcess;

  const call = async (
    api: ServiceProcess,
    method: string,
    path: string,
    options: { body?: unknown; key?: string; headers?: Record<string, string> } = {},
  ): Promise<Answer> => {
    // A string is sent as it is: JSON.stringify cannot write a document thousands of levels deep.
    const body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: {
        'x-api-key': options.key ?? ADMIN_KEY,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      headers: res.headers,
    };
  };
  const ingest = (api: ServiceProcess, event: Record<string, unknown>) =>
    call(api, 'POST', '/api/v1/activities', { body: anActivityInput(event), key: CLIENT_KEY });
  const videoPlay = (overrides: Record<string, unknown> = {}) => ({
    description: 'A video started playing',
    metadataSchema: {
      type: 'object',
      required: ['videoId'],
      properties: { videoId: { type: 'string', maxLength: 64 }, seconds: { type: 'number', minimum: 0 } },
    },
    ...overrides,
  });

  beforeAll(async () => {
    // What a deployment from before the registry left in its store: the worker's documents, without typeVersion.
    const mongo = await MongoClient.connect(requiredEnv('MONGO_URL'));
    await mongo
      .db(dbName)
      .collection(ACTIVITIES_COLLECTION)
      .insertMany(
        oldEvents.map((event, i) => toActivityDocument({ event, partition: 0, offset: String(i) }, new Date())),
      );
    await mongo.close();

    const shared = {
      KAFKA_BROKERS: requiredEnv('KAFKA_BROKERS'),
      ...storeEnv(),
      MONGO_DB: dbName,
      ACTIVITIES_TOPIC: topic,
      ACTIVITIES_TOPIC_PARTITIONS: '2',
      ACTIVITY_TYPES_TOPIC: registryTopic,
    };
    const apiEnv = {
      ...shared,
      NODE_ENV: 'production',
      API_KEYS: `${hashOf(ADMIN_KEY)}:ingest+read+admin,${hashOf(CLIENT_KEY)}:ingest+read`,
    };
    apiA = await ServiceProcess.start('api', 'types-a', apiEnv);
    await apiA.waitUntilReady(60_000);
    apiB = await ServiceProcess.start('api', 'types-b', apiEnv);
    worker = await ServiceProcess.start('worker', 'types', {
      ...shared,
      DLQ_TOPIC: dlqTopic,
      CONSUMER_GROUP: uniqueName('types-group'),
      DEAD_LETTER_INDEXER_GROUP: uniqueName('types-dlq-group'),
    });
    await Promise.all([apiB.waitUntilReady(60_000), worker.waitUntilReady(60_000)]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([apiA?.stop(), apiB?.stop(), worker?.stop()]);
    const admin = testKafka().admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, registryTopic, dlqTopic], timeout: 5_000 }).catch(() => undefined);
    await admin.disconnect();
    const mongo = await MongoClient.connect(requiredEnv('MONGO_URL'));
    await mongo
      .db(dbName)
      .dropDatabase()
      .catch(() => undefined);
    await mongo.close();
  }, 60_000);

  it('when a type is created on api A, then api B accepts it the moment A answered, and refuses it before', async () => {
    expect((await ingest(apiB, { type: 'VIDEO_PLAY', metadata: { videoId: 'v1' } })).status).toBe(400);

    const started = Date.now();
    const created = await call(apiA, 'PUT', '/api/v1/activity-types/VIDEO_PLAY', { body: videoPlay() });
    const answeredMs = Date.now() - started;

    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.body).toMatchObject({
      name: 'VIDEO_PLAY',
      version: 1,
      status: 'active',
      createdBy: expect.stringMatching(/^key:/),
    });
    // The promise: no wait, no retry. B validates with version 1 as soon as A's 201 is in hand.
    const accepted = await ingest(apiB, { type: 'VIDEO_PLAY', metadata: { videoId: 'v1', seconds: 3 } });
    expect(accepted.status).toBe(202);
    expect(answeredMs).toBeLessThan(2_000);
    const refused = await ingest(apiB, { type: 'VIDEO_PLAY', metadata: { seconds: -1 } });
    expect(refused.status).toBe(400);
    expect((refused.body['errors'] as Array<{ path: string }>).map((e) => e.path).sort()).toEqual([
      'metadata.seconds',
      'metadata.videoId',
    ]);

    const listed = await call(apiB, 'GET', '/api/v1/activity-types', { key: CLIENT_KEY });
    expect(listed.status).toBe(200);
    expect((listed.body['types'] as Array<{ name: string }>).map((t) => t.name)).toContain('VIDEO_PLAY');
  });

  it('when a change is stale, breaking, unannounced or hostile, then it is refused with 412, 409, 428 or 400', async () => {
    const stale = await call(apiB, 'PUT', '/api/v1/activity-types/SEARCH', {
      body: { metadataSchema: { type: 'object' } },
      headers: { 'if-match': '"7"' },
    });
    expect(stale.status).toBe(412);

    const unannounced = await call(apiB, 'PUT', '/api/v1/activity-types/SEARCH', {
      body: { metadataSchema: { type: 'object' } },
    });
    expect(unannounced.status).toBe(428);

    const breaking = await call(apiB, 'PUT', '/api/v1/activity-types/SEARCH', {
      body: {
        metadataSchema: { type: 'object', required: ['query', 'plan'], properties: { query: { type: 'string' } } },
      },
      headers: { 'if-match': '"1"' },
    });
    expect(breaking.status).toBe(409);
    expect(breaking.body['detail']).toContain('`metadata.plan` became required');

    const forbidden = await call(apiB, 'PUT', '/api/v1/activity-types/SEARCH', {
      body: { metadataSchema: { type: 'object' } },
      headers: { 'if-match': '"1"' },
      key: CLIENT_KEY,
    });
    expect(forbidden.status).toBe(403);

    const levels = 5_000;
    const deep = `{"metadataSchema":${'{"type":"object","properties":{"a":'.repeat(levels)}{}${'}}'.repeat(levels)}}`;
    const hostile = [
      { $ref: 'https://schemas.example.com/evil.json' },
      { type: 'object', properties: { q: { type: 'string', pattern: '([a-z' } } },
      { type: 'object', properties: { q: { type: 'string', pattern: '^(a+)+$' } } },
      { type: 'object', properties: { q: { type: 'string', pattern: '(a)\\1' } } },
      { type: 'object', description: 'x'.repeat(200_000) },
    ];
    for (const body of [...hostile.map((metadataSchema) => ({ metadataSchema })), deep]) {
      const res = await call(apiA, 'PUT', '/api/v1/activity-types/HOSTILE', { body });
      expect([res.status, res.body['type']]).toEqual([400, 'urn:uap:problem:validation-failed']);
      expect((res.body['errors'] as unknown[]).length).toBeGreaterThan(0);
    }
    expect((await call(apiA, 'GET', '/api/v1/activity-types/HOSTILE')).status).toBe(404);
  });

  it('when two writers race for the same version, then exactly one wins and the other gets 412', async () => {
    const body = (seconds: number) => ({
      body: videoPlay({ description: `race ${seconds}` }),
      headers: { 'if-match': '"1"' },
    });
    const answers = await Promise.all([
      call(apiA, 'PUT', '/api/v1/activity-types/VIDEO_PLAY', body(1)),
      call(apiB, 'PUT', '/api/v1/activity-types/VIDEO_PLAY', body(2)),
    ]);

    expect(answers.map((a) => a.status).sort()).toEqual([200, 412]);
    const after = await call(apiA, 'GET', '/api/v1/activity-types/VIDEO_PLAY');
    expect(after.body['version']).toBe(2);
    expect((after.body['versions'] as unknown[]).length).toBe(2);
  });

  it('when a type is retired on api A, then api B refuses it at once, and its stored events stay readable', async () => {
    const stored = await ingest(apiA, { type: 'CLICK', userId: 'clicker' });
    expect(stored.status).toBe(202);
    const retired = await call(apiA, 'DELETE', '/api/v1/activity-types/CLICK', { headers: { 'if-match': '"1"' } });
    expect([retired.status, retired.body['status'], retired.body['version']]).toEqual([200, 'retired', 2]);

    const refused = await ingest(apiB, { type: 'CLICK' });
    expect(refused.status).toBe(400);
    expect(refused.body['errors']).toEqual([expect.objectContaining({ path: 'type', rule: 'planned-type' })]);
    const read = await waitUntil('the CLICK stored before retirement', async () => {
      const res = await call(apiB, 'GET', '/api/v1/activities?userId=clicker', { key: CLIENT_KEY });
      return (res.body['data'] as unknown[] | undefined)?.length === 1 ? res : undefined;
    });
    expect(read.body['data']).toEqual([expect.objectContaining({ type: 'CLICK', typeVersion: 1 })]);
  });

  it('when a raw producer sends an unknown type or metadata that breaks its schema, then the worker dead-letters them with the pointer and version', async () => {
    const kafka = testKafka();
    const producer = kafka.producer();
    await producer.connect();
    const raw = [
      anActivity({ userId: 'raw-1', type: 'TELEPORT', metadata: {} }),
      anActivity({ userId: 'raw-2', type: 'SEARCH', metadata: { query: 42 } }),
      anActivity({ userId: 'raw-3', type: 'SEARCH', metadata: { query: 'fine' } }),
    ];
    await producer.send({ topic, acks: -1, messages: raw.map((event) => encodeActivityMessage(event)) });
    await producer.disconnect();

    const letters = await waitUntil(
      'two schema-violation letters',
      async () => {
        const res = await call(apiA, 'GET', '/api/v1/dead-letters?reason=schema-violation');
        const data = res.body['data'] as Array<{ error: string }> | undefined;
        return data !== undefined && data.length >= 2 ? data : undefined;
      },
      { timeoutMs: 30_000, describe: () => worker.tail() },
    );
    expect(letters.map((l) => l.error).sort()).toEqual([
      '/metadata/query: must be string (SEARCH v1)',
      '/type: TELEPORT is not a planned activity type',
    ]);
    const fine = await waitUntil('the valid raw event', async () => {
      const res = await call(apiA, 'GET', '/api/v1/activities?userId=raw-3', { key: CLIENT_KEY });
      return (res.body['data'] as unknown[] | undefined)?.length === 1 ? res : undefined;
    });
    expect(fine.body['data']).toEqual([expect.objectContaining({ typeVersion: 1 })]);
  });

  it('when the store holds events from before the registry, then they are read and counted as before', async () => {
    const res = await call(apiB, 'GET', '/api/v1/activities?userId=veteran&page=1&limit=100', { key: CLIENT_KEY });

    expect(res.status).toBe(200);
    expect((res.body['page'] as { total: number }).total).toBe(oldEvents.length);
    const ids = (res.body['data'] as Array<{ eventId: string; typeVersion?: number }>).map((e) => e.eventId).sort();
    expect(ids).toEqual(oldEvents.map((e) => e.eventId).sort());
  });

  it('when the policy is set to accept on api A, then api B stores unknown types with planned=false', async () => {
    const set = await call(apiA, 'PUT', '/api/v1/activity-types/policy', {
      body: { unknownTypes: 'accept', invalidMetadata: 'reject' },
    });
    expect(set.status).toBe(200);

    const accepted = await ingest(apiB, { type: 'INVITE_SENT', userId: 'inviter' });
    expect(accepted.status).toBe(202);
    expect(accepted.body['warnings']).toEqual([expect.objectContaining({ type: 'INVITE_SENT' })]);
    const stored = await waitUntil('the unplanned event', async () => {
      const res = await call(apiA, 'GET', '/api/v1/activities?userId=inviter', { key: CLIENT_KEY });
      return (res.body['data'] as unknown[] | undefined)?.length === 1 ? res : undefined;
    });
    expect(stored.body['data']).toEqual([expect.objectContaining({ type: 'INVITE_SENT', planned: false })]);
  });
});
