import type { Kafka } from 'kafkajs';
import pino from 'pino';
import { hashApiKey, parseApiKeys } from '../../domain/api-key';
import { decodeAccessRecord, encodeAccessRecord } from '../../domain/access/access-record';
import { aRevocation, aRuntimeKey } from '../../testing/access.fixtures';
import { KafkaAccessRegistry } from './kafka-access.registry';

const logger = pino({ level: 'silent' });

/** A broker of one single-partition topic: sends land in `log`, the consumer is fed by `deliver()`. */
function aFakeKafka() {
  const log: string[] = [];
  const sends: number[] = [];
  let eachBatch:
    ((payload: { batch: { messages: Array<{ offset: string; value: Buffer }> } }) => Promise<void>) | undefined;
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
      run: async (options: { eachBatch: typeof eachBatch }) => {
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
    deliver: async () => {
      while (eachBatch === undefined) await new Promise((resolve) => setImmediate(resolve));
      const messages = log
        .slice(delivered)
        .map((value, i) => ({ offset: String(delivered + i), value: Buffer.from(value) }));
      delivered = log.length;
      if (messages.length > 0) await eachBatch!({ batch: { messages } });
    },
    setReachable: (value: boolean) => (reachable = value),
  };
}

describe('KafkaAccessRegistry', () => {
  let clock = 0;
  const config = { topic: 'access', refreshMs: 60_000, leaseMs: 1_500, startTimeoutMs: 1_000, usageFlushMs: 60_000 };
  const bootstrap = parseApiKeys(`${hashApiKey('boot')}:admin`).entries;
  const setUp = () => {
    const broker = aFakeKafka();
    const registry = new KafkaAccessRegistry(config, { kafka: broker.kafka, bootstrap, logger, now: () => clock });
    return { broker, registry };
  };
  const started = async ({ broker, registry }: ReturnType<typeof setUp>) => {
    const starting = registry.start();
    await broker.deliver();
    await starting;
  };
  beforeEach(() => (clock = 1_000_000));

  it('when it starts on a log with keys and a stray record, then it holds the keys and skips the stray one', async () => {
    const setup = setUp();
    const key = aRuntimeKey();
    setup.broker.log.push(
      encodeAccessRecord(key.record),
      '{"kind":"key-frozen"}',
      encodeAccessRecord(aRevocation(key.id)),
    );
    await started(setup);

    expect(setup.registry.catalog.authenticate(key.secret, clock)).toEqual({ ok: false, reason: 'revoked' });
    expect(setup.registry.status()).toMatchObject({ current: true, position: 3 });
    await setup.registry.stop();
  });

  it('when records are written, then write answers once they apply here, with inForceBy a lease after the ack', async () => {
    const setup = setUp();
    await started(setup);
    const key = aRuntimeKey();
    const writing = setup.registry.write([key.record, aRevocation(key.id)]);
    await new Promise((resolve) => setImmediate(resolve));
    await setup.broker.deliver();

    expect(await writing).toEqual({ offset: 1, inForceBy: new Date(clock + config.leaseMs + 100) });
    expect(setup.registry.catalog.key(key.id)?.revokedAt).not.toBeNull();
    await setup.registry.stop();
  });

  it('when the broker refuses a write, then it fails as a retriable 503, not a crash', async () => {
    const setup = setUp();
    await started(setup);
    setup.broker.setReachable(false);
    await expect(setup.registry.write([aRuntimeKey().record])).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      retriable: true,
    });
    await setup.registry.stop();
  });

  it('when keys are used, then nothing is sent until the flush, which sends one key-used record per key', async () => {
    const setup = setUp();
    await started(setup);
    const key = aRuntimeKey();
    for (let i = 0; i < 100; i++) setup.registry.catalog.noteUse(key.id, clock + i);
    setup.registry.catalog.noteUse(bootstrap[0]!.id, clock);
    expect(setup.broker.sends).toEqual([]);

    await setup.registry.flushUsage();
    expect(setup.broker.sends).toEqual([2]);
    expect(setup.broker.log.map((value) => decodeAccessRecord(value))).toEqual([
      { kind: 'key-used', keyId: key.id, at: new Date(clock + 99).toISOString() },
      { kind: 'key-used', keyId: bootstrap[0]!.id, at: new Date(clock).toISOString() },
    ]);
    await setup.registry.flushUsage();
    expect(setup.broker.sends).toEqual([2]);
    await setup.registry.stop();
  });

  it('when a flush fails, then its uses are kept for the next one', async () => {
    const setup = setUp();
    await started(setup);
    setup.registry.catalog.noteUse(bootstrap[0]!.id, clock);
    setup.broker.setReachable(false);
    await setup.registry.flushUsage();
    setup.broker.setReachable(true);
    await setup.registry.flushUsage();
    expect(setup.broker.log).toHaveLength(1);
    await setup.registry.stop();
  });

  it('when the broker is unreachable for longer than the lease, then it is not current and keeps its keys', async () => {
    const setup = setUp();
    const key = aRuntimeKey();
    setup.broker.log.push(encodeAccessRecord(key.record));
    await started(setup);

    setup.broker.setReachable(false);
    clock += config.leaseMs + 1;
    await (setup.registry as unknown as { follower: { refresh(): Promise<void> } }).follower.refresh();

    expect(setup.registry.status()).toMatchObject({ current: false, lastError: 'broker unreachable' });
    expect(setup.registry.catalog.authenticate(key.secret, clock)).toMatchObject({ ok: true });
    await setup.registry.stop();
  });
});
