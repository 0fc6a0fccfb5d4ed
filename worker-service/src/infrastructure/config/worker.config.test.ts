import { ConfigError, parseEnv } from '@uap/shared/runtime';
import { WorkerConfigSchema } from './worker.config';

describe('worker config', () => {
  it('when nothing is set, then the documented defaults apply', () => {
    expect(parseEnv(WorkerConfigSchema, {})).toMatchObject({
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      CONSUMER_GROUP: 'activity-worker',
      ACTIVITIES_TOPIC: 'user-activities',
      ACTIVITIES_TOPIC_PARTITIONS: 6,
      DLQ_TOPIC: 'user-activities.dlq',
      MONGO_DB: 'activity_platform',
      WORKER_PORT: 3001,
    });
  });

  it('when values are given as strings, then they are parsed and brokers split', () => {
    const config = parseEnv(WorkerConfigSchema, {
      KAFKA_BROKERS: 'a:1, b:2',
      WORKER_PORT: '0',
      STORE_RETRY_INITIAL_MS: '50',
      STORE_RETRY_MAX_MS: '50',
    });
    expect(config).toMatchObject({ KAFKA_BROKERS: ['a:1', 'b:2'], WORKER_PORT: 0, STORE_RETRY_MAX_MS: 50 });
  });

  it('when values are invalid, then every problem is reported at once', () => {
    const parse = () =>
      parseEnv(WorkerConfigSchema, {
        KAFKA_BROKERS: 'no-port',
        MONGO_URL: 'http://x',
        CONSUMER_SESSION_TIMEOUT_MS: '1000',
        STORE_RETRY_INITIAL_MS: '500',
        STORE_RETRY_MAX_MS: '100',
      });
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(/KAFKA_BROKERS[\s\S]*MONGO_URL[\s\S]*CONSUMER_SESSION_TIMEOUT_MS/);
  });

  it('when the retry cap is below the initial delay, then it is rejected', () => {
    expect(() => parseEnv(WorkerConfigSchema, { STORE_RETRY_INITIAL_MS: '500', STORE_RETRY_MAX_MS: '100' })).toThrow(
      /STORE_RETRY_MAX_MS/,
    );
  });
});
