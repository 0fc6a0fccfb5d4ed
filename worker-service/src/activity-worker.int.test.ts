import {
  ACTIVITY_INDEXES,
  HEADERS,
  IDENTITY_ACTIVITY_INDEXES,
  IDENTITY_LINK_FIELD,
  PARTIAL_ACTIVITY_INDEXES,
  encodeActivityMessage,
  type SegmentFields,
} from '@uap/shared/contract';
import { anActivity } from '@uap/shared/testing';
import { storeIsFerretDb, uniqueName } from '../../test/support/integration';
import { WorkerProcess } from '../../test/support/worker-process';
import { WorkerTestbed, headerText } from './testing/worker-testbed';

describe('the activity worker on the real broker and store', () => {
  const bed = new WorkerTestbed(3);
  let worker: WorkerProcess;

  beforeAll(async () => {
    await bed.setUp();
    worker = await WorkerProcess.start('main', bed.workerEnv());
    await worker.waitUntilReady();
  });

  afterAll(async () => {
    await worker?.stop();
    await bed.tearDown();
  });

  it('when it starts, then it has created its topics and the indexes of the read queries', async () => {
    const topics = await bed.admin.listTopics();
    expect(topics).toEqual(expect.arrayContaining([bed.topic, bed.dlqTopic]));
    const metadata = await bed.admin.fetchTopicMetadata({ topics: [bed.topic] });
    expect(metadata.topics[0]!.partitions).toHaveLength(3);
    const indexes = await bed.activities.indexes();
    for (const expected of ACTIVITY_INDEXES) {
      expect(indexes).toContainEqual(
        expect.objectContaining({
          name: expected.name,
          key: expected.key,
          ...(expected.unique ? { unique: true } : {}),
        }),
      );
    }
  });

  it('when N events are produced, then each is stored exactly once, with Dates and persistedAt', async () => {
    const events = Array.from({ length: 300 }, (_, i) =>
      anActivity({ userId: `user-${i % 17}`, type: i % 2 ? 'PAGE_VIEW' : 'LOGIN', metadata: { i } }),
    );
    for (let i = 0; i < events.length; i += 100) await bed.produce(events.slice(i, i + 100));

    await bed.waitUntilStored(
      events.map((e) => e.eventId),
      30_000,
      () => worker.tail(),
    );

    const counts = await bed.storedCounts(events.map((e) => e.eventId));
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    const sample = events[7]!;
    const doc = await bed.activities.findOne({ eventId: sample.eventId }, { projection: { _id: 0 } });
    expect(doc).toEqual({
      ...sample,
      occurredAt: new Date(sample.occurredAt),
      receivedAt: new Date(sample.receivedAt),
      persistedAt: expect.any(Date),
      // A raw producer's event, checked against the registry's built-in PAGE_VIEW, version 1.
      typeVersion: 1,
      // The topic position of the copy stored, for receipts.
      sourcePartition: expect.any(Number),
      sourceOffset: expect.any(Number),
    });
    expect((doc!['persistedAt'] as Date).getTime()).toBeGreaterThanOrEqual(new Date(sample.receivedAt).getTime());
  });

  it('when it starts on MongoDB, then it has created the partial indexes too; on FerretDB none (it refuses them)', async () => {
    const names = (await bed.activities.indexes()).map((index) => index.name);
    for (const { name } of PARTIAL_ACTIVITY_INDEXES) {
      if (storeIsFerretDb()) expect(names).not.toContain(name);
      else expect(names).toContain(name);
    }
    expect(IDENTITY_ACTIVITY_INDEXES.length).toBeGreaterThan(0);
  });

  it('when a link from /v1 and an anonymous event are produced, then each is stored with its ids, its Segment envelope exactly as sent, its source, and the link on the link only', async () => {
    const anonymousId = uniqueName('visitor');
    const userId = uniqueName('known');
    const segment: SegmentFields = {
      call: 'identify',
      messageId: uniqueName('message'),
      originalTimestamp: '2026-02-28T23:59:58.123Z',
      sentAt: '2026-02-28T23:59:59.000Z',
      context: {
        library: { name: 'analytics-node', version: '2.1.0' },
        page: { path: '/checkout', referrer: '', search: '' },
        traits: { plan: 'pro', seats: 3, ratio: 0.5, trial: false, tags: ['a', 'b'], empty: {}, none: null },
      },
      integrations: { All: true, Mixpanel: false },
      extras: { _metadata: { nodeVersion: '22.1.0', jsRuntime: 'node' } },
    };
    const link = anActivity({
      userId,
      anonymousId,
      type: 'IDENTIFY',
      metadata: { plan: 'pro' },
      segment,
      sourceId: 'web',
    });
    const visit = anActivity({ userId: undefined, anonymousId, type: 'PAGE_VIEW', metadata: {} });
    await bed.produce([visit, link]);

    await bed.waitUntilStored([visit.eventId, link.eventId]);

    const stored = await bed.activities.findOne({ eventId: link.eventId }, { projection: { _id: 0 } });
    expect(stored).toMatchObject({ userId, anonymousId, [IDENTITY_LINK_FIELD]: anonymousId, sourceId: 'web' });
    // Key order and nesting as sent: what a reader returns is what the SDK sent.
    expect(JSON.stringify(stored!['segment'])).toBe(JSON.stringify(segment));
    const anonymous = await bed.activities.findOne({ eventId: visit.eventId }, { projection: { _id: 0 } });
    expect(anonymous).toMatchObject({ anonymousId });
    expect(anonymous).not.toHaveProperty('userId');
    expect(anonymous).not.toHaveProperty(IDENTITY_LINK_FIELD);
    expect(anonymous).not.toHaveProperty('sourceId');
  });

  it('when the same eventId arrives in two messages and twice within one batch, then it is stored once', async () => {
    const userId = uniqueName('dup-user');
    const first = anActivity({ userId });
    await bed.produce([first]);
    await bed.waitUntilStored([first.eventId]);
    const before = (await worker.readiness()).body.stats.duplicates;

    const second = anActivity({ userId });
    const marker = anActivity({ userId });
    await bed.produce([first]); // a redelivery, as a separate message
    await bed.produce([second, second, marker]); // a twin inside one produce batch
    // Same key, same partition: once the marker is stored, both duplicates have been processed.
    await bed.waitUntilStored([second.eventId, marker.eventId]);

    const counts = await bed.storedCounts([first.eventId, second.eventId, marker.eventId]);
    expect([...counts.values()]).toEqual([1, 1, 1]);
    const { stats } = (await worker.readiness()).body;
    expect(stats.duplicates - before).toBe(2);
  });

  it('when a raw invalid message is on the topic, then it lands in the DLQ with reason headers and later events are stored', async () => {
    const userId = uniqueName('dlq-user');
    const raw = '{"userId": "broken", oops';
    const after = [anActivity({ userId }), anActivity({ userId })];
    await bed.produceRaw([{ key: userId, value: raw, headers: { [HEADERS.requestId]: 'req-dlq-1' } }]);
    await bed.produceRaw([
      { key: userId, value: JSON.stringify({ ...anActivity({ userId }), schemaVersion: 7 }) },
      ...after.map((e) => encodeActivityMessage(e)),
    ]);

    await bed.waitUntilStored(
      after.map((e) => e.eventId),
      30_000,
      () => worker.tail(),
    );

    const letters = await bed.deadLetters(2);

    const invalidJson = letters.find((m) => m.value?.toString() === raw);
    expect(invalidJson).toBeDefined();
    expect(invalidJson!.key?.toString()).toBe(userId);
    expect(headerText(invalidJson!, HEADERS.dlqReason)).toBe('invalid-json');
    expect(headerText(invalidJson!, HEADERS.dlqError)).toMatch(/JSON/);
    expect(headerText(invalidJson!, HEADERS.requestId)).toBe('req-dlq-1');
    expect(headerText(invalidJson!, HEADERS.sourceTopic)).toBe(bed.topic);
    expect(Number(headerText(invalidJson!, HEADERS.sourcePartition))).toBeGreaterThanOrEqual(0);
    expect(headerText(invalidJson!, HEADERS.sourceOffset)).toMatch(/^\d+$/);
    expect(Date.parse(headerText(invalidJson!, HEADERS.failedAt) ?? '')).not.toBeNaN();
    const wrongVersion = letters.find((m) => m !== invalidJson);
    expect(headerText(wrongVersion!, HEADERS.dlqReason)).toBe('unknown-schema-version');
    expect(await bed.activities.countDocuments({ userId: 'broken' })).toBe(0);
  });

  it('when SIGTERM is sent, then it leaves the group and exits 0', async () => {
    const other = await WorkerProcess.start('sigterm', bed.workerEnv({ CONSUMER_GROUP: uniqueName('sigterm-group') }));
    try {
      await other.waitUntilReady();
      other.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const exit = await Promise.race([
        other.exited,
        new Promise((resolve) => (timer = setTimeout(() => resolve('still running after 15 s'), 15_000))),
      ]).finally(() => clearTimeout(timer));
      expect(exit).toEqual({ code: 0, signal: null });
      expect(other.logs.some((line) => line.includes('"msg":"stopped"'))).toBe(true);
    } finally {
      await other.stop();
    }
  });
});
