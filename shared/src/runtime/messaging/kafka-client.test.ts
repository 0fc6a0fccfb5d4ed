import { logLevel } from 'kafkajs';
import { kafkaLogLevel, logConsumerCrash } from './kafka-client';

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
    expect(kafkaLogLevel(logLevel.ERROR, 'Failed to commit offsets', {})).toBe('error');
    expect(kafkaLogLevel(logLevel.WARN, 'Response Metadata(key: 3, version: 6)', {})).toBe('warn');
  });

  it('when a consumer crashes, then kafkajs lines are warnings and the CRASH event decides by its outcome', () => {
    expect(kafkaLogLevel(logLevel.ERROR, 'Crash: KafkaJSProtocolError: The coordinator is loading', {})).toBe('warn');
    expect(kafkaLogLevel(logLevel.ERROR, 'Restarting the consumer in 300ms', {})).toBe('warn');
    const lines: Array<[string, unknown, string]> = [];
    const log = {
      warn: (o: unknown, m: string) => lines.push(['warn', o, m]),
      error: (o: unknown, m: string) => lines.push(['error', o, m]),
    } as unknown as Parameters<typeof logConsumerCrash>[0];
    const error = new Error('The coordinator is loading');
    logConsumerCrash(log, { error, restart: true }, 'consumer crashed');
    logConsumerCrash(log, { error, restart: false }, 'consumer crashed');
    expect(lines.map(([level]) => level)).toEqual(['warn', 'error']);
    expect(lines[0]?.[1]).toEqual({ err: error, restart: true });
  });
});
