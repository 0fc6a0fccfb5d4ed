import type { ActivityEvent } from '@uap/shared/contract';

export interface PublishMeta {
  requestId: string;
}

/** Where the broker put one message: its partition and offset, from the acknowledgement. */
export interface PublishedPosition {
  topic: string;
  partition: number;
  offset: number;
}

/**
 * Makes events durable on the activity stream. Resolves only once the broker acknowledged every
 * event (acks=all), with each event's position, in the order given; rejects with a retriable
 * DomainError when that cannot happen within the bound. Either all events of one call are
 * acknowledged or the call rejects.
 */
export interface ActivityPublisher {
  publish(events: ActivityEvent[], meta: PublishMeta): Promise<PublishedPosition[]>;
}
