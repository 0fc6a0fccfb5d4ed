import { ActivityTypeCatalog } from '@uap/shared/activity-types';
import { HEADERS } from '@uap/shared/contract';
import { aDeadLetterRecord, anActivity } from '@uap/shared/testing';
import pino from 'pino';
import type { ReplayRequest } from '../domain/replay-job';
import {
  InMemoryDeadLetterStore,
  InMemoryMessagePublisher,
  InMemoryReplayJobStore,
} from '../testing/in-memory-dead-letters';
import { ReplayDeadLettersUseCase } from './replay-dead-letters.use-case';
import { ReplayJobRunner } from './replay-job.runner';

const logger = pino({ level: 'silent' });
const JOB_START = new Date('2026-11-28T12:00:00.000Z');

function setUp(owner = 'api-1', types = new ActivityTypeCatalog()) {
  const letters = new InMemoryDeadLetterStore();
  const jobs = new InMemoryReplayJobStore();
  const publisher = new InMemoryMessagePublisher();
  let clock = JOB_START.getTime();
  const now = () => new Date(clock);
  const runnerOf = (name: string) =>
    new ReplayJobRunner(
      { owner: name, leaseMs: 30_000, pollMs: 1_000, pageSize: 10 },
      { letters, jobs, publisher, types, logger, now, sleep: async (ms) => void (clock += ms) },
    );
  const runner = runnerOf(owner);
  const replays = new ReplayDeadLettersUseCase({ jobs, kick: () => undefined, now });
  const request = (overrides: Partial<ReplayRequest> = {}): ReplayRequest => ({
    filter: {},
    dryRun: false,
    ratePerSec: 10_000,
    ...overrides,
  });
  return { letters, jobs, publisher, runner, runnerOf, replays, request, now, advance: (ms: number) => (clock += ms) };
}

const invalidJson = (n: number) => aDeadLetterRecord({ reason: 'invalid-json', payload: `{bad ${n}`, payloadBytes: 6 });
const wrongVersion = () =>
  aDeadLetterRecord({ reason: 'unknown-schema-version', payload: JSON.stringify({ schemaVersion: 9 }) });

describe('ReplayJobRunner', () => {
  it('when a dry run covers letters of three reasons, then it counts exactly what would pass and what still fails, and changes nothing', async () => {
    const { letters, jobs, publisher, runner, replays, request } = setUp();
    letters.add(
      ...Array.from({ length: 25 }, () => aDeadLetterRecord()),
      ...Array.from({ length: 7 }, (_, i) => invalidJson(i)),
      ...Array.from({ length: 3 }, () => wrongVersion()),
    );
    const before = structuredClone(letters.letters);

    const job = await replays.start(request({ dryRun: true }));
    await runner.runAvailable();

    const done = (await jobs.get(job.jobId))!;
    expect(done.state).toBe('done');
    expect(done.counts).toEqual({
      scanned: 35,
      wouldPass: 25,
      published: 0,
      skipped: 0,
      stillFailing: { 'invalid-json': 7, 'unknown-schema-version': 3 },
    });
    expect(done.samples).toHaveLength(10);
    expect(publisher.sent).toEqual([]);
    expect(letters.letters).toEqual(before);
  });

  it('when a letter’s type was unplanned when it failed and is planned now, then a dry run says it would pass; before, it still fails', async () => {
    const types = new ActivityTypeCatalog();
    const { letters, jobs, runner, replays, request } = setUp('api-1', types);
    letters.add(
      aDeadLetterRecord({
        reason: 'schema-violation',
        payload: JSON.stringify(anActivity({ type: 'REFUND', metadata: {} })),
      }),
    );

    const before = await replays.start(request({ dryRun: true }));
    await runner.runAvailable();
    types.apply(
      {
        kind: 'version',
        writeId: 'w1',
        type: {
          name: 'REFUND',
          version: 1,
          description: 'A purchase was refunded',
          metadataSchema: { type: 'object' },
          status: 'active',
          createdAt: JOB_START.toISOString(),
          createdBy: 'key:test',
        },
      },
      0,
    );
    const after = await replays.start(request({ dryRun: true }));
    await runner.runAvailable();

    expect((await jobs.get(before.jobId))!.counts).toMatchObject({
      wouldPass: 0,
      stillFailing: { 'schema-violation': 1 },
    });
    expect((await jobs.get(after.jobId))!.counts).toMatchObject({ wouldPass: 1, stillFailing: {} });
  });

  it('when letters are replayed, then each valid one is republished with its key, value and original headers plus replay headers, and marked replayed', async () => {
    const { letters, jobs, publisher, runner, replays, request } = setUp();
    const valid = aDeadLetterRecord({ replayCount: 1 });
    letters.add(valid, invalidJson(1));

    const job = await replays.start(request());
    await runner.runAvailable();

    expect(publisher.sent).toEqual([
      {
        key: valid.key,
        value: valid.payload,
        headers: { [HEADERS.requestId]: 'req-1', [HEADERS.replayJob]: job.jobId, [HEADERS.replayCount]: '2' },
      },
    ]);
    expect(letters.letters.map((l) => [l.status, l.replayJob])).toEqual([
      ['replayed', job.jobId],
      ['dead', undefined],
    ]);
    expect((await jobs.get(job.jobId))!.counts).toMatchObject({ published: 1, stillFailing: { 'invalid-json': 1 } });
  });

  it('when a letter kept no key, then it is republished under its actor’s key: the userId, else anonymous:<anonymousId>', async () => {
    const { letters, publisher, runner, replays, request } = setUp();
    const payload = (overrides: Parameters<typeof anActivity>[0]) => JSON.stringify(anActivity(overrides));
    letters.add(
      aDeadLetterRecord({ key: null, payload: payload({ userId: 'alice', anonymousId: 'anon-1' }) }),
      aDeadLetterRecord({ key: null, payload: payload({ userId: undefined, anonymousId: 'anon-2' }) }),
    );

    await replays.start(request());
    await runner.runAvailable();

    expect(publisher.sent.map((m) => m.key)).toEqual(['alice', 'anonymous:anon-2']);
  });

  it('when the broker fails mid-job, then the job pauses without losing its place, and a later pass finishes it with each letter sent once', async () => {
    const { letters, jobs, publisher, runner, replays, request } = setUp();
    letters.add(...Array.from({ length: 30 }, () => aDeadLetterRecord()));
    const job = await replays.start(request());
    let pages = 0;
    publisher.onPublish = () => {
      if (++pages === 2) publisher.failNext(1);
    };

    await runner.runAvailable();
    const paused = (await jobs.get(job.jobId))!;
    await runner.runAvailable();

    expect(paused.state).toBe('running');
    expect(paused.counts.published).toBe(20);
    const done = (await jobs.get(job.jobId))!;
    expect(done).toMatchObject({ state: 'done', counts: { published: 30, scanned: 30 } });
    expect(new Set(publisher.sent.map((m) => m.value)).size).toBe(30);
    expect(publisher.sent).toHaveLength(30);
  });

  it('when a job dies after sending a page but before saving it, then the instance that resumes counts those letters once without sending them again', async () => {
    const { letters, jobs, publisher, runnerOf, replays, request, advance } = setUp();
    letters.add(...Array.from({ length: 15 }, () => aDeadLetterRecord()));
    const job = await replays.start(request());
    const first = runnerOf('api-1');
    // The first instance sends and marks one page, then dies before saving its progress.
    const realSave = jobs.save.bind(jobs);
    jobs.save = async () => {
      throw Object.assign(new Error('killed'), { retriable: true });
    };
    await first.runAvailable();
    jobs.save = realSave;
    expect(publisher.sent).toHaveLength(10);

    advance(31_000);
    await runnerOf('api-2').runAvailable();

    const done = (await jobs.get(job.jobId))!;
    expect(done).toMatchObject({ state: 'done', counts: { scanned: 15, published: 15 } });
    expect(publisher.sent).toHaveLength(15);
  });

  it('when a letter is parked, then a replay skips it unless it is asked for by id', async () => {
    const { letters, jobs, publisher, runner, replays, request } = setUp();
    const parked = aDeadLetterRecord({ status: 'parked', replayCount: 4 });
    letters.add(parked, aDeadLetterRecord());

    const byFilter = await replays.start(request());
    await runner.runAvailable();
    const byId = await replays.start(request({ filter: { letterIds: [parked.letterId] } }));
    await runner.runAvailable();

    expect((await jobs.get(byFilter.jobId))!.counts).toMatchObject({ published: 1, skipped: 1 });
    expect((await jobs.get(byId.jobId))!.counts).toMatchObject({ published: 1, skipped: 0 });
    expect(publisher.sent.at(-1)!.headers[HEADERS.replayCount]).toBe('5');
  });

  it('when letters failed after the job began (its own replays failing again), then the job does not take them', async () => {
    const { letters, jobs, runner, replays, request } = setUp();
    letters.add(aDeadLetterRecord({ failedAt: new Date(JOB_START.getTime() + 1) }), aDeadLetterRecord());

    const job = await replays.start(request());
    await runner.runAvailable();

    expect((await jobs.get(job.jobId))!.counts).toMatchObject({ scanned: 1, published: 1 });
  });

  it('when max is set, then the job takes at most that many letters', async () => {
    const { letters, jobs, runner, replays, request } = setUp();
    letters.add(...Array.from({ length: 25 }, () => aDeadLetterRecord()));

    const job = await replays.start(request({ max: 12 }));
    await runner.runAvailable();

    expect((await jobs.get(job.jobId))!).toMatchObject({ state: 'done', counts: { scanned: 12, published: 12 } });
  });

  it('when ratePerSec is low, then publishes are paced to it', async () => {
    const { letters, runner, replays, request, publisher, now } = setUp();
    letters.add(...Array.from({ length: 30 }, () => aDeadLetterRecord()));

    await replays.start(request({ ratePerSec: 10 }));
    await runner.runAvailable();

    expect(publisher.sent).toHaveLength(30);
    // 30 letters at 10/s, one a group: the waits moved the fake clock by 29 × 100 ms.
    expect(now().getTime() - JOB_START.getTime()).toBe(2_900);
  });
});

describe('ReplayDeadLettersUseCase', () => {
  it('when a second job overlaps a running one, then it is a conflict; a disjoint one or a dry run is not', async () => {
    const { replays, request } = setUp();
    await replays.start(request({ filter: { reason: 'schema-violation' } }));

    await expect(replays.start(request({ filter: { userId: 'alice' } }))).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(replays.start(request({ filter: { reason: 'invalid-json' } }))).resolves.toMatchObject({
      state: 'running',
    });
    await expect(replays.start(request({ dryRun: true }))).resolves.toMatchObject({ state: 'running' });
  });

  it('when a running job is cancelled, then it stops after the page in hand and the letters not reached stay dead', async () => {
    const { letters, jobs, runner, replays, request } = setUp();
    letters.add(...Array.from({ length: 30 }, () => aDeadLetterRecord()));
    const job = await replays.start(request());
    const realSave = jobs.save.bind(jobs);
    jobs.save = async (...args) => {
      const saved = await realSave(...args);
      await jobs.cancel(job.jobId, new Date());
      return saved;
    };

    await runner.runAvailable();

    const cancelled = (await jobs.get(job.jobId))!;
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.counts.published).toBe(10);
    expect(letters.letters.filter((l) => l.status === 'dead')).toHaveLength(20);
    await expect(replays.cancel(job.jobId)).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});
