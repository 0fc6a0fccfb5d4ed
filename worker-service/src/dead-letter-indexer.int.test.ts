import { randomUUID } from 'node:crypto';
import { DEAD_LETTERS_COLLECTION, HEADERS, encodeActivityMessage } from '@uap/shared/contract';
import { anActivity } from '@uap/shared/testing';
import { uniqueName } from '../../test/support/integration';
import { kcatProduce } from '../../test/support/kcat';
import { waitUntil } from '../../test/support/wait-until';
import { WorkerProcess } from '../../test/support/worker-process';
import { WorkerTestbed } from './testing/worker-testbed';

describe('the dead-letter indexer on the real broker and store', () => {
  const bed = new WorkerTestbed(3);
  const indexerGroup = uniqueName('dl-indexer');
  let worker: WorkerProcess;
  const env = () => bed.workerEnv({ DEAD_LETTER_INDEXER_GROUP: indexerGroup });
  const letters = () => bed.db.collection(DEAD_LETTERS_COLLECTION);
  const waitForLetters = (count: number) =>
    waitUntil(
      `${count} indexed letters`,
      async () => ((await letters().countDocuments({})) >= count ? true : undefined),
      {
        timeoutMs: 30_000,
        describe: () => worker.tail(),
      },
    );

  beforeAll(async () => {
    await bed.setUp();
    worker = await WorkerProcess.start('indexer', env());
    await worker.waitUntilReady();
  });
  afterAll(async () => {
    await worker?.stop();
    await bed.tearDown();
  });

  it('when a non-kafkajs client produces plain JSON with a type the registry does not hold, then its letter is indexed as a schema violation with what parses', async () => {
    const eventId = randomUUID();
    const raw = JSON.stringify({ ...anActivity({ eventId, userId: 'kcat-user' }), type: 'TELEPORT' });

    kcatProduce(bed.topic, [{ key: 'kcat-user', value: raw }], {
      [HEADERS.requestId]: 'kcat-req',
      [HEADERS.sourceId]: 'web',
    });
    await waitForLetters(1);

    const letter = await letters().findOne({ eventId });
    expect(letter).toMatchObject({
      reason: 'schema-violation',
      userId: 'kcat-user',
      status: 'dead',
      replayCount: 0,
      sourceTopic: bed.topic,
      dlqTopic: bed.dlqTopic,
      key: 'kcat-user',
      payload: raw,
      payloadEncoding: 'utf8',
      sourceId: 'web',
    });
    expect(letter!['type']).toBe('TELEPORT');
    expect(letter!['error']).toBe('/type: TELEPORT is not a planned activity type');
    expect(letter!['headers']).toEqual(expect.arrayContaining([{ name: HEADERS.requestId, value: 'kcat-req' }]));
    expect(letter!['letterId']).toBe(`${letter!['dlqPartition']}-${letter!['dlqOffset']}`);
  });

  it('when a tool writes straight into the DLQ without headers, then the letter is indexed too, with reason unknown', async () => {
    const before = await letters().countDocuments({});
    kcatProduce(bed.dlqTopic, [{ key: 'tool', value: 'not even json' }]);

    await waitForLetters(before + 1);

    expect(await letters().findOne({ key: 'tool' })).toMatchObject({ reason: 'unknown', error: '', status: 'dead' });
  });

  it('when the indexer group reads the topic again from the start, then no letter is indexed twice', async () => {
    await bed.produceRaw([{ key: 'u', value: '{broken' }, encodeActivityMessage(anActivity())]);
    const expected = (await bed.deadLetters(3)).length;
    await waitForLetters(expected);
    await worker.stop();

    await bed.admin.resetOffsets({ groupId: indexerGroup, topic: bed.dlqTopic, earliest: true });
    worker = await WorkerProcess.start('indexer-again', env());
    await worker.waitUntilReady();
    await waitUntil(
      'the indexer group to read the DLQ to its end again',
      async () => {
        const [offsets] = await bed.admin.fetchOffsets({ groupId: indexerGroup, topics: [bed.dlqTopic] });
        const committed = offsets!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
        return committed >= expected ? true : undefined;
      },
      { timeoutMs: 30_000, describe: () => worker.tail() },
    );

    expect(await letters().countDocuments({})).toBe(expected);
    const ids = await letters().distinct('letterId');
    expect(ids).toHaveLength(expected);
  });
});
