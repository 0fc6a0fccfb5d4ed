import { actorErasureHash, type ErasureRecord, type LinkedErasureRecord } from '@uap/shared/contract';
import pino from 'pino';
import { anActivityRecord } from '../testing/in-memory-activity.reader';
import { InMemoryIdentityReader } from '../testing/in-memory-identity.reader';
import { EraseUserUseCase } from './erase-user.use-case';
import type { ProgressSnapshot } from './ports/consumer-progress.port';
import type { ActivityRecord } from './ports/activity-reader.port';
import type { ErasureStore, UserDataEraser } from './ports/erasure.ports';

const KEY = 'test-erasure-key';
const ERASED_AT = new Date('2026-03-01T12:00:00.000Z');

/** The records as the store keeps them, and a promise of the erasure's end (its run is not awaited by start). */
class InMemoryErasureStore implements ErasureStore {
  readonly documents: Array<ErasureRecord | LinkedErasureRecord> = [];
  private resolveFinished!: () => void;
  readonly finished = new Promise<void>((resolve) => (this.resolveFinished = resolve));

  async insert(record: ErasureRecord, linked: readonly LinkedErasureRecord[]): Promise<void> {
    this.documents.push({ ...record }, ...linked);
  }

  async insertLinked(linked: readonly LinkedErasureRecord[]): Promise<void> {
    this.documents.push(...linked);
  }

  async get(erasureId: string): Promise<ErasureRecord | null> {
    return (this.documents.find((d) => d.erasureId === erasureId && 'state' in d) as ErasureRecord) ?? null;
  }

  async finish(erasureId: string, deleted: ErasureRecord['deleted'], at: Date): Promise<void> {
    Object.assign((await this.get(erasureId))!, { state: 'done', deleted, finishedAt: at });
    this.resolveFinished();
  }
}

/** Deletes from the same records the identity reader derives links from, as the stores do; logs each call. */
class InMemoryEraser implements UserDataEraser {
  readonly calls: string[] = [];

  constructor(private readonly records: ActivityRecord[]) {}

  async deleteUser(userId: string, before: Date) {
    this.calls.push(`user ${userId}`);
    return { activities: this.remove((r) => r.userId === userId && r.receivedAt < before), deadLetters: 0 };
  }

  async deleteAnonymous(anonymousIds: readonly string[], before: Date) {
    this.calls.push(`anonymous ${anonymousIds.join(',')}`);
    const erasable = (r: ActivityRecord) =>
      r.userId === undefined && anonymousIds.includes(r.anonymousId!) && r.receivedAt < before;
    return { activities: this.remove(erasable), deadLetters: 0 };
  }

  private remove(matches: (record: ActivityRecord) => boolean): number {
    const before = this.records.length;
    this.records.splice(0, this.records.length, ...this.records.filter((r) => !matches(r)));
    return before - this.records.length;
  }
}

const snapshot: ProgressSnapshot = {
  at: ERASED_AT,
  topic: 'user-activities',
  group: 'worker',
  partitions: [{ partition: 0, committed: 3, end: 5, lag: 2, watermark: null, stalledSince: null }],
  lag: 2,
  watermark: null,
};

const at = (minute: number) => new Date(Date.parse('2026-03-01T10:00:00.000Z') + minute * 60_000);
const link = (userId: string, anonymousId: string, minute: number, type = 'IDENTIFY') =>
  anActivityRecord({ userId, anonymousId, type, occurredAt: at(minute), receivedAt: at(minute) });
const visit = (anonymousId: string, minute: number, userId?: string) =>
  anActivityRecord({ userId, anonymousId, type: 'PAGE_VIEW', occurredAt: at(minute), receivedAt: at(minute) });

function setUp(records: ActivityRecord[], duringCatchUp: () => void = () => undefined) {
  const erasures = new InMemoryErasureStore();
  const eraser = new InMemoryEraser(records);
  const erase = new EraseUserUseCase({
    erasures,
    eraser,
    identities: new InMemoryIdentityReader(records),
    progress: { current: () => snapshot, next: async () => snapshot },
    awaitProcessed: async () => {
      duringCatchUp();
      return true;
    },
    hash: (actor) => actorErasureHash(KEY, actor),
    topic: 'user-activities',
    logger: pino({ level: 'silent' }),
    now: () => ERASED_AT,
  });
  return { erasures, eraser, erase };
}

describe('EraseUserUseCase', () => {
  it('when a user who linked anonymous ids is erased, then the records hold keyed hashes of the user and of each id, and no id in clear', async () => {
    const records = [
      link('alice-in-clear', 'visitor-one-in-clear', 1),
      link('alice-in-clear', 'visitor-two', 2, 'ALIAS'),
    ];
    const { erasures, erase } = setUp(records);

    const record = await erase.start('alice-in-clear');
    await erasures.finished;

    expect(record.userHash).toBe(actorErasureHash(KEY, { userId: 'alice-in-clear' }));
    expect(erasures.documents.slice(1)).toEqual([
      {
        erasureId: `${record.erasureId}.1`,
        userHash: actorErasureHash(KEY, { anonymousId: 'visitor-one-in-clear' }),
        erasedAt: ERASED_AT,
        linkedTo: record.erasureId,
      },
      {
        erasureId: `${record.erasureId}.2`,
        userHash: actorErasureHash(KEY, { anonymousId: 'visitor-two' }),
        erasedAt: ERASED_AT,
        linkedTo: record.erasureId,
      },
    ]);
    expect(JSON.stringify(erasures.documents)).not.toMatch(/in-clear|visitor-two/);
  });

  it('when the user is erased, then their events and the anonymous events of the ids they linked first go; another user’s events stay', async () => {
    const records = [
      visit('visitor-one', 0), // before login: erased with alice
      link('alice', 'visitor-one', 1),
      anActivityRecord({ userId: 'alice', receivedAt: at(3) }),
      visit('visitor-one', 4, 'bob'), // bob, on alice's browser: bob's
      link('bob', 'visitor-one', 5), // a later link: the first one (alice's) wins
      link('bob', 'visitor-bob', 6),
      visit('visitor-bob', 7),
      anActivityRecord({ userId: 'alice', receivedAt: new Date(ERASED_AT.getTime() + 1) }), // after the erasure
    ];
    const kept = [records[3], records[4], records[5], records[6], records[7]];
    const { erasures, erase } = setUp(records);

    await erase.start('alice');
    await erasures.finished;

    expect(records).toEqual(kept);
    expect(erasures.documents[0]).toMatchObject({ state: 'done', deleted: { activities: 3, deadLetters: 0 } });
  });

  it('when each pass runs, then the anonymous ids are erased before the user, whose events hold the links (a repeated DELETE finds them again)', async () => {
    const { erasures, eraser, erase } = setUp([link('alice', 'visitor-one', 1)]);

    await erase.start('alice');
    await erasures.finished;

    expect(eraser.calls).toEqual(['anonymous visitor-one', 'user alice', 'anonymous visitor-one', 'user alice']);
  });

  it('when a link is stored by the chunk being written as the erasure starts, then the second pass erases its anonymous id too and files its hash', async () => {
    const records = [link('alice', 'visitor-one', 1)];
    const { erasures, eraser, erase } = setUp(records, () => {
      if (records.some((r) => r.anonymousId === 'visitor-late')) return;
      records.push(visit('visitor-late', 2), link('alice', 'visitor-late', 3));
    });

    const record = await erase.start('alice');
    await erasures.finished;

    expect(records).toEqual([]);
    expect(eraser.calls.slice(2)).toEqual(['anonymous visitor-one,visitor-late', 'user alice']);
    expect(erasures.documents.at(-1)).toEqual({
      erasureId: `${record.erasureId}.2`,
      userHash: actorErasureHash(KEY, { anonymousId: 'visitor-late' }),
      erasedAt: ERASED_AT,
      linkedTo: record.erasureId,
    });
  });

  it('when the user linked no anonymous id, then only the user’s events are erased and no linked record is filed', async () => {
    const records = [anActivityRecord({ userId: 'alice' }), visit('visitor-one', 1)];
    const { erasures, eraser, erase } = setUp(records);

    await erase.start('alice');
    await erasures.finished;

    expect(eraser.calls).toEqual(['user alice', 'user alice']);
    expect(erasures.documents).toHaveLength(1);
    expect(records.map((r) => r.anonymousId)).toEqual(['visitor-one']);
  });
});
