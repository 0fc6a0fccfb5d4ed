import { randomUUID } from 'node:crypto';
import { request as httpRequest, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { ACTIVITIES_COLLECTION } from '@uap/shared/contract';
import { createKafka } from '@uap/shared/runtime';
import { anActivityInput } from '@uap/shared/testing';
import type { Admin } from 'kafkajs';
import type { Connection } from 'mongoose';
import pino from 'pino';
import {
  createTopic,
  dropDatabase,
  requiredEnv,
  testDatabase,
  testKafka,
  uniqueName,
} from '../../../../test/support/integration';
import { createApp } from '../../app';
import { IngestActivityUseCase } from '../../application/ingest-activity.use-case';
import { QueryActivitiesUseCase } from '../../application/query-activities.use-case';
import { staticKeyRing } from '../../domain/access/key-ring';
import { hashApiKey, parseApiKeys } from '../../domain/api-key';
import { KafkaActivityPublisher } from '../../infrastructure/kafka/kafka-activity.publisher';
import { MongoActivityReader } from '../../infrastructure/mongo/mongo-activity.reader';
import { TEST_APP_CONFIG, TEST_INGEST_CONFIG, TEST_RECEIPTS } from '../../testing/test-app';
import { answerClientErrors } from './client-error';

/**
 * The hostile-input corpus: every case must get its documented 4xx as problem+json, the process must
 * stay up, and at the end nothing may have reached the real topic or the real store.
 */

const KEY = `hostile-${randomUUID()}`;
const READ_ONLY_KEY = `hostile-read-${randomUUID()}`;
const INGEST_ONLY_KEY = `hostile-ingest-${randomUUID()}`;
const logger = pino({ level: 'silent' });
const REQUEST_TIMEOUT_MS = 10_000;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

interface HostileCase {
  when: string;
  status: number;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** A whole HTTP/1.1 request written to a socket as is, for what an HTTP client refuses to send. */
  raw?: string;
}

const SINGLE = '/api/v1/activities';
const BATCH = '/api/v1/activities/batch';
const JSON_HEADERS = { 'Content-Type': 'application/json', 'X-API-Key': KEY };
const valid = () => anActivityInput({ occurredAt: new Date(Date.now() - 60_000).toISOString() });
const json = (value: unknown) => JSON.stringify(value);

/** A POST of `body` (a JSON text, sent verbatim) to the single-event endpoint with a valid key. */
const post = (when: string, body: string | Buffer, status = 400, path = SINGLE): HostileCase => ({
  when,
  status,
  method: 'POST',
  path,
  headers: JSON_HEADERS,
  body,
});
const withField = (when: string, field: string, value: unknown, status = 400) =>
  post(when, json({ ...valid(), [field]: value }), status);
/** A raw JSON fragment spliced into an otherwise valid event, for what JSON.stringify cannot produce. */
const spliced = (when: string, fragment: string, status = 400) => {
  const { userId: _drop, ...rest } = valid();
  return post(when, `{${fragment},${json(rest).slice(1)}`, status);
};
const get = (when: string, path: string, status = 400, headers: Record<string, string> = { 'X-API-Key': KEY }) => ({
  when,
  status,
  method: 'GET',
  path,
  headers,
});
const rawRequest = (when: string, status: number, lines: string[], body = ''): HostileCase => ({
  when,
  status,
  raw: `${lines.join('\r\n')}\r\n\r\n${body}`,
});

const nested = (depth: number, leaf: unknown = 1): unknown => {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};

const MALFORMED_JSON: HostileCase[] = [
  post('the body is a lone {', '{'),
  post('the body is a lone }', '}'),
  post('the body stops mid-object', '{"userId":'),
  post('the body has single quotes', "{'userId':'u','type':'LOGIN'}"),
  post('the body has a trailing comma', '{"userId":"u","type":"LOGIN",}'),
  post('the body has unquoted keys', '{userId:"u",type:"LOGIN"}'),
  post('the body is two objects', '{"userId":"u"}{"type":"LOGIN"}'),
  post('the body has trailing garbage', `${json(valid())}xyz`),
  post('the body is NaN', 'NaN'),
  post('the body is undefined', 'undefined'),
  post('the body is a JSON string', '"LOGIN"'),
  post('the body is a JSON number', '42'),
  post('the body is JSON null', 'null'),
  post('the body is JSON true', 'true'),
  post('the body is empty', ''),
  post('the body is whitespace', '   \n\t '),
  post('the body is an array of events on the single endpoint', json([valid()])),
  post('the body has a comment', '{"userId":"u", /* hi */ "type":"LOGIN"}'),
  post('the body has an unterminated string', '{"userId":"u'),
  post('the body has a bad escape', '{"userId":"\\x41","type":"LOGIN"}'),
  post('the body has Infinity', '{"userId":"u","type":"LOGIN","metadata":{"n":Infinity}}'),
  post('the body is form-encoded though labelled JSON', 'userId=u&type=LOGIN'),
];

const WRONG_TYPES: HostileCase[] = [
  withField('userId is a number', 'userId', 42),
  withField('userId is null', 'userId', null),
  withField('userId is an array', 'userId', ['u']),
  withField('userId is an object', 'userId', { id: 'u' }),
  withField('userId is a boolean', 'userId', true),
  withField('type is a number', 'type', 1),
  withField('type is lower case', 'type', 'login'),
  withField('type is unknown', 'type', 'DROP_TABLE'),
  withField('type is an array', 'type', ['LOGIN']),
  withField('occurredAt is an epoch number', 'occurredAt', Date.now()),
  withField('occurredAt is an object', 'occurredAt', { $date: '2026-01-01T00:00:00Z' }),
  withField('metadata is a string', 'metadata', 'x'),
  withField('metadata is an array', 'metadata', [1, 2]),
  withField('metadata is a number', 'metadata', 7),
  withField('metadata is null', 'metadata', null),
  withField('sessionId is a number', 'sessionId', 5),
  withField('eventId is not a UUID', 'eventId', 'not-a-uuid'),
  withField('eventId is a number', 'eventId', 123),
  withField('an unknown top-level field is sent', 'isAdmin', true),
  withField('the server-side receivedAt is forged', 'receivedAt', '2026-01-01T00:00:00Z'),
  withField('the server-side context is forged', 'context', { ip: '1.2.3.4' }),
  withField('LOGIN success is a string', 'metadata', { success: 'yes' }),
  post('SEARCH has no query', json({ ...valid(), type: 'SEARCH', metadata: {} })),
  post('a batch is sent as an object of events', json({ events: { 0: valid() } }), 400, BATCH),
  post('a batch has events: null', json({ events: null }), 400, BATCH),
  post('a batch has a string among events', json({ events: [valid(), 'x'] }), 400, BATCH),
];

const STRINGS: HostileCase[] = [
  withField('userId is empty', 'userId', ''),
  withField('userId is a space', 'userId', ' '),
  withField('userId is 129 characters', 'userId', 'u'.repeat(129)),
  withField('userId is 50 000 characters', 'userId', 'u'.repeat(50_000)),
  withField('type is empty', 'type', ''),
  withField('sessionId is empty', 'sessionId', ''),
  withField('sessionId is 10 000 characters', 'sessionId', 's'.repeat(10_000)),
  withField('occurredAt is empty', 'occurredAt', ''),
  withField('eventId is empty', 'eventId', ''),
  post('SEARCH query is empty', json({ ...valid(), type: 'SEARCH', metadata: { query: '' } })),
  post('SEARCH query is 513 characters', json({ ...valid(), type: 'SEARCH', metadata: { query: 'q'.repeat(513) } })),
  withField('metadata is over 8 KiB', 'metadata', { blob: 'b'.repeat(9_000) }),
  withField(
    'metadata has 2 000 keys',
    'metadata',
    Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i])),
  ),
  withField('LOGIN method is 65 characters', 'metadata', { method: 'm'.repeat(65) }),
];

const DEEP_NESTING: HostileCase[] = [
  withField('metadata is 6 levels deep', 'metadata', nested(6)),
  withField('metadata is 100 levels deep', 'metadata', nested(100)),
  post(
    'metadata is 5 000 levels deep',
    `{"userId":"u","type":"LOGIN","metadata":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`,
  ),
  post(
    'metadata holds arrays 20 000 levels deep',
    `{"userId":"u","type":"LOGIN","metadata":{"a":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`,
  ),
  post('the body is arrays 30 000 levels deep', `${'['.repeat(30_000)}${']'.repeat(30_000)}`),
  post('the body is objects 10 000 levels deep', `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`),
  post('a batch nests events in events', json({ events: [{ events: [valid()] }] }), 400, BATCH),
  post('a batch is arrays 30 000 levels deep', `{"events":${'['.repeat(30_000)}${']'.repeat(30_000)}}`, 400, BATCH),
];

const KEYS_AND_POLLUTION: HostileCase[] = [
  withField('metadata has a $where key', 'metadata', { $where: 'sleep(1000)' }),
  withField('metadata has a $set key', 'metadata', { $set: { admin: true } }),
  withField('metadata has a nested $gt operator', 'metadata', { a: { $gt: '' } }),
  withField('metadata has a dotted key', 'metadata', { 'a.b': 1 }),
  withField('metadata has a nested dotted key', 'metadata', { a: { 'x.y': 1 } }),
  withField('metadata has a NUL in a key', 'metadata', { 'a\u0000b': 1 }),
  withField('userId is an operator object', 'userId', { $ne: null }),
  withField('type is an operator object', 'type', { $in: ['LOGIN'] }),
  withField('a top-level $-key is sent', '$set', { userId: 'x' }),
  withField('a top-level dotted key is sent', 'context.ip', '1.2.3.4'),
  spliced('the body has a top-level __proto__', '"__proto__":{"polluted":true},"userId":"u"'),
  spliced(
    'the body has a top-level constructor.prototype',
    '"constructor":{"prototype":{"polluted":true}},"userId":"u"',
  ),
  spliced('the body has a top-level prototype key', '"prototype":{"polluted":true},"userId":"u"'),
  post('metadata has __proto__', `{"userId":"u","type":"LOGIN","metadata":{"__proto__":{"polluted":true}}}`),
  post(
    'metadata has constructor.prototype',
    `{"userId":"u","type":"LOGIN","metadata":{"constructor":{"prototype":{"polluted":true}}}}`,
  ),
  post(
    'metadata nests __proto__ deeper',
    `{"userId":"u","type":"LOGIN","metadata":{"a":{"__proto__":{"polluted":true}}}}`,
  ),
  post('metadata has prototype', `{"userId":"u","type":"LOGIN","metadata":{"prototype":{"polluted":true}}}`),
  post(
    'a batch event has __proto__',
    `{"events":[{"__proto__":{"polluted":true},"userId":"u","type":"LOGIN"}]}`,
    400,
    BATCH,
  ),
  post('a batch has a top-level __proto__', `{"__proto__":{"polluted":true},"events":[${json(valid())}]}`, 400, BATCH),
  post('a batch has a top-level $-key', json({ $push: 1, events: [valid()] }), 400, BATCH),
];

const DATES: HostileCase[] = [
  withField('occurredAt is not a date', 'occurredAt', 'yesterday'),
  withField('occurredAt has month 13', 'occurredAt', '2026-13-01T00:00:00Z'),
  withField('occurredAt is 30 February', 'occurredAt', '2026-02-30T00:00:00Z'),
  withField('occurredAt is 31 April', 'occurredAt', '2026-04-31T00:00:00Z'),
  withField('occurredAt has hour 25', 'occurredAt', '2026-01-01T25:00:00Z'),
  withField('occurredAt has hour 24', 'occurredAt', '2026-01-01T24:00:00Z'),
  withField('occurredAt has second 60', 'occurredAt', '2026-01-01T23:59:60Z'),
  withField('occurredAt has offset +25:00', 'occurredAt', '2026-01-01T00:00:00+25:00'),
  withField('occurredAt has no offset', 'occurredAt', '2026-01-01T00:00:00'),
  withField('occurredAt is a date without time', 'occurredAt', '2026-01-01'),
  withField('occurredAt is in year 9999', 'occurredAt', '9999-12-31T23:59:59Z'),
  withField('occurredAt is an extended year', 'occurredAt', '+275760-09-13T00:00:00Z'),
  withField('occurredAt is a negative year', 'occurredAt', '-000001-01-01T00:00:00Z'),
  withField('occurredAt is an hour in the future', 'occurredAt', new Date(Date.now() + 3_600_000).toISOString()),
  withField('occurredAt is an RFC 2822 date', 'occurredAt', 'Thu, 01 Jan 2026 00:00:00 GMT'),
  withField('occurredAt has spaces', 'occurredAt', ' 2026-01-01T00:00:00Z '),
];

const UNICODE: HostileCase[] = [
  withField('userId is an emoji', 'userId', 'user-😀'),
  withField('userId has a NUL byte', 'userId', 'user\u0000admin'),
  withField('userId has an RTL override', 'userId', 'user\u202Eevil'),
  withField('userId has a zero-width space', 'userId', 'us\u200Ber'),
  withField('userId has a Cyrillic look-alike', 'userId', 'p\u0430ypal'),
  withField('userId has a combining accent', 'userId', 'use\u0301r'),
  withField('userId is full-width', 'userId', 'ｕｓｅｒ'),
  withField('userId has a newline', 'userId', 'user\nadmin'),
  withField('userId has a BOM', 'userId', '\uFEFFuser'),
  withField('type has a NUL byte', 'type', 'LOGIN\u0000'),
  withField('sessionId has an emoji', 'sessionId', 's-🔥'),
  spliced('userId is a lone high surrogate', '"userId":"u\\ud800"'),
  spliced('userId is a lone low surrogate', '"userId":"\\udc00u"'),
  post(
    'the body has invalid UTF-8 bytes in userId',
    Buffer.concat([Buffer.from('{"userId":"u'), Buffer.from([0xff, 0xfe]), Buffer.from('","type":"LOGIN"}')]),
  ),
  post('the body is UTF-16 labelled as JSON', Buffer.from(json(valid()), 'utf16le')),
  post('the body has a raw NUL between tokens', `{"userId":"u",\u0000"type":"LOGIN"}`),
  // Accepted once, these stalled a partition: PostgreSQL under FerretDB cannot store NUL (22P05).
  withField('a metadata value has an escaped NUL', 'metadata', { q: 'a\u0000b' }),
  post('a SEARCH query has an escaped NUL', json({ ...valid(), type: 'SEARCH', metadata: { query: 'x\u0000' } })),
  post('a metadata value is a lone surrogate', '{"userId":"u","type":"LOGIN","metadata":{"q":"a\\ud800"}}'),
];

const SIZES: HostileCase[] = [
  post('a single event body is 70 KB', json({ ...valid(), metadata: { pad: 'p'.repeat(70_000) } }), 413),
  post('a single event body is 2 MB', json({ ...valid(), metadata: { pad: 'p'.repeat(2_000_000) } }), 413),
  post(
    'a batch body is 1.1 MB',
    json({ events: [{ ...valid(), metadata: { pad: 'p'.repeat(1_100_000) } }] }),
    413,
    BATCH,
  ),
  post('a batch has 0 events', json({ events: [] }), 400, BATCH),
  post(
    'a batch has 501 events',
    json({ events: Array.from({ length: 501 }, () => ({ userId: 'u', type: 'LOGIN' })) }),
    400,
    BATCH,
  ),
  post(
    'a batch has 5 000 events',
    json({ events: Array.from({ length: 5000 }, () => ({ userId: 'u', type: 'LOGIN' })) }),
    400,
    BATCH,
  ),
  post('a batch has no events field', json({}), 400, BATCH),
  post(
    'a batch has one bad event among 10 valid',
    json({ events: [...Array.from({ length: 10 }, valid), { userId: '' }] }),
    400,
    BATCH,
  ),
  post('the single endpoint gets a batch body', json({ events: [valid()] })),
];

const CONTENT_TYPES: HostileCase[] = [
  ...[
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/xml',
    'text/json',
    'application/javascript',
    'application/json-seq',
    'application/jsonx',
    'text/html; charset=utf-8',
    '*/*',
    'application/*',
    'json',
  ].map((type) => ({
    ...post(`the content type is ${type}`, json(valid()), 415),
    headers: { 'Content-Type': type, 'X-API-Key': KEY },
  })),
  { ...post('there is no content type', json(valid()), 415), headers: { 'X-API-Key': KEY } },
  {
    ...post('the charset is latin1', json(valid()), 415),
    headers: { 'Content-Type': 'application/json; charset=latin1', 'X-API-Key': KEY },
  },
  {
    ...post('the charset is unknown', json(valid()), 415),
    headers: { 'Content-Type': 'application/json; charset=klingon', 'X-API-Key': KEY },
  },
  {
    ...post('the body claims gzip but is not', json(valid()), 400),
    headers: { ...JSON_HEADERS, 'Content-Encoding': 'gzip' },
  },
  {
    ...post('the content encoding is unknown', json(valid()), 415),
    headers: { ...JSON_HEADERS, 'Content-Encoding': 'compress' },
  },
  {
    ...post(
      'the batch is a gzip bomb (10 MB of zeros in ~10 KB)',
      gzipSync(Buffer.alloc(10 * 1024 * 1024)),
      413,
      BATCH,
    ),
    headers: { ...JSON_HEADERS, 'Content-Encoding': 'gzip' },
  },
  {
    ...post(
      'the gzip batch inflates past 1 MB of valid-looking JSON',
      gzipSync(json({ events: [{ ...valid(), metadata: { note: 'x'.repeat(2 * 1024 * 1024) } }] })),
      413,
      BATCH,
    ),
    headers: { ...JSON_HEADERS, 'Content-Encoding': 'gzip' },
  },
  {
    ...post('the gzip body is cut short', gzipSync(json({ events: [valid()] })).subarray(0, 20), 400, BATCH),
    headers: { ...JSON_HEADERS, 'Content-Encoding': 'gzip' },
  },
  {
    ...post(
      'a gzip batch holds an invalid event',
      gzipSync(json({ events: [{ ...valid(), type: 'NOPE' }] })),
      400,
      BATCH,
    ),
    headers: { ...JSON_HEADERS, 'Content-Encoding': 'gzip' },
  },
  {
    ...post('the content encoding is deflate', json(valid()), 415),
    headers: { ...JSON_HEADERS, 'Content-Encoding': 'deflate' },
  },
  {
    ...post('the content encoding is br', json(valid()), 415),
    headers: { ...JSON_HEADERS, 'Content-Encoding': 'br' },
  },
  {
    ...post('the batch gets text/plain', json({ events: [valid()] }), 415, BATCH),
    headers: { 'Content-Type': 'text/plain', 'X-API-Key': KEY },
  },
];

const LIST = '/api/v1/activities';
const USER_LIST = '/api/v1/users/alice/activities';
const QUERY_INJECTION: HostileCase[] = [
  get('userId[$ne]= is sent', `${LIST}?userId[$ne]=`),
  get('userId[$ne]=x is sent', `${LIST}?userId[$ne]=x`),
  get('userId[$gt]= is sent', `${LIST}?userId[$gt]=`),
  get('type[$regex]=.* is sent', `${LIST}?type[$regex]=.*`),
  get('type[$in][]=LOGIN is sent', `${LIST}?type[$in][]=LOGIN`),
  get('$where=1 is sent', `${LIST}?$where=1`),
  get('an encoded $where is sent', `${LIST}?%24where=sleep(100)`),
  get('userId.$ne is sent', `${LIST}?userId.$ne=x`),
  get('userId[]=a is sent', `${LIST}?userId[]=a`),
  get('userId is given twice', `${LIST}?userId=a&userId=b`),
  get('userId is a JSON operator object', `${LIST}?userId=${encodeURIComponent('{"$ne":null}')}`),
  get('userId has an emoji', `${LIST}?userId=${encodeURIComponent('😀')}`),
  get('userId has a NUL', `${LIST}?userId=a%00b`),
  get('__proto__[polluted]=1 is sent', `${LIST}?__proto__[polluted]=1`),
  get('constructor[prototype][polluted]=1 is sent', `${LIST}?constructor[prototype][polluted]=1`),
  get('an unknown parameter is sent', `${LIST}?admin=true`),
  get('type is not a type name', `${LIST}?type=drop`),
  get('sort is a random word', `${LIST}?sort=random`),
  get('limit is negative', `${LIST}?limit=-1`),
  get('limit is 0', `${LIST}?limit=0`),
  get('limit is huge', `${LIST}?limit=100000000`),
  get('limit is a float', `${LIST}?limit=1.5`),
  get('limit is exponent notation', `${LIST}?limit=1e2`),
  get('limit is not a number', `${LIST}?limit=abc`),
  get('page is 0', `${LIST}?page=0`),
  get('page and cursor are combined', `${LIST}?page=1&cursor=abc`),
  get('from is not a date', `${LIST}?from=yesterday`),
  get('from is after to', `${LIST}?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z`),
  get('from has no offset', `${LIST}?from=2026-01-01T00:00:00`),
  get('the user list gets userId[$ne]', `${USER_LIST}?userId[$ne]=x`),
  get('the user list gets a second userId', `${USER_LIST}?userId=bob`),
  get('the by-id route gets a query parameter', `${LIST}/${randomUUID()}?fields=all`),
];

const cursor = (payload: unknown) => Buffer.from(json(payload)).toString('base64url');
const BAD_CURSORS: HostileCase[] = [
  get('the cursor is empty', `${LIST}?cursor=`),
  get('the cursor has illegal characters', `${LIST}?cursor=${encodeURIComponent('ab$cd')}`),
  get('the cursor is not base64 JSON', `${LIST}?cursor=abcdef`),
  get('the cursor is 600 characters', `${LIST}?cursor=${'a'.repeat(600)}`),
  get('the cursor is JSON of the wrong shape', `${LIST}?cursor=${cursor({ hello: 'world' })}`),
  get(
    'the cursor has an operator',
    `${LIST}?cursor=${cursor({ v: 1, t: { $gt: 0 }, i: randomUUID(), s: 'desc', f: 'x'.repeat(22) })}`,
  ),
  get(
    'the cursor has an out-of-range time',
    `${LIST}?cursor=${cursor({ v: 1, t: 1e20, i: randomUUID(), s: 'desc', f: 'x'.repeat(22) })}`,
  ),
  get(
    'the cursor has a forged filter fingerprint',
    `${LIST}?cursor=${cursor({ v: 1, t: 0, i: randomUUID(), s: 'desc', f: 'x'.repeat(22) })}`,
  ),
  get(
    'the cursor is for the other sort order',
    `${LIST}?sort=asc&cursor=${cursor({ v: 1, t: 0, i: randomUUID(), s: 'desc', f: 'x'.repeat(22) })}`,
  ),
  get('the cursor is given twice', `${LIST}?cursor=abc&cursor=def`),
  get('the cursor is __proto__ JSON', `${LIST}?cursor=${cursor({ __proto__: { polluted: true } })}`),
];

const PATH_TRAVERSAL: HostileCase[] = [
  get('the event id is ../../etc/passwd', `${LIST}/../../etc/passwd`, 404),
  get('the event id is ..', `${LIST}/..`, 400),
  get('the event id is %2e%2e', `${LIST}/%2e%2e`, 400),
  get('the event id is %2e%2e%2f%2e%2e%2fetc%2fpasswd', `${LIST}/%2e%2e%2f%2e%2e%2fetc%2fpasswd`, 400),
  get('the event id is ..%2F..%2F', `${LIST}/..%2F..%2F`, 400),
  get('the event id has a double-encoded slash', `${LIST}/%252e%252e%252f`, 400),
  get('the event id has a NUL', `${LIST}/${randomUUID()}%00`, 400),
  get('the event id has a bad percent-encoding', `${LIST}/%ZZ`, 400),
  get('the event id is a UUID with a path suffix', `${LIST}/${randomUUID()}%2F..`, 400),
  get('the event id is a backslash traversal', `${LIST}/..%5C..%5Cwindows`, 400),
  get('the user id is ../../admin', '/api/v1/users/..%2F..%2Fadmin/activities', 400),
  // A bare `..` is a legal user id (ids may contain dots) and is only ever an equality filter; with a slash it is not.
  get('the user id is %2e%2e%2f%2e%2e', '/api/v1/users/%2e%2e%2f%2e%2e/activities', 400),
  get('the user id is ..%5C..', '/api/v1/users/..%5C../activities', 400),
  get('the user id has an encoded NUL', '/api/v1/users/a%00b/activities', 400),
  get('the user id is 500 characters', `/api/v1/users/${'u'.repeat(500)}/activities`, 400),
  get('the user id is an operator', `/api/v1/users/${encodeURIComponent('{"$ne":null}')}/activities`, 400),
  get('the path escapes the API with a literal ../', '/api/v1/../../healthz/../api/v1/activities', 404),
  get('the path has a double slash', '//api/v1//activities', 404),
];

const LONG = 'x'.repeat(8_000);
const HEADER_ABUSE: HostileCase[] = [
  { ...post('X-Request-Id is 8 000 characters', '{'), headers: { ...JSON_HEADERS, 'X-Request-Id': LONG } },
  { ...post('X-Request-Id has spaces and quotes', '{'), headers: { ...JSON_HEADERS, 'X-Request-Id': 'a "b" <c>' } },
  {
    ...post('X-Request-Id has an encoded CRLF', '{'),
    headers: { ...JSON_HEADERS, 'X-Request-Id': 'a%0d%0aSet-Cookie:x=1' },
  },
  {
    ...post('User-Agent is 8 000 characters and the body is bad', '{'),
    headers: { ...JSON_HEADERS, 'User-Agent': LONG },
  },
  rawRequest(
    'a header value has a bare CR',
    400,
    [
      `POST ${SINGLE} HTTP/1.1`,
      'Host: x',
      `X-API-Key: ${KEY}`,
      'X-Request-Id: a\rSet-Cookie: x=1',
      'Content-Type: application/json',
      'Content-Length: 2',
      'Connection: close',
    ],
    '{}',
  ),
  rawRequest(
    'a header value has a NUL',
    400,
    [`POST ${SINGLE} HTTP/1.1`, 'Host: x', `X-API-Key: ${KEY}\u0000`, 'Content-Length: 2', 'Connection: close'],
    '{}',
  ),
  rawRequest(
    'a header line is folded (obs-fold)',
    400,
    [
      `POST ${SINGLE} HTTP/1.1`,
      'Host: x',
      'Content-Type: application/json',
      ' ; charset=utf-8',
      'Content-Length: 2',
      'Connection: close',
    ],
    '{}',
  ),
  rawRequest(
    'Content-Type is sent twice, text/plain first',
    415,
    [
      `POST ${SINGLE} HTTP/1.1`,
      'Host: x',
      `X-API-Key: ${KEY}`,
      'Content-Type: text/plain',
      'Content-Type: application/json',
      'Content-Length: 2',
      'Connection: close',
    ],
    '{}',
  ),
  rawRequest(
    'Content-Length is not a number',
    400,
    [
      `POST ${SINGLE} HTTP/1.1`,
      'Host: x',
      'Content-Type: application/json',
      'Content-Length: abc',
      'Connection: close',
    ],
    '{}',
  ),
  rawRequest(
    'Content-Length is negative',
    400,
    [`POST ${SINGLE} HTTP/1.1`, 'Host: x', 'Content-Type: application/json', 'Content-Length: -1', 'Connection: close'],
    '{}',
  ),
  rawRequest(
    'two different Content-Lengths are sent',
    400,
    [
      `POST ${SINGLE} HTTP/1.1`,
      'Host: x',
      'Content-Type: application/json',
      'Content-Length: 2',
      'Content-Length: 5',
      'Connection: close',
    ],
    '{}',
  ),
  rawRequest(
    'Content-Length and chunked are both sent',
    400,
    [
      `POST ${SINGLE} HTTP/1.1`,
      'Host: x',
      'Content-Type: application/json',
      'Content-Length: 2',
      'Transfer-Encoding: chunked',
      'Connection: close',
    ],
    '0\r\n\r\n',
  ),
  rawRequest(
    'Content-Length is shorter than the body',
    400,
    [
      `POST ${SINGLE} HTTP/1.1`,
      'Host: x',
      `X-API-Key: ${KEY}`,
      'Content-Type: application/json',
      'Content-Length: 5',
      'Connection: close',
    ],
    json(valid()),
  ),
  rawRequest(
    'the chunked encoding is broken',
    400,
    [
      `POST ${SINGLE} HTTP/1.1`,
      'Host: x',
      `X-API-Key: ${KEY}`,
      'Content-Type: application/json',
      'Transfer-Encoding: chunked',
      'Connection: close',
    ],
    'zz\r\n{}\r\n0\r\n\r\n',
  ),
  rawRequest('the headers exceed 16 KiB', 431, [
    `GET /healthz HTTP/1.1`,
    'Host: x',
    `X-Big: ${'b'.repeat(20_000)}`,
    'Connection: close',
  ]),
  rawRequest('the method is unknown to HTTP', 400, [`FOO ${SINGLE} HTTP/1.1`, 'Host: x', 'Connection: close']),
  rawRequest('the request line is garbage', 400, ['HELLO', 'Connection: close']),
  rawRequest('the HTTP version is 9.9', 400, [`GET /healthz HTTP/9.9`, 'Host: x', 'Connection: close']),
  { ...get('the method is DELETE', SINGLE, 405), method: 'DELETE' },
  { ...get('the method is PUT', SINGLE, 405), method: 'PUT' },
  { ...get('the method is PATCH on an event', `${LIST}/${randomUUID()}`, 405), method: 'PATCH' },
  { ...get('the method is TRACE', SINGLE, 405), method: 'TRACE' },
  { ...get('the method is OPTIONS without CORS configured', SINGLE, 405), method: 'OPTIONS' },
  get('GET asks for the batch endpoint', BATCH, 405),
  get('the path is unknown', '/api/v1/admin', 404),
  get('the path is an old API version', '/api/v0/activities', 404),
];

const AUTH_ABUSE: HostileCase[] = [
  { ...post('no key is sent', json(valid()), 401), headers: { 'Content-Type': 'application/json' } },
  {
    ...post('an unknown key is sent', json(valid()), 401),
    headers: { 'Content-Type': 'application/json', 'X-API-Key': 'guess' },
  },
  {
    ...post('the scheme is Basic', json(valid()), 401),
    headers: {
      'Content-Type': 'application/json',
      Authorization: `Basic ${Buffer.from(`u:${KEY}`).toString('base64')}`,
    },
  },
  {
    ...post('the scheme is Digest', json(valid()), 401),
    headers: { 'Content-Type': 'application/json', Authorization: 'Digest username="u"' },
  },
  {
    ...post('Bearer has no key', json(valid()), 401),
    headers: { 'Content-Type': 'application/json', Authorization: 'Bearer' },
  },
  {
    ...post('Bearer has two tokens', json(valid()), 401),
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${KEY} ${KEY}` },
  },
  {
    ...post('the key is the key hash', json(valid()), 401),
    headers: { 'Content-Type': 'application/json', 'X-API-Key': hashApiKey(KEY) },
  },
  {
    ...post('the bearer key is 8 000 characters', json(valid()), 401),
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${LONG}` },
  },
  {
    ...post('Bearer and X-API-Key disagree', json(valid()), 401),
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${KEY}`, 'X-API-Key': READ_ONLY_KEY },
  },
  {
    ...post('the key is sent in the query string', json(valid()), 401, `${SINGLE}?api_key=${KEY}`),
    headers: { 'Content-Type': 'application/json' },
  },
  {
    ...post('a read-only key ingests', json(valid()), 403),
    headers: { 'Content-Type': 'application/json', 'X-API-Key': READ_ONLY_KEY },
  },
  {
    ...post('a read-only key ingests a batch', json({ events: [valid()] }), 403, BATCH),
    headers: { 'Content-Type': 'application/json', 'X-API-Key': READ_ONLY_KEY },
  },
  get('an ingest-only key lists activities', LIST, 403, { 'X-API-Key': INGEST_ONLY_KEY }),
  get('an ingest-only key reads a user', USER_LIST, 403, { 'X-API-Key': INGEST_ONLY_KEY }),
  get('a read without any key', LIST, 401, {}),
];

const FAMILIES: Array<[string, HostileCase[]]> = [
  ['malformed JSON', MALFORMED_JSON],
  ['wrong types', WRONG_TYPES],
  ['empty and huge strings', STRINGS],
  ['deep nesting', DEEP_NESTING],
  ['$-keys, dotted keys and prototype pollution', KEYS_AND_POLLUTION],
  ['invalid, out-of-range and far-future dates', DATES],
  ['unicode edge cases and NUL bytes', UNICODE],
  ['oversized bodies and batch sizes', SIZES],
  ['wrong content types', CONTENT_TYPES],
  ['operator injection in query strings', QUERY_INJECTION],
  ['bad cursors', BAD_CURSORS],
  ['path traversal in ids', PATH_TRAVERSAL],
  ['header abuse, methods and routes', HEADER_ABUSE],
  ['authentication abuse', AUTH_ABUSE],
];

function viaHttp(port: number, c: HostileCase): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: c.method ?? 'GET',
        path: c.path ?? '/',
        headers: { Connection: 'close', ...c.headers },
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    // The server may answer 413 and close before a large body is fully written; the answer is what counts.
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.end(c.body);
  });
}

function viaSocket(port: number, raw: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString();
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers = Object.fromEntries(
        headerLines.map((line) => [
          line.slice(0, line.indexOf(':')).toLowerCase(),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
      );
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
    socket.write(raw, 'latin1');
  });
}

async function messageCount(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

describe('hostile input corpus against the running API', () => {
  const kafka = testKafka();
  const topic = uniqueName('api-hostile');
  let admin: Admin;
  let publisher: KafkaActivityPublisher;
  let store: Connection;
  let server: Server;
  let port: number;
  let offsetsBefore: number;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await createTopic(admin, topic, 3);
    store = await testDatabase('api_hostile');
    const brokers = requiredEnv('KAFKA_BROKERS').split(',');
    publisher = new KafkaActivityPublisher(
      { topic, publishTimeoutMs: 4_000 },
      { kafka: createKafka({ clientId: uniqueName('api-hostile'), brokers, logger }), logger },
    );
    await publisher.connect();
    const { entries } = parseApiKeys(
      `${hashApiKey(KEY)}:ingest+read,${hashApiKey(READ_ONLY_KEY)}:read,${hashApiKey(INGEST_ONLY_KEY)}:ingest`,
    );
    const app = createApp({
      logger,
      ingest: new IngestActivityUseCase(TEST_INGEST_CONFIG, { publisher, receipts: TEST_RECEIPTS }),
      queries: new QueryActivitiesUseCase({ reader: new MongoActivityReader(store) }),
      readiness: [],
      config: {
        ...TEST_APP_CONFIG,
        security: {
          apiKeys: staticKeyRing(entries),
          publicPaths: ['/healthz', '/readyz'],
          rateLimit: { windowMs: 60_000, max: 0 },
          corsOrigins: [],
        },
      },
    });
    server = app.listen(0, '127.0.0.1');
    answerClientErrors(server);
    await new Promise<void>((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
    offsetsBefore = await messageCount(admin, topic);
  }, 60_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await publisher.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    await dropDatabase(store);
  }, 60_000);

  it('when the corpus is counted, then it has at least 150 cases', () => {
    expect(FAMILIES.reduce((sum, [, cases]) => sum + cases.length, 0)).toBeGreaterThanOrEqual(150);
  });

  describe.each(FAMILIES)('%s', (_family, cases) => {
    it.each(cases)('when $when, then $status problem+json and the API stays up', async (c) => {
      const reply = c.raw === undefined ? await viaHttp(port, c) : await viaSocket(port, c.raw);

      expect({ status: reply.status, body: reply.body.slice(0, 300) }).toMatchObject({ status: c.status });
      expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
      const problem = JSON.parse(reply.body) as Record<string, unknown>;
      expect(problem).toMatchObject({ status: c.status, type: expect.stringMatching(/^urn:uap:problem:/) });
      // No internals: no stack frames, file paths or library names.
      expect(reply.body).not.toMatch(/\bat \S+ \(|node_modules|\.ts:\d+|SyntaxError|kafkajs|mongo/i);
      const requestId = reply.headers['x-request-id'];
      if (typeof requestId === 'string') expect(requestId).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
      expect(reply.headers['x-powered-by']).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();

      const health = await viaHttp(port, { when: 'health', status: 200, path: '/healthz' });
      expect(health.status).toBe(200);
    });
  });

  it('when the corpus has run, then nothing reached the topic or the store', async () => {
    expect(await messageCount(admin, topic)).toBe(offsetsBefore);
    expect(await store.collection(ACTIVITIES_COLLECTION).countDocuments()).toBe(0);
  });

  it('when a valid event follows the corpus, then it reaches the topic (the check above can see events)', async () => {
    const reply = await viaHttp(port, post('valid', json(valid()), 202));
    expect(reply.status).toBe(202);
    expect(await messageCount(admin, topic)).toBe(offsetsBefore + 1);
  });
});
