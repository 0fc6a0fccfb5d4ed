import {
  applyEntries,
  byHour,
  countsOf,
  emptyRollup,
  hourIdOf,
  type ActivityEvent,
  type ActivityType,
  type DeadLetterRecord,
  type RollupDocument,
  type RollupEntry,
} from '@uap/shared/contract';
import type { ActivityRollups } from '../application/ports/activity-rollups.port';
import type {
  ActivityRepository,
  EventCopy,
  InsertOutcome,
  RejectedWrite,
  StoredPosition,
} from '../application/ports/activity.repository.port';
import type { DeadLetterIndex } from '../application/ports/dead-letter.index.port';
import type { DeadLetter, DeadLetterPublisher } from '../application/ports/dead-letter.publisher.port';
import { DeadLetterUnavailableError, StoreUnavailableError, StoreWriteError } from '../application/retriable.errors';

/**
 * How the fake store refuses a document: MongoDB names it in a per-document write error; FerretDB on
 * PostgreSQL fails the whole insert after writing the documents before it.
 */
export type RefusalStyle = 'per-document' | 'whole-write';

/**
 * A store keyed by eventId, like the unique index. `failNextWrites(n)` simulates an outage (writes
 * and pings fail); `refuse(predicate, style)` makes it refuse some documents for good.
 */
export class InMemoryActivityRepository implements ActivityRepository {
  readonly stored = new Map<string, ActivityEvent & { persistedAt: Date; partition: number; offset: string }>();
  writeAttempts = 0;
  pings = 0;
  private failuresLeft = 0;
  private wholeWriteFlukesLeft = 0;
  private refusal?: { refuses: (event: ActivityEvent) => boolean; style: RefusalStyle };

  failNextWrites(count: number): this {
    this.failuresLeft = count;
    return this;
  }

  /** The next writes fail as a whole while pings still answer, then the store recovers. */
  flukeNextWrites(count: number): this {
    this.wholeWriteFlukesLeft = count;
    return this;
  }

  refuse(refuses: (event: ActivityEvent) => boolean, style: RefusalStyle): this {
    this.refusal = { refuses, style };
    return this;
  }

  async insertNew(copies: readonly EventCopy[], persistedAt: Date): Promise<InsertOutcome> {
    this.writeAttempts++;
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new StoreUnavailableError('store is down (fake)');
    }
    if (this.wholeWriteFlukesLeft > 0) {
      this.wholeWriteFlukesLeft--;
      throw new StoreWriteError('insert refused with code 1: transient (fake)');
    }
    let inserted = 0;
    const rejected: RejectedWrite[] = [];
    for (const [index, { event, partition, offset }] of copies.entries()) {
      if (this.refusal?.refuses(event)) {
        if (this.refusal.style === 'whole-write') {
          throw new StoreWriteError('insert refused with code 1: unsupported Unicode escape sequence (fake)');
        }
        rejected.push({ index, error: 'code 121: Document failed validation (fake)' });
        continue;
      }
      if (this.stored.has(event.eventId)) continue;
      this.stored.set(event.eventId, { ...event, persistedAt, partition, offset });
      inserted++;
    }
    return { inserted, duplicates: copies.length - inserted - rejected.length, rejected };
  }

  async storedPositions(eventIds: readonly string[]): Promise<Map<string, StoredPosition>> {
    if (this.failuresLeft > 0) throw new StoreUnavailableError('store is down (fake)');
    const positions = new Map<string, StoredPosition>();
    for (const eventId of eventIds) {
      const found = this.stored.get(eventId);
      if (found) positions.set(eventId, { partition: found.partition, offset: Number(found.offset) });
    }
    return positions;
  }

  async ping(): Promise<void> {
    this.pings++;
    if (this.failuresLeft > 0) throw new StoreUnavailableError('store is down (fake)');
  }
}

export class InMemoryDeadLetterPublisher implements DeadLetterPublisher {
  readonly sent: Array<DeadLetter & { failedAt: Date }> = [];
  private failuresLeft = 0;

  failNextSends(count: number): this {
    this.failuresLeft = count;
    return this;
  }

  async publish(letters: readonly DeadLetter[], failedAt: Date): Promise<void> {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new DeadLetterUnavailableError('dlq is down (fake)');
    }
    this.sent.push(...letters.map((letter) => ({ ...letter, failedAt })));
  }
}

/** The dead-letter index keyed by letterId, like its unique index; `failNextWrites(n)` simulates an outage. */
export class InMemoryDeadLetterIndex implements DeadLetterIndex {
  readonly records = new Map<string, DeadLetterRecord>();
  private failuresLeft = 0;

  failNextWrites(count: number): this {
    this.failuresLeft = count;
    return this;
  }

  async insertNew(records: readonly DeadLetterRecord[]): Promise<{ inserted: number; duplicates: number }> {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new StoreUnavailableError('store is down (fake)');
    }
    let inserted = 0;
    for (const record of records) {
      if (this.records.has(record.letterId)) continue;
      this.records.set(record.letterId, record);
      inserted++;
    }
    return { inserted, duplicates: records.length - inserted };
  }
}

/** The rollup documents in a Map, changed with the same arithmetic as the store's; can fail like an outage. */
export class InMemoryActivityRollups implements ActivityRollups {
  readonly docs = new Map<string, RollupDocument>();
  private failuresLeft = 0;

  failNextApplies(count: number): this {
    this.failuresLeft = count;
    return this;
  }

  async apply(partition: number, entries: readonly RollupEntry[], chunkEnd: number): Promise<void> {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new StoreUnavailableError('rollups are down (fake)');
    }
    for (const [hourId, inHour] of byHour(entries)) {
      const current = this.docs.get(hourId) ?? emptyRollup(inHour[0]!.occurredAt);
      const next = applyEntries(current, partition, inHour, chunkEnd);
      if (next) this.docs.set(hourId, next);
    }
  }

  /** Count of `type` in the minute starting at `minute` (ISO). */
  countAt(minute: string, type: ActivityType): number {
    const at = new Date(minute);
    const doc = this.docs.get(hourIdOf(at));
    return doc ? (countsOf(doc).get(type)?.[at.getUTCMinutes()] ?? 0) : 0;
  }
}
