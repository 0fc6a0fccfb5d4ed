import type { Admin, ITopicConfig } from 'kafkajs';
import pino from 'pino';
import {
  ensureReplicatedTopics,
  ReplicationFactorSchema,
  resolveReplication,
  type ReplicationSettings,
} from './topic-replication';

interface FakeTopic {
  replicas: number;
  minIsr?: number;
}

/** An admin client over an in-memory cluster: just the calls topic creation makes. */
function aCluster(brokers: number, topics: Record<string, FakeTopic> = {}) {
  const created: ITopicConfig[] = [];
  const admin = {
    describeCluster: async () => ({
      brokers: Array.from({ length: brokers }, (_, i) => ({ nodeId: i + 1, host: '127.0.0.1', port: 9092 + i })),
      controller: 1,
      clusterId: 'fake',
    }),
    listTopics: async () => Object.keys(topics),
    createTopics: async ({ topics: list }: { topics: ITopicConfig[] }) => {
      for (const t of list) {
        created.push(t);
        const isr = t.configEntries?.find((e) => e.name === 'min.insync.replicas')?.value;
        topics[t.topic] = { replicas: t.replicationFactor ?? 1, ...(isr ? { minIsr: Number(isr) } : {}) };
      }
      return true;
    },
    fetchTopicMetadata: async ({ topics: names }: { topics: string[] }) => ({
      topics: names.map((name) => ({
        name,
        partitions: [0, 1].map((partition) => ({
          partition,
          replicas: Array.from({ length: topics[name]!.replicas }, (_, i) => i + 1),
        })),
      })),
    }),
    describeConfigs: async ({ resources }: { resources: Array<{ name: string }> }) => ({
      resources: resources.map((r) => ({
        resourceName: r.name,
        configEntries:
          topics[r.name]?.minIsr === undefined
            ? [{ configName: 'min.insync.replicas', configValue: '1' }]
            : [{ configName: 'min.insync.replicas', configValue: String(topics[r.name]!.minIsr) }],
      })),
    }),
  };
  return { admin: admin as unknown as Admin, created, topics };
}

const AUTO: ReplicationSettings = { replicationFactor: 'auto', minInsyncReplicas: 'auto' };

function capturingLogger() {
  const lines: Array<{ level: number; msg: string; topic?: string }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, warnings: () => lines.filter((l) => l.level === 40) };
}

describe('topic replication', () => {
  it.each([
    [1, 1, 1],
    [2, 2, 1],
    [3, 3, 2],
    [5, 3, 2],
  ])(
    'when the cluster has %i broker(s) and replication is auto, then RF %i and min ISR %i',
    async (brokers, rf, isr) => {
      const { admin } = aCluster(brokers);
      await expect(resolveReplication(admin, AUTO)).resolves.toEqual({
        replicationFactor: rf,
        minInsyncReplicas: isr,
        brokers,
      });
    },
  );

  it('when the replication factor is the broker default, then min ISR is left to the broker too', async () => {
    const { admin } = aCluster(3);
    await expect(resolveReplication(admin, { replicationFactor: -1, minInsyncReplicas: 'auto' })).resolves.toEqual({
      replicationFactor: -1,
      minInsyncReplicas: undefined,
      brokers: 3,
    });
  });

  it('when more replicas are configured than the cluster has brokers, then start-up fails saying so', async () => {
    const { admin } = aCluster(1);
    await expect(resolveReplication(admin, { replicationFactor: 3, minInsyncReplicas: 'auto' })).rejects.toThrow(
      /replication factor 3 is configured but the cluster has 1 broker/,
    );
  });

  it('when min ISR exceeds the replication factor, then start-up fails (no write could be acknowledged)', async () => {
    const { admin } = aCluster(3);
    await expect(resolveReplication(admin, { replicationFactor: 2, minInsyncReplicas: 3 })).rejects.toThrow(
      /min.insync.replicas 3 exceeds the replication factor 2/,
    );
  });

  it('when topics are missing on 3 brokers, then they are created with RF 3 and min.insync.replicas=2, configs kept', async () => {
    const { admin, created } = aCluster(3);
    const { logger, warnings } = capturingLogger();
    const result = await ensureReplicatedTopics(
      admin,
      [
        { topic: 'acts', numPartitions: 6, configEntries: [{ name: 'retention.ms', value: '1000' }] },
        { topic: 'acts.dlq', numPartitions: 1 },
      ],
      AUTO,
      logger,
    );
    expect(result.created).toEqual(['acts', 'acts.dlq']);
    expect(created).toEqual([
      {
        topic: 'acts',
        numPartitions: 6,
        replicationFactor: 3,
        configEntries: [
          { name: 'retention.ms', value: '1000' },
          { name: 'min.insync.replicas', value: '2' },
        ],
      },
      {
        topic: 'acts.dlq',
        numPartitions: 1,
        replicationFactor: 3,
        configEntries: [{ name: 'min.insync.replicas', value: '2' }],
      },
    ]);
    expect(warnings()).toEqual([]);
  });

  it('when an existing topic has fewer replicas than configured, then it is left alone and a warning names it', async () => {
    const { admin, created } = aCluster(3, { acts: { replicas: 1 }, 'acts.dlq': { replicas: 3, minIsr: 2 } });
    const { logger, warnings } = capturingLogger();
    await ensureReplicatedTopics(
      admin,
      [
        { topic: 'acts', numPartitions: 6 },
        { topic: 'acts.dlq', numPartitions: 1 },
      ],
      AUTO,
      logger,
    );
    expect(created).toEqual([]);
    expect(warnings().map((w) => w.topic)).toEqual(['acts']);
    expect(warnings()[0]!.msg).toMatch(/replicated less than configured/);
  });

  it('when an existing topic has enough replicas but a lower min ISR, then that is warned about too', async () => {
    const { admin } = aCluster(3, { acts: { replicas: 3 } });
    const { logger, warnings } = capturingLogger();
    await ensureReplicatedTopics(admin, [{ topic: 'acts', numPartitions: 6 }], AUTO, logger);
    expect(warnings().map((w) => w.topic)).toEqual(['acts']);
  });

  it.each([['0'], ['-2'], ['three'], ['11']])(
    'when the replication factor is %s, then the config is refused',
    (value) => {
      expect(ReplicationFactorSchema.safeParse(value).success).toBe(false);
    },
  );

  it.each([
    ['auto', 'auto'],
    ['-1', -1],
    ['3', 3],
  ])('when the replication factor is %s, then it parses', (value, parsed) => {
    expect(ReplicationFactorSchema.parse(value)).toBe(parsed);
  });
});
