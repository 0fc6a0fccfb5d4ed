import type { ActivityEvent } from '@uap/shared/contract';
import type { ActivityPublisher, PublishedPosition, PublishMeta } from '../application/ports/activity-publisher.port';

/** Records what was published; `failWith` makes every publish reject, as a broken broker would. */
export class InMemoryActivityPublisher implements ActivityPublisher {
  readonly sends: { events: ActivityEvent[]; meta: PublishMeta }[] = [];
  failWith: Error | undefined;

  get events(): ActivityEvent[] {
    return this.sends.flatMap((s) => s.events);
  }

  /** One partition; offsets count from 0 across every publish, like a fresh single-partition topic. */
  async publish(events: ActivityEvent[], meta: PublishMeta): Promise<PublishedPosition[]> {
    if (this.failWith) throw this.failWith;
    const first = this.events.length;
    this.sends.push({ events, meta });
    return events.map((_, i) => ({ topic: 'user-activities', partition: 0, offset: first + i }));
  }
}
