import { anActivity } from '@uap/shared/testing';
import { HEADERS } from '@uap/shared/contract';
import type { Kafka, ProducerRecord } from 'kafkajs';
import pino from 'pino';
import { KafkaActivityPublisher } from './kafka-activity.publisher';
import { domainErrorOf } from '../../testing/domain-error-of';

/**
 * A stand-in for kafkajs' producer and admin whose calls do whatever the test says. A send that
 * succeeds is acknowledged like a broker would: per partition, the base offset of its messages.
 */
function fakeKafka(
  send: (record: ProducerRecord) => Promise<unknown>,
  describeCluster: () => Promise<unknown> = async () => ({}),
  partitions = 3,
  options: { dropAckFor?: (partition: number) => boolean } = {},
) {
  const records: ProducerRecord[] = [];
  /** Which producer (1 = the first created) made each send. */
  const senders: number[] = [];
  let producers = 0;
  const logEnd = new Map<number, number>();
  const acknowledge = (record: ProducerRecord) => {
    const counts = new Map<number, number>();
    for (const m of record.messages) counts.set(m.partition!, (counts.get(m.partition!) ?? 0) + 1);
    return [...counts]
      .map(([partition, count]) => {
        const baseOffset = logEnd.get(partition) ?? 100;
        logEnd.set(partition, baseOffset + count);
        return { topicName: record.topic, partition, errorCode: 0, baseOffset: String(baseOffset) };
      })
      .filter((ack) => !options.dropAckFor?.(ack.partition));
  };
  const kafka = {
    producer: () => {
      const id = ++producers;
      const handlers = new Map<string, () => void>();
      return {
        events: { CONNECT: 'connect', DISCONNECT: 'disconnect' },
        on: (event: string, handler: () => void) => handlers.set(event, handler),
        connect: async () => handlers.get('connect')?.(),
        disconnect: async () => handlers.get('disconnect')?.(),
        send: (record: ProducerRecord) => {
          records.push(record);
          senders.push(id);
          return send(record).then(() => acknowledge(record));
        },
      };
    },
    admin: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      describeCluster,
      fetchTopicMetadata: async ({ topics }: { topics: string[] }) => ({
        topics: topics.map((name) => ({
          name,
          partitions: Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 1 })),
        })),
      }),
    }),
  } as unknown as Kafka;
  return { kafka, records, senders };
}

const logger = pino({ level: 'silent' });

describe('KafkaActivityPublisher', () => {
  it('when events are published, then one send with acks=all carries them keyed by userId with headers', async () => {
    const { kafka, records } = fakeKafka(async () => [{ errorCode: 0 }]);
    const publisher = new KafkaActivityPublisher({ topic: 't1', publishTimeoutMs: 1000 }, { kafka, logger });
    const events = [anActivity({ userId: 'alice' }), anActivity({ userId: 'bob', type: 'LOGOUT' })];

    await publisher.publish(events, { requestId: 'req-1' });

    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ topic: 't1', acks: -1 });
    expect(records[0]!.messages.map((m) => m.key)).toEqual(['alice', 'bob']);
    expect(records[0]!.messages[1]!.headers).toMatchObject({
      [HEADERS.eventType]: 'LOGOUT',
      [HEADERS.schemaVersion]: '1',
      [HEADERS.requestId]: 'req-1',
    });
    expect(JSON.parse(String(records[0]!.messages[0]!.value))).toEqual(events[0]);
  });

  it('when publishes are sent together, then each event gets its partition (murmur2 of the key) and its exact offset', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let sends = 0;
    const { kafka, records } = fakeKafka(async () => {
      if (sends++ === 0) await gate;
    });
    const publisher = new KafkaActivityPublisher({ topic: 't1', publishTimeoutMs: 2000 }, { kafka, logger });
    const first = publisher.publish([anActivity({ userId: 'alice' })], { requestId: 'r1' });
    await new Promise((resolve) => setImmediate(resolve));
    // These two wait behind the first send and go out together in the second.
    const second = publisher.publish([anActivity({ userId: 'alice' }), anActivity({ userId: 'bob' })], {
      requestId: 'r2',
    });
    const third = publisher.publish([anActivity({ userId: 'alice' })], { requestId: 'r3' });
    release();

    const [a, b, c] = await Promise.all([first, second, third]);

    expect(records).toHaveLength(2);
    const alice = records[0]!.messages[0]!.partition!;
    const bob = records[1]!.messages[1]!.partition!;
    expect(records[1]!.messages.map((m) => m.partition)).toEqual([alice, bob, alice]);
    expect(a).toEqual([{ topic: 't1', partition: alice, offset: 100 }]);
    expect(b).toEqual([
      { topic: 't1', partition: alice, offset: 101 },
      { topic: 't1', partition: bob, offset: bob === alice ? 102 : 100 },
    ]);
    expect(c).toEqual([{ topic: 't1', partition: alice, offset: bob === alice ? 103 : 102 }]);
  });

  it('when the broker never acknowledges, then publish rejects as retriable SERVICE_UNAVAILABLE at the bound', async () => {
    const { kafka } = fakeKafka(() => new Promise(() => undefined));
    const publisher = new KafkaActivityPublisher({ topic: 't1', publishTimeoutMs: 50 }, { kafka, logger });

    const err = await domainErrorOf(publisher.publish([anActivity()], { requestId: 'r' }));

    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(err.retriable).toBe(true);
  });

  it('when the send fails (broker unreachable), then publish rejects as retriable SERVICE_UNAVAILABLE', async () => {
    const { kafka } = fakeKafka(async () => {
      throw Object.assign(new Error('Connection error: ECONNREFUSED'), { name: 'KafkaJSConnectionError' });
    });
    const publisher = new KafkaActivityPublisher({ topic: 't1', publishTimeoutMs: 1000 }, { kafka, logger });

    const err = await domainErrorOf(publisher.publish([anActivity()], { requestId: 'r' }));

    expect(err).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retriable: true });
  });

  // A leader election or a partition below min.insync.replicas: kafkajs retries these inside the one send in
  // flight (they are retriable), so usually the bound answers first; if one surfaces, it is a 503 all the same.
  it.each([
    ['NOT_ENOUGH_REPLICAS', 19],
    ['NOT_ENOUGH_REPLICAS_AFTER_APPEND', 20],
    ['LEADER_NOT_AVAILABLE', 5],
    ['NOT_LEADER_FOR_PARTITION', 6],
    ['REQUEST_TIMED_OUT', 7],
  ])(
    'when the broker answers %s, then publish rejects as retriable SERVICE_UNAVAILABLE, never positions',
    async (type, code) => {
      const { kafka } = fakeKafka(async () => {
        throw Object.assign(new Error(type), { name: 'KafkaJSProtocolError', type, code, retriable: true });
      });
      const publisher = new KafkaActivityPublisher({ topic: 't1', publishTimeoutMs: 1000 }, { kafka, logger });

      const err = await domainErrorOf(publisher.publish([anActivity()], { requestId: 'r' }));

      expect(err).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retriable: true });
    },
  );

  it('when a send fails, then the next send goes out from a new producer (its sequence numbers are not trusted)', async () => {
    let fail = true;
    const { kafka, senders } = fakeKafka(async () => {
      if (fail) throw Object.assign(new Error('out of order'), { type: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    });
    const publisher = new KafkaActivityPublisher({ topic: 't1', publishTimeoutMs: 1000 }, { kafka, logger });

    expect((await domainErrorOf(publisher.publish([anActivity()], { requestId: 'r1' }))).code).toBe(
      'SERVICE_UNAVAILABLE',
    );
    fail = false;
    await publisher.publish([anActivity()], { requestId: 'r2' });
    await publisher.publish([anActivity()], { requestId: 'r3' });

    expect(senders).toEqual([1, 2, 2]);
  });

  it('when a send resolves without an acknowledgement for one of its partitions, then 503 for all and a new producer', async () => {
    const { kafka, records, senders } = fakeKafka(async () => undefined, undefined, 3, {
      dropAckFor: (partition) => records.length === 1 && partition === 2,
    });
    const publisher = new KafkaActivityPublisher({ topic: 't1', publishTimeoutMs: 1000 }, { kafka, logger });
    // Users spread over the three partitions, so the send carries partition 2 among others.
    const events = Array.from({ length: 12 }, (_, i) => anActivity({ userId: `user-${i}` }));

    const err = await domainErrorOf(publisher.publish(events, { requestId: 'r1' }));
    const positions = await publisher.publish(events, { requestId: 'r2' });

    expect(records[0]!.messages.some((m) => m.partition === 2)).toBe(true);
    expect(err).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retriable: true });
    expect(positions).toHaveLength(12);
    expect(senders).toEqual([1, 2]);
  });

  it('when sends succeed, then they all go out from the same producer', async () => {
    const { kafka, senders } = fakeKafka(async () => undefined);
    const publisher = new KafkaActivityPublisher({ topic: 't1', publishTimeoutMs: 1000 }, { kafka, logger });

    await publisher.publish([anActivity()], { requestId: 'r1' });
    await publisher.publish([anActivity()], { requestId: 'r2' });

    expect(senders).toEqual([1, 1]);
  });

  it('when the broker rejects the batch as too large, then publish rejects as PAYLOAD_TOO_LARGE, not retriable', async () => {
    const { kafka } = fakeKafka(async () => {
      throw Object.assign(new Error('too large'), { type: 'MESSAGE_TOO_LARGE' });
    });
    const publisher = new KafkaActivityPublisher({ topic: 't1', publishTimeoutMs: 1000 }, { kafka, logger });

    const err = await domainErrorOf(publisher.publish([anActivity()], { requestId: 'r' }));

    expect(err).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', retriable: false });
  });

  it('when the publisher is shutting down, then publish rejects as retriable without sending', async () => {
    const { kafka, records } = fakeKafka(async () => []);
    const publisher = new KafkaActivityPublisher({ topic: 't1', publishTimeoutMs: 1000 }, { kafka, logger });
    await publisher.disconnect();

    const err = await domainErrorOf(publisher.publish([anActivity()], { requestId: 'r' }));

    expect(err).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retriable: true });
    expect(records).toHaveLength(0);
  });

  it('when the producer never connected, then it is not ready', async () => {
    const { kafka } = fakeKafka(async () => []);
    const publisher = new KafkaActivityPublisher({ topic: 't1', publishTimeoutMs: 1000 }, { kafka, logger });

    expect(await publisher.isReady(100)).toBe(false);
  });

  it('when connected and a broker answers, then ready; when the broker stops answering, then not ready at the bound', async () => {
    let answer: () => Promise<unknown> = async () => ({ brokers: [] });
    const { kafka } = fakeKafka(
      async () => [],
      () => answer(),
    );
    const publisher = new KafkaActivityPublisher({ topic: 't1', publishTimeoutMs: 1000 }, { kafka, logger });
    await publisher.connect();

    expect(await publisher.isReady(100)).toBe(true);
    answer = () => new Promise(() => undefined);
    expect(await publisher.isReady(50)).toBe(false);
  });

  describe('with concurrent publishes', () => {
    /** A send that stays open until the test releases it, counting how many run at once. */
    function gatedSends() {
      const gates: (() => void)[] = [];
      let open = 0;
      let maxOpen = 0;
      const send = () =>
        new Promise<void>((resolve) => {
          open += 1;
          maxOpen = Math.max(maxOpen, open);
          gates.push(() => {
            open -= 1;
            resolve();
          });
        });
      return { send, gates, maxOpen: () => maxOpen };
    }
    const flush = () => new Promise((resolve) => setImmediate(resolve));

    it('when publishes arrive during a send, then they wait and go out together in the next single send', async () => {
      const gated = gatedSends();
      const { kafka, records } = fakeKafka(gated.send);
      const publisher = new KafkaActivityPublisher({ topic: 't1', publishTimeoutMs: 5_000 }, { kafka, logger });

      const first = publisher.publish([anActivity({ userId: 'a' })], { requestId: 'r1' });
      await flush();
      const second = publisher.publish([anActivity({ userId: 'b' })], { requestId: 'r2' });
      const third = publisher.publish([anActivity({ userId: 'c' }), anActivity({ userId: 'd' })], { requestId: 'r3' });
      await flush();
      expect(records).toHaveLength(1);

      gated.gates.shift()!();
      await first;
      await flush();
      expect(records.map((r) => r.messages.map((m) => m.key))).toEqual([['a'], ['b', 'c', 'd']]);
      gated.gates.shift()!();
      await Promise.all([second, third]);
      expect(gated.maxOpen()).toBe(1);
    });

    it('when a publish times out while queued, then it is never sent', async () => {
      const gated = gatedSends();
      const { kafka, records } = fakeKafka(gated.send);
      const slow = new KafkaActivityPublisher({ topic: 't1', publishTimeoutMs: 50 }, { kafka, logger });

      const first = domainErrorOf(slow.publish([anActivity({ userId: 'a' })], { requestId: 'r1' }));
      await flush();
      const queued = domainErrorOf(slow.publish([anActivity({ userId: 'b' })], { requestId: 'r2' }));
      expect((await first).code).toBe('SERVICE_UNAVAILABLE');
      expect((await queued).code).toBe('SERVICE_UNAVAILABLE');
      gated.gates.shift()!();
      await flush();

      expect(records.map((r) => r.messages.map((m) => m.key))).toEqual([['a']]);
    });

    it('when a group is too large for the broker, then each publish is retried alone and only the oversize one fails', async () => {
      const gated = gatedSends();
      const { kafka, records } = fakeKafka(async (record) => {
        if (records.length === 1) return gated.send();
        if (record.messages.some((m) => m.key === 'huge')) {
          throw Object.assign(new Error('too large'), { type: 'MESSAGE_TOO_LARGE' });
        }
        return [];
      });
      const publisher = new KafkaActivityPublisher({ topic: 't1', publishTimeoutMs: 5_000 }, { kafka, logger });

      const first = publisher.publish([anActivity({ userId: 'a' })], { requestId: 'r1' });
      await flush();
      const huge = domainErrorOf(publisher.publish([anActivity({ userId: 'huge' })], { requestId: 'r2' }));
      const small = publisher.publish([anActivity({ userId: 'small' })], { requestId: 'r3' });
      gated.gates.shift()!();

      await first;
      await expect(small).resolves.toEqual([expect.objectContaining({ topic: 't1' })]);
      expect((await huge).code).toBe('PAYLOAD_TOO_LARGE');
      expect(records.map((r) => r.messages.map((m) => m.key))).toEqual([['a'], ['huge', 'small'], ['huge'], ['small']]);
    });
  });
});
