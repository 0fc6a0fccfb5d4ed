import { HEADERS } from '@uap/shared/contract';
import type { IHeaders, Producer } from 'kafkajs';
import type { DeadLetter, DeadLetterPublisher } from '../../application/ports/dead-letter.publisher.port';
import { DeadLetterUnavailableError } from '../../application/retriable.errors';

/** kafkajs header values are Buffers; a dlq-error longer than this is cut (the value keeps the whole message). */
const MAX_ERROR_HEADER_LENGTH = 2_000;

export function deadLetterHeaders(letter: DeadLetter, failedAt: Date): IHeaders {
  return {
    ...letter.headers,
    [HEADERS.dlqReason]: letter.reason,
    [HEADERS.dlqError]: letter.error.slice(0, MAX_ERROR_HEADER_LENGTH),
    [HEADERS.sourceTopic]: letter.source.topic,
    [HEADERS.sourcePartition]: String(letter.source.partition),
    [HEADERS.sourceOffset]: letter.source.offset,
    [HEADERS.failedAt]: failedAt.toISOString(),
  };
}

/**
 * Sends rejected messages, byte for byte, to the dead-letter topic with acks from all in-sync
 * replicas, so a message is only committed away from the source topic once its letter is durable.
 */
export class KafkaDeadLetterPublisher implements DeadLetterPublisher {
  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
  ) {}

  async publish(letters: readonly DeadLetter[], failedAt: Date): Promise<void> {
    try {
      await this.producer.send({
        topic: this.topic,
        acks: -1,
        messages: letters.map((letter) => ({
          key: letter.key,
          value: letter.value,
          headers: deadLetterHeaders(letter, failedAt),
        })),
      });
    } catch (err) {
      throw new DeadLetterUnavailableError(`dead-letter send failed: ${(err as Error).message}`, { cause: err });
    }
  }
}
