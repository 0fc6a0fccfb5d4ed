import type { ActivityEvent } from '@uap/shared';

export interface PublishMeta {
  requestId: string;
}

/**
 * Makes events durable on the activity stream. Resolves only once the broker acknowledged every
 * event (acks=all); rejects with a retriable DomainError when that cannot happen within the bound.
 * Either all events of one call are acknowledged or the call rejects.
 */
export interface ActivityPublisher {
  publish(events: ActivityEvent[], meta: PublishMeta): Promise<void>;
}
