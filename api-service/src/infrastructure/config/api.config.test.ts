import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '@uap/shared';
import { ApiConfigSchema, loadApiConfig } from './api.config';

function envExample(): Record<string, string> {
  const text = readFileSync(join(__dirname, '..', '..', '..', '.env.example'), 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .map((line) => /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
}

describe('api config', () => {
  it('when nothing is set, then every default applies', () => {
    expect(loadApiConfig({})).toMatchObject({
      PORT: 3000,
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      KAFKA_CLIENT_ID: 'api-service',
      ACTIVITIES_TOPIC: 'user-activities',
      ACTIVITIES_TOPIC_PARTITIONS: 6,
      MONGO_DB: 'activity_platform',
      PUBLISH_TIMEOUT_MS: 4000,
      RETRY_AFTER_SECONDS: 5,
      MAX_FUTURE_SKEW_SECONDS: 300,
      MAX_BATCH_EVENTS: 500,
      SINGLE_BODY_LIMIT_BYTES: 65536,
      BATCH_BODY_LIMIT_BYTES: 1048576,
      TRUST_PROXY: false,
    });
  });

  it('when values are given as strings, then they are typed', () => {
    const config = loadApiConfig({ PORT: '8080', KAFKA_BROKERS: 'a:9092, b:9093', ACTIVITIES_TOPIC_PARTITIONS: '12' });
    expect(config).toMatchObject({ PORT: 8080, KAFKA_BROKERS: ['a:9092', 'b:9093'], ACTIVITIES_TOPIC_PARTITIONS: 12 });
  });

  it.each([
    ['true', true],
    ['false', false],
    ['2', 2],
    ['loopback, 10.0.0.0/8', ['loopback', '10.0.0.0/8']],
  ])('when TRUST_PROXY is %s, then express gets %p', (value, expected) => {
    expect(loadApiConfig({ TRUST_PROXY: value }).TRUST_PROXY).toEqual(expected);
  });

  it.each([
    ['MONGO_DB', 'activity-platform'],
    ['PORT', '70000'],
    ['KAFKA_BROKERS', 'no-port'],
    ['KAFKA_BROKERS', ''],
    ['PUBLISH_TIMEOUT_MS', 'soon'],
    ['LOG_LEVEL', 'loud'],
    ['ACTIVITIES_TOPIC', 'bad topic'],
  ])('when %s is %p, then start-up fails naming it', (name, value) => {
    expect(() => loadApiConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadApiConfig({ [name]: value })).toThrow(name);
  });

  it('when .env.example is read, then it documents every variable, with the real defaults', () => {
    const example = envExample();
    expect(Object.keys(example).sort()).toEqual(Object.keys(ApiConfigSchema.shape).sort());
    expect(loadApiConfig(example)).toEqual(loadApiConfig({}));
  });
});
