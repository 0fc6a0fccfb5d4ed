import type { ActivityEvent } from '@uap/shared/contract';
import { anActivity } from '@uap/shared/testing';
import { AssignerProtocol } from 'kafkajs';
import { requiredEnv } from '../../test/support/integration';
import { TcpProxy } from '../../test/support/tcp-proxy';
import { waitUntil } from '../../test/support/wait-until';
import { WorkerProcess } from '../../test/support/worker-process';
import { WorkerTestbed } from './testing/worker-testbed';

const someEvents = (count: number, tag: string): ActivityEvent[] =>
  Array.from({ length: count }, (_, i) => anActivity({ userId: `${tag}-${i % 23}`, metadata: { i } }));

async function expectEachStoredOnce(bed: WorkerTestbed, events: readonly ActivityEvent[]): Promise<void> {
  const counts = await bed.storedCounts(events.map((e) => e.eventId));
  const notOnce = [...counts].filter(([, n]) => n !== 1);
  expect(notOnce).toEqual([]);
  expect(await bed.activities.countDocuments({})).toBe(events.length);
}

describe('the activity worker when a worker process is killed', () => {
  const bed = new WorkerTestbed(4);
  const workers: WorkerProcess[] = [];
  const start = async (name: string, env: Record<string, string> = {}) => {
    const worker = await WorkerProcess.start(name, bed.workerEnv(env));
    workers.push(worker);
    return worker;
  };
  const logsOfAll = () => workers.map((w) => w.tail(15)).join('\n');

  beforeAll(() => bed.setUp());
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await bed.tearDown();
  });

  it('when one of two workers is SIGKILLed mid-stream and a new one starts, then every event is stored exactly once', async () => {
    // Small chunks, so the kill lands between commits of a partly processed batch.
    const env = { WRITE_CHUNK_SIZE: '25' };
    const a = await start('a', env);
    await a.waitUntilReady();
    const b = await start('b', env);
    await b.waitUntilReady();
    // Scale-out: both members hold partitions of the one topic.
    await waitUntil(
      'both workers to hold partitions',
      async () => {
        const [group] = (await bed.admin.describeGroups([bed.group])).groups;
        const owned = group?.members.map(
          (m) =>
            Object.values(AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {}).flat().length,
        );
        return group?.state === 'Stable' && owned?.length === 2 && owned.every((n) => n > 0) ? true : undefined;
      },
      { timeoutMs: 30_000, describe: logsOfAll },
    );

    const events = someEvents(3_000, 'kill');
    const producing = (async () => {
      for (let i = 0; i < events.length; i += 100) {
        await bed.produce(events.slice(i, i + 100));
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
    })();
    await waitUntil(
      'the workers to be mid-stream',
      async () => ((await bed.activities.countDocuments({})) >= 300 ? true : undefined),
      { timeoutMs: 30_000, describe: logsOfAll },
    );
    a.kill('SIGKILL');
    expect(await a.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const storedAtKill = await bed.activities.countDocuments({});
    await producing;

    const c = await start('c', env);
    await c.waitUntilReady();
    await bed.waitUntilStored(
      events.map((e) => e.eventId),
      60_000,
      logsOfAll,
    );

    expect(storedAtKill).toBeLessThan(events.length);
    await expectEachStoredOnce(bed, events);
    expect([b.isRunning, c.isRunning]).toEqual([true, true]);
  }, 150_000);
});

describe('the activity worker when the store is unreachable for a while', () => {
  const bed = new WorkerTestbed(2);
  let proxy: TcpProxy;
  let worker: WorkerProcess;

  beforeAll(async () => {
    await bed.setUp();
    const store = new URL(requiredEnv('MONGO_URL'));
    proxy = await TcpProxy.start({ host: store.hostname, port: Number(store.port || 27017) });
    // directConnection: the driver must not try to discover the store's own address behind the proxy.
    const proxiedUrl = `mongodb://127.0.0.1:${proxy.port}/?directConnection=true`;
    worker = await WorkerProcess.start('outage', bed.workerEnv({ MONGO_URL: proxiedUrl }));
    await worker.waitUntilReady();
  });

  afterAll(async () => {
    await worker?.stop();
    await proxy?.close();
    await bed.tearDown();
  });

  it('when events are produced during the outage, then all are stored once it ends, none lost', async () => {
    const before = someEvents(100, 'before');
    await bed.produce(before);
    await bed.waitUntilStored(
      before.map((e) => e.eventId),
      30_000,
      () => worker.tail(),
    );

    proxy.cut();
    const during = someEvents(400, 'during');
    for (let i = 0; i < during.length; i += 100) await bed.produce(during.slice(i, i + 100));
    const unready = await waitUntil(
      'the worker to report the store unavailable',
      async () => {
        const { status, body } = await worker.readiness();
        return status === 503 && body.stats.retries > 0 ? body : undefined;
      },
      { timeoutMs: 20_000, describe: () => worker.tail() },
    );
    // Several seconds of outage, with the worker retrying and nothing new reaching the store.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const storedDuringOutage = await bed.activities.countDocuments({});
    proxy.restore();

    await bed.waitUntilStored(
      during.map((e) => e.eventId),
      45_000,
      () => worker.tail(),
    );
    const ready = await worker.waitUntilReady(20_000);

    expect(unready.store).toMatch(/^unavailable/);
    expect(storedDuringOutage).toBe(before.length);
    // Everything this worker inserted, each once; a write retried after a cut reply shows up as a duplicate.
    expect(ready.stats.inserted).toBe(before.length + during.length);
    await expectEachStoredOnce(bed, [...before, ...during]);
    expect(worker.isRunning).toBe(true);
  }, 120_000);
});
