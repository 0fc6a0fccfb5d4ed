import pino from 'pino';
import { aFakeLogKafka } from '@uap/shared/testing';
import { hashApiKey, parseApiKeys } from '../../domain/api-key';
import { decodeAccessRecord, encodeAccessRecord } from '../../domain/access/access-record';
import { aRevocation, aRuntimeKey } from '../../testing/access.fixtures';
import { KafkaAccessRegistry } from './kafka-access.registry';

const logger = pino({ level: 'silent' });

describe('KafkaAccessRegistry', () => {
  let clock = 0;
  const config = { topic: 'access', refreshMs: 60_000, leaseMs: 1_500, startTimeoutMs: 1_000, usageFlushMs: 60_000 };
  const bootstrap = parseApiKeys(`${hashApiKey('boot')}:admin`).entries;
  const setUp = () => {
    const broker = aFakeLogKafka();
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
