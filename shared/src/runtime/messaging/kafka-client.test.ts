import { logLevel } from 'kafkajs';
import { kafkaLogLevel } from './kafka-client';

describe('kafkaLogLevel', () => {
  it('when two services race to create the same topic, then the broker answer kafkajs logs is debug, not error', () => {
    expect(
      kafkaLogLevel(logLevel.ERROR, 'Response CreateTopics(key: 19, version: 3)', { error: 'Topic creation errors' }),
    ).toBe('debug');
  });

  it('when a broker answers with a retriable error, then it is a warning (the caller logs a final failure)', () => {
    expect(
      kafkaLogLevel(logLevel.ERROR, 'Response InitProducerId(key: 22, version: 1)', {
        error: 'The coordinator is loading and hence can’t process requests for this group',
      }),
    ).toBe('warn');
  });

  it('when kafkajs reports its own failure (not a broker answer), then it stays an error', () => {
    expect(kafkaLogLevel(logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded', {})).toBe('error');
    expect(kafkaLogLevel(logLevel.WARN, 'Response Metadata(key: 3, version: 6)', {})).toBe('warn');
  });
});
