import type { Kafka } from 'kafkajs';

type EachBatch = (payload: { batch: { messages: Array<{ offset: string; value: Buffer }> } }) => Promise<void>;

/**
 * A broker of one single-partition topic, for the unit tests of what follows a log (the activity type registry, the
 * access log): what is sent lands in `log` (`sends` holds each send's size), the consumer is fed by `deliver()`, and
 * `setReachable(false)` makes the admin's offsets and the producer's sends fail as an unreachable broker's would.
 */
export function aFakeLogKafka() {
  const log: string[] = [];
  const sends: number[] = [];
  let eachBatch: EachBatch | undefined;
  let delivered = 0;
  let reachable = true;
  const kafka = {
    admin: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      fetchTopicOffsets: async () => {
        if (!reachable) throw new Error('broker unreachable');
        return [{ partition: 0, offset: String(log.length), high: String(log.length), low: '0' }];
      },
    }),
    consumer: () => ({
      on: () => undefined,
      events: { GROUP_JOIN: 'join', CRASH: 'crash' },
      connect: async () => undefined,
      disconnect: async () => undefined,
      subscribe: async () => undefined,
      seek: () => undefined,
      run: async (options: { eachBatch: EachBatch }) => {
        eachBatch = options.eachBatch;
      },
    }),
    producer: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      send: async ({ messages }: { messages: Array<{ value: string }> }) => {
        if (!reachable) throw new Error('broker unreachable');
        const baseOffset = log.length;
        log.push(...messages.map((m) => m.value));
        sends.push(messages.length);
        return [{ baseOffset: String(baseOffset) }];
      },
    }),
  } as unknown as Kafka;
  return {
    kafka,
    log,
    sends,
    /** The consumer fetches what the log holds beyond what it has. */
    deliver: async () => {
      while (eachBatch === undefined) await new Promise((resolve) => setImmediate(resolve));
      const messages = log
        .slice(delivered)
        .map((value, i) => ({ offset: String(delivered + i), value: Buffer.from(value) }));
      delivered = log.length;
      if (messages.length > 0) await eachBatch({ batch: { messages } });
    },
    setReachable: (value: boolean) => (reachable = value),
  };
}
