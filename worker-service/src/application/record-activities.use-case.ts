import type { ActivityEvent, Logger } from '@uap/shared';
import type { ActivityRepository } from './ports/activity.repository.port';
import type { DeadLetter, DeadLetterPublisher } from './ports/dead-letter.publisher.port';

export interface RecordActivitiesInput {
  events: readonly ActivityEvent[];
  deadLetters: readonly DeadLetter[];
}

export interface RecordActivitiesResult {
  inserted: number;
  duplicates: number;
  deadLettered: number;
}

export interface RecordActivitiesDeps {
  repository: ActivityRepository;
  deadLetters: DeadLetterPublisher;
  logger: Logger;
  now?: () => Date;
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
    // Store first: if the dead-letter send then fails, the retry re-inserts (absorbed as duplicates)
    // instead of dead-lettering the same message twice.
    const { inserted, duplicates } =
      input.events.length > 0 ? await this.deps.repository.insertNew(input.events, at) : { inserted: 0, duplicates: 0 };
    if (input.deadLetters.length > 0) {
      await this.deps.deadLetters.publish(input.deadLetters, at);
      for (const letter of input.deadLetters) {
        this.deps.logger.warn(
          { reason: letter.reason, error: letter.error, source: letter.source },
          'message dead-lettered',
        );
      }
    }
    if (duplicates > 0) this.deps.logger.info({ duplicates }, 'already stored events skipped');
    return { inserted, duplicates, deadLettered: input.deadLetters.length };
  }
}
