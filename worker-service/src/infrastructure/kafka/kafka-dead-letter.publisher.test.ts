import type { Producer, ProducerRecord } from 'kafkajs';
import { KafkaDeadLetterPublisher } from './kafka-dead-letter.publisher';
import type { DeadLetter } from '../../application/ports/dead-letter.publisher.port';

const letter: DeadLetter = {
  reason: 'schema-violation',
  error: 'userId: Too small',
  key: Buffer.from('user-1'),
  value: Buffer.from('{"userId":""}'),
  headers: { 'request-id': 'req-9', 'content-type': 'application/json' },
  source: { topic: 'user-activities', partition: 5, offset: '1234' },
};

describe('KafkaDeadLetterPublisher', () => {
  it('when a letter is published, then the original key, value and headers go to the DLQ with the reason headers', async () => {
    const sent: ProducerRecord[] = [];
    const producer = { send: async (record: ProducerRecord) => void sent.push(record) } as unknown as Producer;

    await new KafkaDeadLetterPublisher(producer, 'my.dlq').publish([letter], new Date('2026-01-02T03:04:05.000Z'));

    expect(sent).toEqual([
      {
        topic: 'my.dlq',
        acks: -1,
        messages: [
          {
            key: letter.key,
            value: letter.value,
            headers: {
              'request-id': 'req-9',
              'content-type': 'application/json',
              'dlq-reason': 'schema-violation',
              'dlq-error': 'userId: Too small',
              'source-topic': 'user-activities',
              'source-partition': '5',
              'source-offset': '1234',
              'failed-at': '2026-01-02T03:04:05.000Z',
            },
          },
        ],
      },
    ]);
  });

  it('when the broker rejects the send, then a retriable error is thrown', async () => {
    const producer = { send: async () => Promise.reject(new Error('broker down')) } as unknown as Producer;

    await expect(new KafkaDeadLetterPublisher(producer, 'dlq').publish([letter], new Date())).rejects.toMatchObject({
      name: 'DeadLetterUnavailableError',
      retriable: true,
    });
  });
});
