import { toDeadLetterRecord, type ConsumedLetter, type DeadLetterRecord, type Logger } from '@uap/shared';
import type { DeadLetterIndex } from './ports/dead-letter.index.port';

export interface IndexDeadLettersDeps {
  index: DeadLetterIndex;
  logger: Logger;
  /** A letter whose event has been replayed more often than this is indexed as parked. */
  maxReplays: number;
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
    const records = letters.map((letter) => toDeadLetterRecord(letter, this.deps.maxReplays, at));
    const { inserted, duplicates } = await this.deps.index.insertNew(records);
    const parked = records.filter((r) => r.status === 'parked');
    if (parked.length > 0) {
      this.deps.logger.warn(
        { letterIds: parked.map((r) => r.letterId), maxReplays: this.deps.maxReplays },
        'dead letters parked: their events came back more often than MAX_REPLAYS',
      );
    }
    return { inserted, duplicates, records };
  }
}
