import {
  actorKeyOf,
  payloadOf,
  toDeadLetterRecord,
  type ConsumedLetter,
  type DeadLetterRecord,
} from '@uap/shared/contract';
import type { Logger } from '@uap/shared/runtime';
import type { DeadLetterIndex } from './ports/dead-letter.index.port';
import type { ErasureCheck } from './ports/erasure.lookup.port';

export interface IndexDeadLettersDeps {
  index: DeadLetterIndex;
  logger: Logger;
  /** A letter whose event has been replayed more often than this is indexed as parked. */
  maxReplays: number;
  /** Letters of erased users (or anonymous ids), for events received before their erasure, are not indexed. */
  erasures?: ErasureCheck;
  now?: () => Date;
}

export interface IndexDeadLettersResult {
  inserted: number;
  duplicates: number;
  records: readonly DeadLetterRecord[];
}

/** Projects letters read from the dead-letter topic into the index; a redelivered letter is a no-op. */
export class IndexDeadLettersUseCase {
  private readonly now: () => Date;

  constructor(private readonly deps: IndexDeadLettersDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async execute(letters: readonly ConsumedLetter[]): Promise<IndexDeadLettersResult> {
    const at = this.now();
    const records = await this.withoutErased(
      letters.map((letter) => toDeadLetterRecord(letter, this.deps.maxReplays, at)),
    );
    const { inserted, duplicates } =
      records.length > 0 ? await this.deps.index.insertNew(records) : { inserted: 0, duplicates: 0 };
    const parked = records.filter((r) => r.status === 'parked');
    if (parked.length > 0) {
      this.deps.logger.warn(
        { letterIds: parked.map((r) => r.letterId), maxReplays: this.deps.maxReplays },
        'dead letters parked: their events came back more often than MAX_REPLAYS',
      );
    }
    return { inserted, duplicates, records };
  }

  /** As the activities' erasure check: a letter is its event's actor's (actorKeyOf), when its payload names one. */
  private async withoutErased(records: DeadLetterRecord[]): Promise<DeadLetterRecord[]> {
    const erasures = this.deps.erasures;
    const actors = new Set(records.flatMap((r) => actorOf(r) ?? []));
    if (!erasures || actors.size === 0) return records;
    const hashOf = new Map([...actors].map((actor) => [actor, erasures.hash(actor)]));
    const erasedAt = await erasures.lookup.erasedAt([...new Set(hashOf.values())]);
    if (erasedAt.size === 0) return records;
    return records.filter((record) => {
      const actor = actorOf(record);
      const at = actor === undefined ? undefined : erasedAt.get(hashOf.get(actor)!);
      return at === undefined || receivedAtOf(record) >= at.getTime();
    });
  }
}

function actorOf(record: DeadLetterRecord): string | undefined {
  return record.userId === undefined && record.anonymousId === undefined ? undefined : actorKeyOf(record);
}

/** When the api received the letter's event (from its payload), else when it failed. */
function receivedAtOf(record: DeadLetterRecord): number {
  try {
    const parsed = JSON.parse(payloadOf(record)?.toString('utf8') ?? 'null') as { receivedAt?: unknown } | null;
    const at = typeof parsed?.receivedAt === 'string' ? Date.parse(parsed.receivedAt) : NaN;
    if (!Number.isNaN(at)) return at;
  } catch {
    // Not JSON: fall back to the failure time.
  }
  return record.failedAt.getTime();
}
