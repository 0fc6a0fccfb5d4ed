import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '@uap/shared/runtime';
import { hashApiKey } from '../../domain/api-key';
import { ApiConfigSchema, authModeOf, loadApiConfig } from './api.config';

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

  describe('security', () => {
    const ingestHash = hashApiKey('ingest-key');
    const bothHash = hashApiKey('both-key');

    it('when API_KEYS lists hashes with scopes, then each key gets its scopes and a short id', () => {
      const config = loadApiConfig({ API_KEYS: `${ingestHash}:ingest, ${bothHash.toUpperCase()}:ingest+read` });
      expect(config.API_KEYS.map((k) => [k.id, [...k.scopes]])).toEqual([
        [ingestHash.slice(0, 12), ['ingest']],
        [bothHash.slice(0, 12), ['ingest', 'read']],
      ]);
      expect(authModeOf(config)).toEqual({ mode: 'api-keys' });
    });

    it.each([
      ['not-a-hash:ingest'],
      [`${ingestHash}`],
      [`${ingestHash}:write`],
      [`${ingestHash}:ingest:read`],
      [`${ingestHash}:ingest,${ingestHash}:read`],
    ])('when API_KEYS is %p, then start-up fails naming API_KEYS', (value) => {
      expect(() => loadApiConfig({ API_KEYS: value })).toThrow(/API_KEYS/);
    });

    it('when NODE_ENV=production and no keys are configured, then start-up fails with a clear message', () => {
      expect(() => loadApiConfig({ NODE_ENV: 'production' })).toThrow(/API_KEYS: no API keys configured/);
    });

    it('when NODE_ENV=production without keys but AUTH_DISABLED=true, then it starts with auth off on purpose', () => {
      const config = loadApiConfig({ NODE_ENV: 'production', AUTH_DISABLED: 'true' });
      expect(authModeOf(config)).toEqual({ mode: 'off', reason: 'AUTH_DISABLED' });
    });

    it('when not in production and no keys are configured, then auth is off for want of keys', () => {
      expect(authModeOf(loadApiConfig({}))).toEqual({ mode: 'off', reason: 'no API_KEYS' });
    });

    it('when rate limit, public paths and CORS are set, then they are typed', () => {
      const config = loadApiConfig({
        RATE_LIMIT_MAX: '0',
        RATE_LIMIT_WINDOW_MS: '1000',
        PUBLIC_PATHS: '/healthz, /docs',
        CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
      });
      expect(config).toMatchObject({
        RATE_LIMIT_MAX: 0,
        RATE_LIMIT_WINDOW_MS: 1000,
        PUBLIC_PATHS: ['/healthz', '/docs'],
        CORS_ORIGINS: ['https://app.example.com', 'http://localhost:5173'],
      });
    });

    it.each([
      ['CORS_ORIGINS', 'https://app.example.com/path'],
      ['PUBLIC_PATHS', 'healthz'],
      ['AUTH_DISABLED', 'yes'],
      ['RATE_LIMIT_MAX', '-1'],
    ])('when %s is %p, then start-up fails naming it', (name, value) => {
      expect(() => loadApiConfig({ [name]: value })).toThrow(name);
    });
  });
});
