import { randomBytes } from 'node:crypto';
import type { ErasureRecord } from '@uap/shared/contract';
import type { Logger } from '@uap/shared/runtime';
import { DomainError } from '../domain/domain-error';
import type { ConsistencyToken } from '../domain/receipt';
import type { ConsumerProgress } from './ports/consumer-progress.port';
import type { ErasureStore, UserDataEraser } from './ports/erasure.ports';

export interface EraseUserDeps {
  erasures: ErasureStore;
  eraser: UserDataEraser;
  progress: ConsumerProgress;
  /** Resolves true once the worker group processed past every position (at most `waitMs`). */
  awaitProcessed: (token: ConsistencyToken, waitMs: number) => Promise<boolean>;
  hash: (userId: string) => string;
  topic: string;
  logger: Logger;
  /** How long an erasure waits for the worker to get past what was in the topic at the erasure. */
  catchUpMs?: number;
  now?: () => Date;
}

const CATCH_UP_STEP_MS = 10_000;

/**
 * Erases one user's activities: records the erasure (a keyed hash and the time, never the userId),
 * deletes what is stored, waits until the worker has processed everything that was in the topic at
 * that moment, and deletes once more. The record makes the worker drop the user's events accepted
 * before the erasure; the second pass catches a chunk that was being written as the record appeared.
 * Events accepted after the erasure are the user's new activity and are kept.
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
    const record: ErasureRecord = {
      erasureId: `er_${randomBytes(9).toString('base64url')}`,
      userHash: this.deps.hash(userId),
      erasedAt: this.now(),
      state: 'running',
      deleted: { activities: 0, deadLetters: 0 },
    };
    await this.deps.erasures.insert(record);
    // Everything accepted before the record existed is below these ends (end offsets only grow).
    const ends: ConsistencyToken = {
      topic: this.deps.topic,
      positions: new Map(
        snapshot.partitions.filter((p) => p.end > 0).map((p) => [p.partition, Math.max(0, p.end - 1)] as const),
      ),
    };
    void this.run(record, userId, ends).catch((err: unknown) =>
      this.log.error({ err, erasureId: record.erasureId }, 'erasure failed; issue the DELETE again (it is idempotent)'),
    );
    return record;
  }

  async get(erasureId: string): Promise<ErasureRecord> {
    const record = await this.deps.erasures.get(erasureId);
    if (!record) throw new DomainError('NOT_FOUND', `No erasure ${erasureId}`);
    return record;
  }

  private async run(record: ErasureRecord, userId: string, ends: ConsistencyToken): Promise<void> {
    const first = await this.deps.eraser.deleteUser(userId, record.erasedAt);
    const deadline = this.now().getTime() + (this.deps.catchUpMs ?? 10 * 60_000);
    let caughtUp = ends.positions.size === 0;
    while (!caughtUp && this.now().getTime() < deadline) {
      caughtUp = await this.deps.awaitProcessed(ends, CATCH_UP_STEP_MS);
    }
    if (!caughtUp)
      this.log.warn({ erasureId: record.erasureId }, 'the worker did not catch up in time; deleting again anyway');
    const second = await this.deps.eraser.deleteUser(userId, record.erasedAt);
    const deleted = {
      activities: first.activities + second.activities,
      deadLetters: first.deadLetters + second.deadLetters,
    };
    await this.deps.erasures.finish(record.erasureId, deleted, this.now());
    this.log.info({ erasureId: record.erasureId, deleted }, 'user erased');
  }
}
