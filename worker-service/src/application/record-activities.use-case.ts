import { actorKeyOf, type ActivityEvent, type RollupEntry } from '@uap/shared/contract';
import type { Logger } from '@uap/shared/runtime';
import type { ActivityRepository } from './ports/activity.repository.port';
import type { ActivityRollups } from './ports/activity-rollups.port';
import type { ErasureCheck } from './ports/erasure.lookup.port';
import type { ConsumedMessage, DeadLetter, DeadLetterPublisher } from './ports/dead-letter.publisher.port';
import { StoreWriteError } from './retriable.errors';

/** A decoded event with the message it came in, so the store can still refuse it into the dead-letter topic. */
export interface ConsumedEvent {
  event: ActivityEvent;
  message: ConsumedMessage;
}

export interface RecordActivitiesInput {
  events: readonly ConsumedEvent[];
  deadLetters: readonly DeadLetter[];
}

export interface RecordActivitiesResult {
  inserted: number;
  duplicates: number;
  /** Events of erased users (or anonymous ids) received before their erasure: dropped, neither stored nor dead-lettered. */
  erased: number;
  /** Every letter sent: the input's, then the events the store refused (`store-rejected`). */
  deadLetters: readonly DeadLetter[];
}

export interface RecordActivitiesDeps {
  repository: ActivityRepository;
  deadLetters: DeadLetterPublisher;
  logger: Logger;
  /** Absent: no erasures to honour (tests of other concerns). */
  erasures?: ErasureCheck;
  /** Absent: no stats rollups to maintain (tests of other concerns). */
  rollups?: ActivityRollups;
  now?: () => Date;
}

interface StoreOutcome {
  inserted: number;
  duplicates: number;
  refused: Array<{ consumed: ConsumedEvent; error: string }>;
}

const NOTHING_STORED: StoreOutcome = { inserted: 0, duplicates: 0, refused: [] };

function sum(a: StoreOutcome, b: StoreOutcome): StoreOutcome {
  return {
    inserted: a.inserted + b.inserted,
    duplicates: a.duplicates + b.duplicates,
    refused: [...a.refused, ...b.refused],
  };
}

/**
 * Records one chunk of consumed messages: valid events into the store, the rest to the dead-letter
 * topic. Resolves only when every message has a durable fate, so the caller may then commit.
 */
export class RecordActivitiesUseCase {
  private readonly now: () => Date;

  constructor(private readonly deps: RecordActivitiesDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async execute(input: RecordActivitiesInput): Promise<RecordActivitiesResult> {
    const at = this.now();
    const events = await this.withoutErased(input.events);
    // Store first: if the dead-letter send then fails, the retry re-inserts (absorbed as duplicates)
    // instead of dead-lettering the same message twice.
    const stored = events.length > 0 ? await this.store(events, at, false) : NOTHING_STORED;
    // Counted before the dead letters and before the caller commits: a failure here retries the chunk.
    if (this.deps.rollups) await this.countStoredCopies(input, events, stored, this.deps.rollups);
    const letters: DeadLetter[] = [
      ...input.deadLetters,
      ...stored.refused.map(({ consumed, error }) => ({
        ...consumed.message,
        reason: 'store-rejected' as const,
        error,
      })),
    ];
    if (letters.length > 0) {
      await this.deps.deadLetters.publish(letters, at);
      for (const letter of letters) {
        this.deps.logger.warn(
          { reason: letter.reason, error: letter.error, source: letter.source },
          'message dead-lettered',
        );
      }
    }
    if (stored.duplicates > 0)
      this.deps.logger.info({ duplicates: stored.duplicates }, 'already stored events skipped');
    const erased = input.events.length - events.length;
    if (erased > 0) this.deps.logger.info({ erased }, 'events of erased users dropped');
    return { inserted: stored.inserted, duplicates: stored.duplicates, erased, deadLetters: letters };
  }

  /**
   * Counts this chunk's stored copies into the stats rollups. An event counts where its stored copy
   * came from, decided by the position the store recorded, never by whether this attempt inserted it:
   * after a crash between the insert and this count, the redelivered copy is a "duplicate" that is
   * nevertheless the one stored, and a client's resend is a duplicate that must not count. Only chunks
   * with duplicates (or dropped erased events, which an earlier attempt may have stored) ask the store.
   */
  private async countStoredCopies(
    input: RecordActivitiesInput,
    kept: readonly ConsumedEvent[],
    stored: StoreOutcome,
    rollups: ActivityRollups,
  ): Promise<void> {
    const messages = [...input.events.map((e) => e.message), ...input.deadLetters];
    if (messages.length === 0) return;
    const partition = messages[0]!.source.partition;
    const chunkEnd = Math.max(...messages.map((m) => Number(m.source.offset)));
    const refused = new Set(stored.refused.map((r) => r.consumed));
    const written = kept.filter((consumed) => !refused.has(consumed));
    const dropped = input.events.filter((consumed) => !kept.includes(consumed));
    const unsure = stored.duplicates > 0 ? [...written, ...dropped] : dropped;
    const positions =
      unsure.length > 0
        ? await this.deps.repository.storedPositions([...new Set(unsure.map((c) => c.event.eventId))])
        : new Map();
    const isStoredCopy = ({ event, message }: ConsumedEvent) => {
      const position = positions.get(event.eventId);
      return position?.partition === message.source.partition && position.offset === Number(message.source.offset);
    };
    const copies = stored.duplicates > 0 ? written.filter(isStoredCopy) : written;
    const entries: RollupEntry[] = [...copies, ...dropped.filter(isStoredCopy)].map(({ event, message }) => ({
      partition,
      offset: Number(message.source.offset),
      occurredAt: new Date(event.occurredAt),
      type: event.type,
      // Only stored copies get here (by position), so this is the stored document's userId.
      ...(event.userId !== undefined ? { userId: event.userId } : {}),
    }));
    await rollups.apply(partition, entries, chunkEnd);
  }

  /**
   * Drops events of users erased after the api received them: they were accepted before the erasure
   * and are still in the topic. Events received after the erasure are the user's new activity, kept.
   * An event is its actor's (actorKeyOf): its userId's when it has one, else its anonymous id's, which
   * is erased with the user who linked it first. One lookup for the chunk, of every actor's hash.
   */
  private async withoutErased(events: readonly ConsumedEvent[]): Promise<readonly ConsumedEvent[]> {
    const erasures = this.deps.erasures;
    if (!erasures || events.length === 0) return events;
    const hashes = new Map<string, string>();
    for (const { event } of events) {
      const actor = actorKeyOf(event);
      if (!hashes.has(actor)) hashes.set(actor, erasures.hash(actor));
    }
    const erasedAt = await erasures.lookup.erasedAt([...hashes.values()]);
    if (erasedAt.size === 0) return events;
    return events.filter(({ event }) => {
      const at = erasedAt.get(hashes.get(actorKeyOf(event))!);
      return at === undefined || Date.parse(event.receivedAt) >= at.getTime();
    });
  }

  /**
   * Writes the events. When the store refuses the write without naming a document, the write is
   * narrowed down by halves while the store answers pings, so one document it cannot hold is
   * dead-lettered instead of holding its partition forever. A document is refused only when it
   * fails alone twice with the store answering in between. A failed ping is an outage: that error
   * propagates and the caller retries the whole chunk, its stored part coming back as duplicates.
   * (FerretDB writes the documents before the one it refuses, so those count as duplicates too.)
   */
  private async store(events: readonly ConsumedEvent[], at: Date, isRepeat: boolean): Promise<StoreOutcome> {
    try {
      const outcome = await this.deps.repository.insertNew(
        events.map(({ event, message }) => ({
          event,
          partition: message.source.partition,
          offset: message.source.offset,
        })),
        at,
      );
      return {
        inserted: outcome.inserted,
        duplicates: outcome.duplicates,
        refused: outcome.rejected.map(({ index, error }) => ({ consumed: events[index]!, error })),
      };
    } catch (err) {
      if (!(err instanceof StoreWriteError)) throw err;
      await this.deps.repository.ping();
      if (events.length > 1) {
        const half = Math.ceil(events.length / 2);
        const first = await this.store(events.slice(0, half), at, false);
        return sum(first, await this.store(events.slice(half), at, false));
      }
      if (!isRepeat) return this.store(events, at, true);
      return { ...NOTHING_STORED, refused: [{ consumed: events[0]!, error: err.message }] };
    }
  }
}
