import type { ActivityEvent } from '@uap/shared';
import type { ActivityRepository, InsertOutcome } from '../application/ports/activity.repository.port';
import type { DeadLetter, DeadLetterPublisher } from '../application/ports/dead-letter.publisher.port';
import { DeadLetterUnavailableError, StoreUnavailableError } from '../application/retriable.errors';

/** A store keyed by eventId, like the unique index; `failNextWrites(n)` simulates an outage. */
export class InMemoryActivityRepository implements ActivityRepository {
  readonly stored = new Map<string, ActivityEvent & { persistedAt: Date }>();
  writeAttempts = 0;
  private failuresLeft = 0;

  failNextWrites(count: number): this {
    this.failuresLeft = count;
    return this;
  }

  async insertNew(events: readonly ActivityEvent[], persistedAt: Date): Promise<InsertOutcome> {
    this.writeAttempts++;
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new StoreUnavailableError('store is down (fake)');
    }
    let inserted = 0;
    for (const event of events) {
      if (this.stored.has(event.eventId)) continue;
      this.stored.set(event.eventId, { ...event, persistedAt });
      inserted++;
    }
    return { inserted, duplicates: events.length - inserted };
  }

  async ping(): Promise<void> {
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
