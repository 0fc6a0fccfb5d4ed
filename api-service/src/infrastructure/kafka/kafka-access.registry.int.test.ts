import { compactedLogTopic } from '@uap/shared/runtime';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import pino from 'pino';
import { cuttableKafka } from '../../../../test/support/cuttable-kafka';
import { testKafka, uniqueName } from '../../../../test/support/integration';
import { waitUntil } from '../../../../test/support/wait-until';
import { keyStatusAt } from '../../domain/access/access-catalog';
import type { AccessRecord } from '../../domain/access/access-record';
import { aRevocation, aRuntimeKey } from '../../testing/access.fixtures';
import { KafkaAccessRegistry } from './kafka-access.registry';

const logger = pino({ level: 'silent' });
const CONFIG = { refreshMs: 250, leaseMs: 1_500, startTimeoutMs: 20_000, usageFlushMs: 60_000 };
const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

/**
 * The access log on the real broker: replicas following one compacted topic agree by the time a write says it is
 * in force, a revocation survives compaction and a fresh replay, and a replica cut off from the broker says so
 * while it keeps (and still ages) the keys it has.
 */
describe('KafkaAccessRegistry on the broker', () => {
  const kafka = testKafka(uniqueName('access-registry'));
  const topic = uniqueName('access');
  let admin: Admin;
  const started: KafkaAccessRegistry[] = [];
  const topics: string[] = [];

  const follow = async (onTopic: string, client: Kafka = kafka): Promise<KafkaAccessRegistry> => {
    const registry = new KafkaAccessRegistry({ ...CONFIG, topic: onTopic }, { kafka: client, bootstrap: [], logger });
    started.push(registry);
    await registry.start();
    return registry;
  };

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [compactedLogTopic(topic)], waitForLeaders: true });
    topics.push(topic);
  });

  afterAll(async () => {
    await Promise.allSettled(started.map((registry) => registry.stop()));
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });

  it('when one replica writes, then it holds the change at once, and the other holds it by inForceBy', async () => {
    const [a, b] = [await follow(topic), await follow(topic)];
    const key = aRuntimeKey({ scopes: ['read'] });
    const before = Date.now();
    const created = await a.write([key.record]);
    expect(a.catalog.authenticate(key.secret, Date.now()).ok).toBe(true);
    expect(created.inForceBy.getTime() - before).toBeLessThan(2_000 + 1_000);
    await sleepUntil(created.inForceBy.getTime());
    expect(b.catalog.authenticate(key.secret, Date.now()).ok).toBe(true);

    const revoked = await a.write([aRevocation(key.id, new Date().toISOString())]);
    expect(a.catalog.authenticate(key.secret, Date.now())).toEqual({ ok: false, reason: 'revoked' });
    await sleepUntil(revoked.inForceBy.getTime());
    expect(b.catalog.authenticate(key.secret, Date.now())).toEqual({ ok: false, reason: 'revoked' });
    expect(b.status()).toMatchObject({ current: true, position: a.status().position });
  });

  it('when the log of a revoked key is compacted, then a fresh replica replaying it still finds the key revoked', async () => {
    // Segments roll after a second and the cleaner takes any dirty one: compaction within the broker's cleaner
    // backoff (15 s by default) instead of hours.
    const compacted = uniqueName('access-compacted');
    const spec = compactedLogTopic(compacted);
    spec.configEntries = [
      ...(spec.configEntries ?? []),
      { name: 'segment.ms', value: '1000' },
      { name: 'min.cleanable.dirty.ratio', value: '0.01' },
      { name: 'min.compaction.lag.ms', value: '0' },
    ];
    await admin.createTopics({ topics: [spec], waitForLeaders: true });
    topics.push(compacted);
    const writer = await follow(compacted);
    const key = aRuntimeKey();
    const usedAt = (i: number) => new Date(Date.parse('2026-01-01T00:00:00.000Z') + i * 1_000).toISOString();
    const used = (i: number): AccessRecord => ({ kind: 'key-used', keyId: key.id, at: usedAt(i) });
    await writer.write([key.record, ...Array.from({ length: 20 }, (_, i) => used(i))]);
    await writer.write([aRevocation(key.id), ...Array.from({ length: 20 }, (_, i) => used(20 + i))]);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    // A write after segment.ms rolls the segment that holds the rest: only closed segments are cleaned.
    const { offset: last } = await writer.write([used(40)]);

    const survivors = await offsetsAfterCompaction(kafka, compacted, last);
    expect(survivors.length).toBeLessThan(last + 1);

    const fresh = await follow(compacted);
    expect(fresh.catalog.authenticate(key.secret, Date.now())).toEqual({ ok: false, reason: 'revoked' });
    expect(fresh.catalog.key(key.id)).toMatchObject({ revokedAt: expect.any(String), lastUsedAt: usedAt(40) });
    expect(keyStatusAt(fresh.catalog.key(key.id)!, Date.now())).toBe('revoked');
  }, 120_000);

  it('when a replica loses the broker, then it reports not current, keeps its keys and ages them by the clock, and catches up once back', async () => {
    const writer = await follow(topic);
    const lasting = aRuntimeKey();
    const expiresAt = Date.now() + 4_000;
    const shortLived = aRuntimeKey({ expiresAt: new Date(expiresAt).toISOString() });
    const { inForceBy } = await writer.write([lasting.record, shortLived.record]);
    await sleepUntil(inForceBy.getTime());
    const client = cuttableKafka(uniqueName('access-cut'));
    const replica = await follow(topic, client.kafka);
    expect(replica.status().current).toBe(true);

    client.cut();
    await waitUntil(
      'the cut replica to report itself not current',
      () => (replica.status().current ? undefined : true),
      { timeoutMs: CONFIG.leaseMs + 5_000, intervalMs: 100 },
    );
    expect(replica.catalog.authenticate(lasting.secret, Date.now()).ok).toBe(true);
    // Timers may fire a millisecond before the wall clock reads their time.
    await sleepUntil(expiresAt + 20);
    expect(replica.catalog.authenticate(shortLived.secret, Date.now())).toMatchObject({ ok: false, reason: 'expired' });

    client.restore();
    await waitUntil('the replica to be current again', () => (replica.status().current ? true : undefined), {
      timeoutMs: 30_000,
      describe: () => JSON.stringify(replica.status()),
    });
    // Its consumer is back too (kafkajs restarts it after the crash the cut caused): a revocation reaches it.
    const { offset } = await writer.write([aRevocation(lasting.id, new Date().toISOString())]);
    await waitUntil(
      'the replica to read the revocation',
      () => (replica.status().position > offset ? true : undefined),
      {
        timeoutMs: 30_000,
        describe: () => JSON.stringify(replica.status()),
      },
    );
    expect(replica.catalog.authenticate(lasting.secret, Date.now())).toEqual({ ok: false, reason: 'revoked' });
  }, 90_000);
});

/** The offsets the topic holds once the cleaner removed some of those up to `last` (read from the start, again). */
async function offsetsAfterCompaction(kafka: Kafka, topic: string, last: number): Promise<number[]> {
  let seen = new Set<number>();
  const consumer: Consumer = kafka.consumer({ groupId: uniqueName('access-compaction-reader'), maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message }) => void seen.add(Number(message.offset)),
  });
  try {
    return await waitUntil(
      'the cleaner to compact the access log',
      () => {
        if (!seen.has(last)) return undefined;
        const read = [...seen].filter((offset) => offset <= last).sort((x, y) => x - y);
        if (read.length <= last) return read;
        // Everything is still there: read the topic again from its start (the cleaner may have run since).
        seen = new Set();
        consumer.seek({ topic, partition: 0, offset: '0' });
        return undefined;
      },
      { timeoutMs: 90_000, intervalMs: 2_000 },
    );
  } finally {
    await consumer.disconnect();
  }
}
