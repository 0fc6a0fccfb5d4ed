import type { ActivityEvent } from '@uap/shared';
import type { ActivityPublisher, PublishMeta } from '../application/ports/activity-publisher.port';

/** Records what was published; `failWith` makes every publish reject, as a broken broker would. */
export class InMemoryActivityPublisher implements ActivityPublisher {
  readonly sends: { events: ActivityEvent[]; meta: PublishMeta }[] = [];
  failWith: Error | undefined;

  get events(): ActivityEvent[] {
    return this.sends.flatMap((s) => s.events);
  }

  async publish(events: ActivityEvent[], meta: PublishMeta): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.sends.push({ events, meta });
  }
}
