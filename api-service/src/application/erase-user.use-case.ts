import { randomBytes } from 'node:crypto';
import { linkedErasureRecords, type ActivityActor, type ErasureRecord } from '@uap/shared/contract';
import type { Logger } from '@uap/shared/runtime';
import { DomainError } from '../domain/domain-error';
import type { ConsistencyToken } from '../domain/receipt';
import type { ConsumerProgress } from './ports/consumer-progress.port';
import type { ErasureStore, UserDataEraser } from './ports/erasure.ports';
import type { IdentityReader } from './ports/identity-reader.port';

export interface EraseUserDeps {
  erasures: ErasureStore;
  eraser: UserDataEraser;
  /** The anonymous ids the user linked first, erased with the user. */
  identities: IdentityReader;
  progress: ConsumerProgress;
  /** Resolves true once the worker group processed past every position (at most `waitMs`). */
  awaitProcessed: (token: ConsistencyToken, waitMs: number) => Promise<boolean>;
  /** The keyed hash erasures are filed under (actorErasureHash): of a userId, or of an anonymous id. */
  hash: (actor: ActivityActor) => string;
  topic: string;
  logger: Logger;
  /** How long an erasure waits for the worker to get past what was in the topic at the erasure. */
  catchUpMs?: number;
  now?: () => Date;
}

const CATCH_UP_STEP_MS = 10_000;

const add = (a: ErasureRecord['deleted'], b: ErasureRecord['deleted']): ErasureRecord['deleted'] => ({
  activities: a.activities + b.activities,
  deadLetters: a.deadLetters + b.deadLetters,
});

/**
 * Erases one user's activities, and what the anonymous ids the user linked first did before any userId was known
 * (the earliest link of an anonymous id names its user; the profile and the links are derived from the events, so
 * they go with them). It records the erasure (keyed hashes and the time, never an id), deletes what is stored,
 * waits until the worker has processed everything that was in the topic at that moment, and deletes once more.
 * The records make the worker drop the events of the user and of those ids accepted before the erasure; the second
 * pass catches a chunk that was being written as the records appeared, and reads the links again for one in it.
 * Events accepted after the erasure are new activity and are kept.
 *
 * Each pass erases the anonymous ids before the user: the links are the user's events, so an erasure stopped
 * between the two (a crash) and asked again still finds the same ids.
 */
export class EraseUserUseCase {
  private readonly now: () => Date;
  private readonly log: Logger;

  constructor(private readonly deps: EraseUserDeps) {
    this.now = deps.now ?? (() => new Date());
    this.log = deps.logger.child({ component: 'erase-user' });
  }

  async start(userId: string): Promise<ErasureRecord> {
    const snapshot = this.deps.progress.current() ?? (await this.deps.progress.next().catch(() => undefined));
    if (!snapshot) {
      throw new DomainError('SERVICE_UNAVAILABLE', 'The stream’s position cannot be read; retry shortly', {
        retriable: true,
      });
    }
    const anonymousIds = await this.deps.identities.linkedAnonymousIds(userId);
    const record: ErasureRecord = {
      erasureId: `er_${randomBytes(9).toString('base64url')}`,
      userHash: this.deps.hash({ userId }),
      erasedAt: this.now(),
      state: 'running',
      deleted: { activities: 0, deadLetters: 0 },
    };
    await this.deps.erasures.insert(record, this.linkedRecords(record, anonymousIds, 1));
    // Everything accepted before the record existed is below these ends (end offsets only grow).
    const ends: ConsistencyToken = {
      topic: this.deps.topic,
      positions: new Map(
        snapshot.partitions.filter((p) => p.end > 0).map((p) => [p.partition, Math.max(0, p.end - 1)] as const),
      ),
    };
    void this.run(record, userId, anonymousIds, ends).catch((err: unknown) =>
      this.log.error({ err, erasureId: record.erasureId }, 'erasure failed; issue the DELETE again (it is idempotent)'),
    );
    return record;
  }

  async get(erasureId: string): Promise<ErasureRecord> {
    const record = await this.deps.erasures.get(erasureId);
    if (!record) throw new DomainError('NOT_FOUND', `No erasure ${erasureId}`);
    return record;
  }

  private async run(
    record: ErasureRecord,
    userId: string,
    anonymousIds: readonly string[],
    ends: ConsistencyToken,
  ): Promise<void> {
    const first = await this.erase(userId, anonymousIds, record.erasedAt);
    const deadline = this.now().getTime() + (this.deps.catchUpMs ?? 10 * 60_000);
    let caughtUp = ends.positions.size === 0;
    while (!caughtUp && this.now().getTime() < deadline) {
      caughtUp = await this.deps.awaitProcessed(ends, CATCH_UP_STEP_MS);
    }
    if (!caughtUp)
      this.log.warn({ erasureId: record.erasureId }, 'the worker did not catch up in time; deleting again anyway');
    const found = (await this.deps.identities.linkedAnonymousIds(userId)).filter((id) => !anonymousIds.includes(id));
    if (found.length > 0) {
      await this.deps.erasures.insertLinked(this.linkedRecords(record, found, anonymousIds.length + 1));
    }
    const second = await this.erase(userId, [...anonymousIds, ...found], record.erasedAt);
    const deleted = add(first, second);
    await this.deps.erasures.finish(record.erasureId, deleted, this.now());
    this.log.info(
      { erasureId: record.erasureId, deleted, anonymousIds: anonymousIds.length + found.length },
      'user erased',
    );
  }

  private async erase(userId: string, anonymousIds: readonly string[], before: Date) {
    const anonymous =
      anonymousIds.length > 0
        ? await this.deps.eraser.deleteAnonymous(anonymousIds, before)
        : { activities: 0, deadLetters: 0 };
    return add(anonymous, await this.deps.eraser.deleteUser(userId, before));
  }

  private linkedRecords(record: ErasureRecord, anonymousIds: readonly string[], first: number) {
    const hashes = anonymousIds.map((anonymousId) => this.deps.hash({ anonymousId }));
    return linkedErasureRecords(record, hashes, first);
  }
}
