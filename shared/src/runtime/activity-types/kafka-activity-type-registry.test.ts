import pino from 'pino';
import { aFakeLogKafka } from '../../testing/fake-log-kafka';
import { ActivityTypeCatalog, encodeRegistryRecord, type RegistryRecord } from '../../activity-types';
import { KafkaActivityTypeRegistry } from './kafka-activity-type-registry';

const logger = pino({ level: 'silent' });

const aVersion = (writeId: string, version = 1): RegistryRecord => ({
  kind: 'version',
  writeId,
  type: {
    name: 'VIDEO_PLAY',
    version,
    description: 'A video started',
    metadataSchema: { type: 'object' },
    status: 'active',
    createdAt: '2026-12-05T10:00:00.000Z',
    createdBy: 'key:abc',
  },
});

describe('KafkaActivityTypeRegistry', () => {
  let clock = 0;
  const config = { topic: 'types', refreshMs: 60_000, leaseMs: 50, startTimeoutMs: 1_000 };
  const setUp = () => {
    const broker = aFakeLogKafka();
    const catalog = new ActivityTypeCatalog();
    const registry = new KafkaActivityTypeRegistry(config, { kafka: broker.kafka, catalog, logger, now: () => clock });
    return { broker, catalog, registry };
  };
  beforeEach(() => (clock = 1_000));

  it('when it starts on a log that holds changes, then it has read them all before start resolves, and is current', async () => {
    const { broker, catalog, registry } = setUp();
    broker.log.push(encodeRegistryRecord(aVersion('w1')), 'not a record', encodeRegistryRecord(aVersion('w2', 2)));
    const started = registry.start();
    await broker.deliver();
    await started;

    expect(catalog.current('VIDEO_PLAY')?.version).toBe(2);
    expect(registry.status()).toMatchObject({ current: true, position: 3, endOffset: 3 });
    await registry.stop();
  });

  it('when the broker cannot be asked where the log ends for longer than the lease, then it says it is stale, and keeps its catalog', async () => {
    const { broker, catalog, registry } = setUp();
    broker.log.push(encodeRegistryRecord(aVersion('w1')));
    const started = registry.start();
    await broker.deliver();
    await started;

    broker.setReachable(false);
    clock += config.leaseMs + 1;
    await (registry as unknown as { follower: { refresh(): Promise<void> } }).follower.refresh();

    expect(registry.status()).toMatchObject({ current: false, lastError: 'broker unreachable' });
    expect(catalog.check('VIDEO_PLAY', {}).kind).toBe('planned');
    await registry.stop();
  });

  it('when a write is read back as the winner, then it is answered a lease after the acknowledgement; a lost race is answered won=false', async () => {
    const { broker, registry } = setUp();
    const started = registry.start();
    await started;
    // Another replica's write of version 1 lands first; ours is then a stale version 1.
    broker.log.push(encodeRegistryRecord(aVersion('theirs')));
    const lost = registry.write(aVersion('ours'));
    await new Promise((resolve) => setImmediate(resolve));
    await broker.deliver();
    expect(await lost).toEqual({ offset: 1, won: false });

    const realStart = Date.now();
    const won = registry.write(aVersion('ours-2', 2));
    await new Promise((resolve) => setImmediate(resolve));
    await broker.deliver();
    expect(await won).toEqual({ offset: 2, won: true });
    // The fake clock stands still, so the wait is the whole lease plus the margin, in real time.
    expect(Date.now() - realStart).toBeGreaterThanOrEqual(config.leaseMs + 100 - 5);
    await registry.stop();
  });
});
