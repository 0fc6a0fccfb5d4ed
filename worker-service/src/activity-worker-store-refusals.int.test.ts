import { ACTIVITIES_COLLECTION, HEADERS, encodeActivityMessage, type ActivityEvent } from '@uap/shared/contract';
import { anActivity } from '@uap/shared/testing';
import { uniqueName } from '../../test/support/integration';
import { kcatProduce } from '../../test/support/kcat';
import { REFUSED_KEY, makeStoreRefuseMarkedDocuments } from '../../test/support/store-refusal';
import { WorkerProcess } from '../../test/support/worker-process';
import { WorkerTestbed, headerText } from './testing/worker-testbed';

// One partition: every user shares it, so a message that held it would hold them all.
describe('the activity worker when the store refuses a document (one partition for all users)', () => {
  const bed = new WorkerTestbed(1);
  let worker: WorkerProcess;
  let store: string;

  beforeAll(async () => {
    await bed.setUp();
    worker = await WorkerProcess.start('refusals', bed.workerEnv({ WRITE_CHUNK_SIZE: '50', STALL_AFTER_MS: '5000' }));
    await worker.waitUntilReady();
    // The worker created the collection and its indexes at start-up.
    store = await makeStoreRefuseMarkedDocuments(bed.db.db!, ACTIVITIES_COLLECTION);
  });
  afterAll(async () => {
    await worker?.stop();
    await bed.tearDown();
  });

  it('when two documents of a stream are refused by the store, then they are dead-lettered as store-rejected and everything after them is stored within seconds', async () => {
    const refusedAt = new Set([7, 41]);
    const events: ActivityEvent[] = Array.from({ length: 60 }, (_, i) =>
      anActivity({ userId: `refusal-${i % 5}`, metadata: refusedAt.has(i) ? { i, [REFUSED_KEY]: true } : { i } }),
    );
    const sameUserAfter = anActivity({ userId: events[41]!.userId });
    const messages = events.map((e) => encodeActivityMessage(e, `req-${e.metadata['i']}`));
    await bed.produceRaw(messages);
    await bed.produce([sameUserAfter]);

    const accepted = [...events.filter((_, i) => !refusedAt.has(i)), sameUserAfter];
    await bed.waitUntilStored(
      accepted.map((e) => e.eventId),
      20_000,
      () => `store: ${store}\n${worker.tail()}`,
    );

    expect(await bed.activities.countDocuments({})).toBe(accepted.length);
    const letters = await bed.deadLetters(2);
    expect(letters).toHaveLength(2);
    for (const [letter, index] of letters.map((l, n) => [l, [...refusedAt][n]!] as const)) {
      expect(headerText(letter, HEADERS.dlqReason)).toBe('store-rejected');
      expect(headerText(letter, HEADERS.dlqError)).toMatch(/check constraint|validation/i);
      expect(headerText(letter, HEADERS.requestId)).toBe(`req-${index}`);
      expect(headerText(letter, HEADERS.sourceOffset)).toBe(String(index));
      // Byte for byte what was consumed, so a replay after a fix brings back the same event.
      expect(letter.value?.toString()).toBe(messages[index]!.value);
    }

    const ready = await worker.readiness();
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', stalled: [] });
    const metrics = await (await fetch(`${worker.url}/metrics`)).text();
    expect(metrics).toContain('uap_worker_events_dead_lettered_total{reason="store-rejected"} 2');
    expect(metrics).toContain('uap_worker_partitions_stalled 0');
  });

  it('when kcat produces an event with a NUL in metadata, then it is dead-lettered as a schema violation and the same user’s next event is stored', async () => {
    const userId = uniqueName('kcat-user');
    const withNul = JSON.stringify(anActivity({ userId, metadata: { q: 'a\u0000b' } }));
    const next = anActivity({ userId });
    expect(withNul).toContain('\\u0000');
    const lettersBefore = (await bed.deadLetters(2)).length;

    kcatProduce(
      bed.topic,
      [
        { key: userId, value: withNul },
        { key: userId, value: JSON.stringify(next) },
      ],
      { [HEADERS.requestId]: 'kcat-1' },
    );

    await bed.waitUntilStored([next.eventId], 15_000, () => worker.tail());
    const letters = await bed.deadLetters(lettersBefore + 1);
    const letter = letters.find((l) => l.value?.toString() === withNul);
    expect(letter).toBeDefined();
    expect(headerText(letter!, HEADERS.dlqReason)).toBe('schema-violation');
    expect(headerText(letter!, HEADERS.dlqError)).toMatch(/metadata\.q: must not contain NUL/);
    expect(headerText(letter!, HEADERS.requestId)).toBe('kcat-1');
    expect(await bed.activities.countDocuments({ userId })).toBe(1);
  });
});
