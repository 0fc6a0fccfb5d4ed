import type { OutgoingMessage } from '@uap/shared/contract';
import type { PublishedPosition } from './activity-publisher.port';

/**
 * Publishes prepared messages (key, value, headers as given) to the activities topic, with the same
 * guarantee as ActivityPublisher: resolves only once the broker acknowledged every message.
 */
export interface MessagePublisher {
  publishMessages(messages: OutgoingMessage[]): Promise<PublishedPosition[]>;
}
