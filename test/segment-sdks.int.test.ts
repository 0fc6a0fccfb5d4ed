import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { gunzipSync } from 'node:zlib';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import { ACTIVITIES_COLLECTION, SEGMENT_CALL_TYPES, type SegmentCall } from '@uap/shared/contract';
import { MongoClient, type Collection, type Document } from 'mongodb';
import { hashApiKey } from '../api-service/src/domain/api-key';
import { eventIdOfMessageId } from '../api-service/src/domain/segment/segment-event-id';
import { requiredEnv, storeEnv, testKafka, uniqueName } from './support/integration';
import { freePort, ServiceProcess } from './support/service-process';
import { waitUntil } from './support/wait-until';

const EVENTS_PER_SDK = 10_000;
const WRITE_KEY = randomBytes(24).toString('hex');
const READ_KEY = randomBytes(24).toString('hex');
const ADMIN_KEY = randomBytes(24).toString('hex');

type Sdk = 'segment' | 'rudderstack';
type WireMessage = Record<string, unknown> & { type: SegmentCall; messageId: string };
interface WireBody {
  batch: WireMessage[];
  sentAt?: string;
}
interface SdkCall {
  call: SegmentCall;
  params: Record<string, unknown>;
}

/** The track names the bulk sends, and the activity type each must be stored as. */
const TRACKED: ReadonlyArray<readonly [string, string]> = [
  ['Video Played', 'VIDEO_PLAYED'], // planned by this suite: the name in UPPER_SNAKE
  ['Checkout Step Viewed', 'CHECKOUT_STEP'], // planned by this suite with that name among its eventNames
  ['Order Completed', 'PURCHASE'], // a built-in's Segment name
  ['Signed In', 'LOGIN'],
];
const TYPE_OF_TRACK = new Map(TRACKED);

/** Values a JSON document can hold and the store can keep, on a few of the events. */
const RICH_PROPERTIES = {
  text: 'Grüße, 漢字 and 🎉',
  empty: '',
  float: 3.25,
  negative: -42,
  big: Number.MAX_SAFE_INTEGER,
  zero: 0,
  yes: true,
  no: false,
  nothing: null,
  list: ['a', 1, true, null, { inList: 'an object in an array' }],
  emptyList: [],
  emptyObject: {},
  deep: { a: { b: { c: 'four levels down' } } },
};

/** The i-th call of the bulk, for either SDK: every call type, both kinds of actor, the optional fields. */
function nthCall(sdk: Sdk, i: number): SdkCall {
  const user = `${sdk}-user-${i % 101}`;
  const visitor = `${sdk}-anon-${i % 89}`;
  const actor =
    i % 3 === 0 ? { anonymousId: visitor } : i % 3 === 1 ? { userId: user } : { userId: user, anonymousId: visitor };
  const common = {
    context: {
      ip: `203.0.113.${i % 250}`,
      locale: 'fr-FR',
      page: { path: `/p/${i % 40}`, referrer: 'https://example.com/' },
      ...(i % 5 === 0 ? { campaign: { name: 'winter', source: 'newsletter' } } : {}),
    },
    ...(i % 4 === 0 ? { integrations: { All: true, Mixpanel: false, Amplitude: { session_id: 1_234 } } } : {}),
    // As if queued on a device for an hour before it was sent.
    ...(i % 7 === 0 ? { timestamp: new Date(Date.now() - 3_600_000) } : {}),
    // A sender's own ids need not be UUIDs.
    ...(i % 250 === 1 ? { messageId: `${sdk}-own-message-id-${i}` } : {}),
  };
  const properties = { n: i, sdk, ...(i % 1_000 === 0 ? RICH_PROPERTIES : {}) };
  switch (i % 10) {
    case 6:
      return { call: 'page', params: { ...actor, ...common, name: 'Pricing', category: 'Docs', properties } };
    case 7:
      return { call: 'screen', params: { ...actor, ...common, name: 'Settings', properties } };
    case 8:
      return {
        call: 'identify',
        params: { userId: user, anonymousId: visitor, ...common, traits: { n: i, plan: i % 2 ? 'pro' : 'free' } },
      };
    case 9:
      return i % 20 === 9
        ? { call: 'group', params: { userId: user, ...common, groupId: `team-${i % 13}`, traits: { n: i, seats: 5 } } }
        : { call: 'alias', params: { userId: user, previousId: visitor, ...common } };
    default: {
      const [event] = TRACKED[i % 10 < 3 ? 0 : (i % 10) - 2] ?? TRACKED[0]!;
      const extra = event === 'Signed In' ? { method: 'password', success: true } : {};
      return { call: 'track', params: { ...actor, ...common, event, properties: { ...properties, ...extra } } };
    }
  }
}

function dispatch(
  client: SegmentAnalytics | RudderAnalytics,
  { call, params }: SdkCall,
  callback?: (err?: unknown) => void,
): void {
  // Both SDKs take the same params for the same six calls; their typings only differ in how strict they are.
  (client as unknown as Record<SegmentCall, (params: object, callback?: (err?: unknown) => void) => unknown>)[call](
    params,
    callback,
  );
}

/** One HTTP request an SDK made, and how it ended: a status, or a connection-level failure. */
class Attempt {
  status: number | undefined;
  error: string | undefined;
  body: string | undefined;
  constructor(
    readonly messageIds: string[],
    readonly startedAt: number,
  ) {}
  answered(status: number): void {
    this.status = status;
  }
  failed(err: unknown): void {
    if (this.status !== undefined) return;
    const cause = (err as { cause?: { code?: string }; code?: string }).cause?.code;
    this.error = cause ?? (err as { code?: string }).code ?? String(err);
  }
}

/**
 * What an SDK put on the wire, seen through its own hooks: every attempt, and every message as first sent with the
 * `sentAt` values it went out with (retries resend the same message; Segment stamps the batch anew each time).
 */
class WireLog {
  readonly attempts: Attempt[] = [];
  readonly messages = new Map<string, { message: WireMessage; sentAts: Set<string>; firstAttempt: Attempt }>();

  constructor(readonly sdk: Sdk) {}

  begin(body: WireBody): Attempt {
    const attempt = new Attempt(
      body.batch.map((m) => m.messageId),
      Date.now(),
    );
    this.attempts.push(attempt);
    for (const message of body.batch) {
      const seen = this.messages.get(message.messageId) ?? { message, sentAts: new Set(), firstAttempt: attempt };
      for (const sentAt of [message['sentAt'], body.sentAt]) if (typeof sentAt === 'string') seen.sentAts.add(sentAt);
      this.messages.set(message.messageId, seen);
    }
    return attempt;
  }

  answeredWith(status: number): Attempt[] {
    return this.attempts.filter((a) => a.status === status);
  }

  connectionFailures(): Attempt[] {
    return this.attempts.filter((a) => a.status === undefined && a.error !== undefined);
  }

  /** Messages whose latest attempt was not answered 200. */
  undelivered(): string[] {
    const last = new Map<string, Attempt>();
    for (const attempt of this.attempts) for (const id of attempt.messageIds) last.set(id, attempt);
    return [...last].filter(([, attempt]) => attempt.status !== 200).map(([id]) => id);
  }

  attemptsCarrying(messageId: string): Attempt[] {
    return this.attempts.filter((a) => a.messageIds.includes(messageId));
  }
}

/** analytics-node as an app configures it: host, path, write key; its fetch is wrapped to see the wire. */
function segmentClient(url: string, wire: WireLog, flushAt: number): SegmentAnalytics {
  return new SegmentAnalytics({
    writeKey: WRITE_KEY,
    host: url,
    path: '/v1/batch',
    flushAt,
    flushInterval: 200,
    httpClient: async (target, init) => {
      const attempt = wire.begin(JSON.parse(init.body) as WireBody);
      try {
        const res = await fetch(target, init);
        attempt.answered(res.status);
        attempt.body = await res.clone().text();
        return res;
      } catch (err) {
        attempt.failed(err);
        throw err;
      }
    },
  });
}

/**
 * rudder-sdk-node as an app configures it: dataPlaneUrl and write key, gzip on (its default). It sends one batch at
 * a time, so the attempt in flight is always the latest. Its default of 3 retries over about 1.5 s would drop a batch
 * during a restart; an app that rides out restarts raises them, as here.
 */
function rudderClient(url: string, wire: WireLog, flushAt: number, errors: unknown[] = []): RudderAnalytics {
  let body: WireBody | undefined;
  let current: Attempt | undefined;
  return new RudderAnalytics(WRITE_KEY, {
    dataPlaneUrl: url,
    flushAt,
    flushInterval: 200,
    maxInternalQueueSize: 4 * EVENTS_PER_SDK,
    logLevel: 'none',
    retryCount: 30,
    axiosRetryConfig: {
      retryDelay: (retry: number) => Math.min(1_000, 100 * 2 ** retry),
      onRetry: (_retry: number, err: unknown) => {
        current?.failed(err);
        current = wire.begin(body!);
      },
    },
    axiosConfig: {
      // Runs once per batch, on the gzipped body; axios-retry resends the same bytes without calling it again.
      transformRequest: [
        (data: Buffer) => {
          if (!Buffer.isBuffer(data) || data[0] !== 0x1f || data[1] !== 0x8b) throw new Error('the body is not gzip');
          body = JSON.parse(gunzipSync(data).toString('utf8')) as WireBody;
          current = wire.begin(body);
          return data;
        },
      ],
      validateStatus: (status: number) => {
        current?.answered(status);
        return status >= 200 && status < 300;
      },
      transformResponse: [
        (data: string) => {
          if (current) current.body = data;
          return data;
        },
      ],
    },
    errorHandler: (err: unknown) => void errors.push(err),
  });
}

/** The message as the SDK sent it, rebuilt from the stored event alone (`sentAt`, properties and traits aside). */
function messageFromStored(doc: Document): Record<string, unknown> {
  const segment = doc['segment'] as Record<string, unknown> & { extras?: Record<string, unknown> };
  const alias = segment['call'] === 'alias';
  const rebuilt: Record<string, unknown> = {
    ...segment.extras,
    type: segment['call'],
    messageId: segment['messageId'],
    userId: doc['userId'],
    // An alias stores the id it links (previousId) as its anonymousId, and its own anonymousId in segment.
    anonymousId: alias ? segment['anonymousId'] : doc['anonymousId'],
    previousId: segment['previousId'],
    event: segment['event'],
    name: segment['name'],
    category: segment['category'],
    groupId: segment['groupId'],
    timestamp: segment['timestamp'],
    originalTimestamp: segment['originalTimestamp'],
    context: segment['context'],
    integrations: segment['integrations'],
  };
  return Object.fromEntries(Object.entries(rebuilt).filter(([, value]) => value !== undefined));
}

function wireWithoutPayload(message: WireMessage): Record<string, unknown> {
  const { sentAt: _sentAt, properties: _properties, traits: _traits, ...rest } = message;
  return rest;
}

function expectedType(message: WireMessage): string {
  if (message.type !== 'track') return SEGMENT_CALL_TYPES[message.type];
  return TYPE_OF_TRACK.get(message['event'] as string) ?? `unexpected event ${String(message['event'])}`;
}

/**
 * Published SDKs nobody here wrote, against the real api, broker, worker and store: Segment's analytics-node and
 * RudderStack's node SDK send to the api's Segment-compatible /v1 surface exactly as they would send to Segment,
 * with only the host and the write key changed.
 */
describe('Segment and RudderStack SDKs on the real api, broker, worker and store', () => {
  const topic = uniqueName('sdks');
  const registryTopic = `${topic}.types`;
  const dlqTopic = `${topic}.dlq`;
  const group = uniqueName('sdks-group');
  const dbName = uniqueName('sdks').replace(/-/g, '_');
  let port: number;
  let api: ServiceProcess;
  let worker: ServiceProcess;
  let mongo: MongoClient;
  let activities: Collection;
  /** The bulk's stored events by messageId, read once the bulk is in. */
  let storedBulk: Map<string, Document[]>;
  const wires = { segment: new WireLog('segment'), rudderstack: new WireLog('rudderstack') };

  const shared = () => ({
    KAFKA_BROKERS: requiredEnv('KAFKA_BROKERS'),
    ...storeEnv(),
    MONGO_DB: dbName,
    ACTIVITIES_TOPIC: topic,
    ACTIVITIES_TOPIC_PARTITIONS: '3',
    ACTIVITY_TYPES_TOPIC: registryTopic,
    LOG_LEVEL: 'warn',
  });
  // The unplanned-type policy is left at its default, reject.
  const startApi = async () => {
    const started = await ServiceProcess.start(
      'api',
      'sdks',
      {
        ...shared(),
        NODE_ENV: 'production',
        WORKER_CONSUMER_GROUP: group,
        RECEIPT_SECRET: 'a-receipt-secret-for-the-sdk-integration-test',
        API_KEYS: `${hashApiKey(WRITE_KEY)}:ingest,${hashApiKey(READ_KEY)}:read,${hashApiKey(ADMIN_KEY)}:admin`,
      },
      { port },
    );
    await started.waitUntilReady(60_000);
    return started;
  };
  const get = async (path: string) => {
    const res = await fetch(`${api.url}${path}`, {
      headers: { 'x-api-key': READ_KEY },
      signal: AbortSignal.timeout(15_000),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const planType = async (name: string, extra: Record<string, unknown> = {}) => {
    const res = await fetch(`${api.url}/api/v1/activity-types/${name}`, {
      method: 'PUT',
      headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({
        description: `${name}, sent by the SDK suite`,
        metadataSchema: { type: 'object' },
        ...extra,
      }),
      signal: AbortSignal.timeout(15_000),
    });
    expect([name, res.status, await res.text()]).toEqual([name, 201, expect.any(String)]);
  };
  /**
   * The stored events of these messages, looked up by the eventId the api derives from each messageId: an equality
   * on eventId is answered in milliseconds on FerretDB, where a filter on a nested field scans every document.
   */
  const storedByMessageId = async (messageIds: string[]) => {
    const found = await Promise.all(
      messageIds.map(async (id) => {
        const doc = await activities.findOne({ eventId: eventIdOfMessageId(id) }, { projection: { _id: 0 } });
        return doc === null ? undefined : ([id, doc] as const);
      }),
    );
    return new Map(found.filter((entry) => entry !== undefined));
  };
  const waitUntilStored = (messageIds: string[]) =>
    waitUntil(
      `${messageIds.length} messages to be stored`,
      async () => {
        const stored = await storedByMessageId(messageIds);
        return stored.size === messageIds.length ? stored : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 300, describe: () => `${worker.tail()}\n${api.tail()}` },
    );

  beforeAll(async () => {
    port = await freePort();
    api = await startApi();
    worker = await ServiceProcess.start('worker', 'sdks', {
      ...shared(),
      DLQ_TOPIC: dlqTopic,
      CONSUMER_GROUP: group,
      DEAD_LETTER_INDEXER_GROUP: uniqueName('sdks-dlq-group'),
    });
    mongo = await MongoClient.connect(requiredEnv('MONGO_URL'));
    activities = mongo.db(dbName).collection(ACTIVITIES_COLLECTION);
    await worker.waitUntilReady(60_000);
    await planType('VIDEO_PLAYED');
    await planType('CHECKOUT_STEP', { eventNames: ['Checkout Step Viewed'] });
  }, 180_000);

  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await mongo
      ?.db(dbName)
      .dropDatabase()
      .catch(() => undefined);
    await mongo?.close();
    const admin = testKafka().admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, registryTopic, dlqTopic], timeout: 5_000 }).catch(() => undefined);
    await admin.disconnect();
  }, 60_000);

  it('when 10,000 events go through each SDK and the api restarts midway, then each messageId is stored exactly once', async () => {
    const segment = segmentClient(api.url, wires.segment, 500);
    const rudder = rudderClient(api.url, wires.rudderstack, 500);
    const send = (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        dispatch(segment, nthCall('segment', i));
        dispatch(rudder, nthCall('rudderstack', i));
      }
    };

    send(0, EVENTS_PER_SDK / 2);
    await waitUntil('both SDKs to have batches accepted', () =>
      wires.segment.answeredWith(200).length > 0 && wires.rudderstack.answeredWith(200).length > 0 ? true : undefined,
    );
    await api.stop();
    send(EVENTS_PER_SDK / 2, EVENTS_PER_SDK);
    await waitUntil('both SDKs to fail to reach the stopped api', () =>
      wires.segment.connectionFailures().length > 0 && wires.rudderstack.connectionFailures().length > 0
        ? true
        : undefined,
    );
    api = await startApi();
    await Promise.all([segment.closeAndFlush({ timeout: 120_000 }), rudder.flush()]);

    for (const wire of Object.values(wires)) {
      expect([wire.sdk, wire.messages.size, wire.undelivered()]).toEqual([wire.sdk, EVENTS_PER_SDK, []]);
      // Only the restart stood in their way: no request was refused.
      expect(wire.attempts.filter((a) => a.status !== undefined && a.status >= 400 && a.status < 500)).toEqual([]);
      // Messages first sent while the api was down arrived once it was back.
      expect([...wire.messages.values()].filter((m) => m.firstAttempt.status === undefined).length).toBeGreaterThan(0);
    }

    const sent = [...wires.segment.messages.keys(), ...wires.rudderstack.messages.keys()];
    // Every message is acknowledged by now. Once the read watermark passes this moment, the worker has processed
    // all of them (and any duplicate a retry published), so one read of the store sees the final state.
    const acknowledgedBy = Date.now();
    await waitUntil(
      'the worker to process everything acknowledged',
      async () => {
        const { body } = await get('/api/v1/freshness');
        return typeof body['watermark'] === 'string' && Date.parse(body['watermark']) >= acknowledgedBy
          ? true
          : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500, describe: () => worker.tail() },
    );
    const docs = await activities.find({}, { projection: { _id: 0 } }).toArray();
    storedBulk = new Map();
    for (const doc of docs) {
      const messageId = (doc['segment'] as { messageId?: string } | undefined)?.messageId ?? '(none)';
      storedBulk.set(messageId, [...(storedBulk.get(messageId) ?? []), doc]);
    }
    const missing = sent.filter((id) => !storedBulk.has(id));
    const duplicated = [...storedBulk].filter(([, copies]) => copies.length > 1).map(([id]) => id);
    const unknown = [...storedBulk.keys()].filter(
      (id) => !wires.segment.messages.has(id) && !wires.rudderstack.messages.has(id),
    );
    expect({ missing, duplicated, unknown }).toEqual({ missing: [], duplicated: [], unknown: [] });
    expect(new Set(docs.map((doc) => doc['eventId'])).size).toBe(sent.length);
  }, 240_000);

  it('when the bulk is read back, then every field the SDKs sent round-trips and occurredAt is corrected for skew', async () => {
    expect(storedBulk?.size).toBe(2 * EVENTS_PER_SDK);
    const mismatches: Array<{ messageId: string; stored: unknown; sent: unknown }> = [];
    const note = (messageId: string, stored: unknown, sent: unknown) => {
      if (!isDeepStrictEqual(stored, sent)) mismatches.push({ messageId, stored, sent });
    };
    for (const wire of Object.values(wires)) {
      for (const [messageId, { message, sentAts }] of wire.messages) {
        const doc = storedBulk.get(messageId)![0]!;
        const segment = doc['segment'] as Record<string, string>;
        note(messageId, doc['eventId'], eventIdOfMessageId(messageId));
        note(messageId, messageFromStored(doc), wireWithoutPayload(message));
        note(messageId, doc['metadata'], message['properties'] ?? message['traits'] ?? {});
        note(messageId, doc['type'], expectedType(message));
        if (message.type === 'alias') note(messageId, doc['anonymousId'], message['previousId']);
        note(messageId, sentAts.has(segment['sentAt']!), true);
        // Segment's rule: the device clock's error is what separates its sentAt from the server's receivedAt.
        const clientTime = Date.parse(segment['originalTimestamp'] ?? segment['timestamp']!);
        const receivedAt = new Date(doc['receivedAt'] as Date).getTime();
        note(
          messageId,
          new Date(doc['occurredAt'] as Date).getTime(),
          receivedAt - (Date.parse(segment['sentAt']!) - clientTime),
        );
      }
    }
    expect({ count: mismatches.length, first: mismatches.slice(0, 3) }).toEqual({ count: 0, first: [] });

    // The api reads back the same event by the eventId it derived from the messageId.
    const rich = storedBulk.get(
      [...wires.rudderstack.messages.values()].find(
        (m) => m.message['properties'] && 'deep' in (m.message['properties'] as object),
      )!.message.messageId,
    )![0]!;
    const read = await get(`/api/v1/activities/${String(rich['eventId'])}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ eventId: rich['eventId'], metadata: rich['metadata'], segment: rich['segment'] });
  });

  it('when a visitor browses, is identified, then aliased, then the user’s activities include the anonymous history in order', async () => {
    const run = uniqueName('identity');
    const [user, laptop, phone, stranger] = ['user', 'laptop', 'phone', 'stranger'].map((who) => `${run}-${who}`);
    const start = Date.now() - 3_600_000;
    const at = (minute: number) => new Date(start + minute * 60_000);
    const context = { ip: '198.51.100.7' };
    const calls: SdkCall[] = [
      { call: 'page', params: { anonymousId: laptop, name: 'Pricing', timestamp: at(0), context } },
      { call: 'page', params: { anonymousId: phone, name: 'Home', timestamp: at(1), context } },
      { call: 'page', params: { anonymousId: stranger, name: 'Home', timestamp: at(2), context } },
      { call: 'track', params: { anonymousId: laptop, event: 'Video Played', timestamp: at(3), context } },
      { call: 'track', params: { anonymousId: phone, event: 'Order Completed', timestamp: at(4), context } },
      // Signing in on the phone: identify links the phone's id; alias then links the laptop's.
      {
        call: 'identify',
        params: {
          userId: user,
          anonymousId: phone,
          traits: { email: 'ada@example.com', plan: 'pro' },
          timestamp: at(5),
        },
      },
      { call: 'alias', params: { userId: user, previousId: laptop, timestamp: at(6) } },
      { call: 'track', params: { userId: user, event: 'Signed In', timestamp: at(7), context } },
      { call: 'identify', params: { userId: user, traits: { plan: 'enterprise' }, timestamp: at(8) } },
    ].map((c, k) => ({ ...c, params: { ...c.params, messageId: `${run}-${k}` } }) as SdkCall);
    const wire = new WireLog('segment');
    const segment = segmentClient(api.url, wire, calls.length);
    calls.forEach((c) => dispatch(segment, c));
    await segment.closeAndFlush({ timeout: 30_000 });
    expect(wire.undelivered()).toEqual([]);

    const stored = await waitUntilStored(calls.map((c) => c.params['messageId'] as string));
    const eventIdOf = (k: number) => stored.get(`${run}-${k}`)!['eventId'] as string;
    const history = [0, 1, 3, 4, 5, 6, 7, 8].map(eventIdOf); // all but the stranger's page

    const asc = await get(`/api/v1/users/${user}/activities?sort=asc`);
    expect(asc.status).toBe(200);
    expect((asc.body['data'] as Array<{ eventId: string }>).map((e) => e.eventId)).toEqual(history);
    const desc = await get(`/api/v1/users/${user}/activities`);
    expect((desc.body['data'] as Array<{ eventId: string }>).map((e) => e.eventId)).toEqual([...history].reverse());

    const profile = await get(`/api/v1/users/${user}`);
    expect(profile.status).toBe(200);
    expect(profile.body).toMatchObject({
      userId: user,
      traits: { email: 'ada@example.com', plan: 'enterprise' },
      firstSeen: new Date(stored.get(`${run}-0`)!['occurredAt'] as Date).toISOString(),
      lastSeen: new Date(stored.get(`${run}-8`)!['occurredAt'] as Date).toISOString(),
      identifies: 2,
      complete: true,
    });
    expect(profile.body['anonymousIds']).toEqual([laptop, phone].sort());
  });

  describe('when a batch holds a track name that is not planned, under the default reject policy', () => {
    const batchOf = (sdk: Sdk, run: string): SdkCall[] =>
      ['Video Played', 'Order Completed', 'Teleported', 'Video Played', 'Signed In'].map((event, k) => ({
        call: 'track',
        params: { userId: `${run}-user`, event, properties: { k }, messageId: `${run}-${sdk}-${k}` },
      }));
    const REFUSED_INDEX = 2;

    /** The one attempt that carried the batch: a 400 naming the refused message by index, and the rest stored. */
    const expectRefusedOnceAndRestStored = async (wire: WireLog, calls: SdkCall[]) => {
      const ids = calls.map((c) => c.params['messageId'] as string);
      const carrying = wire.attemptsCarrying(ids[REFUSED_INDEX]!);
      expect(carrying.map((a) => [a.status, a.messageIds])).toEqual([[400, ids]]);
      const problem = JSON.parse(carrying[0]!.body ?? '{}') as Record<string, unknown>;
      expect(problem).toMatchObject({
        status: 400,
        accepted: ids.length - 1,
        refused: 1,
        refusedIndexes: [REFUSED_INDEX],
        errors: [expect.objectContaining({ path: `batch.${REFUSED_INDEX}.event`, rule: 'planned-type' })],
      });

      const accepted = ids.filter((_, k) => k !== REFUSED_INDEX);
      const stored = await waitUntilStored(accepted);
      expect([...stored.keys()].sort()).toEqual([...accepted].sort());
      expect((await storedByMessageId([ids[REFUSED_INDEX]!])).size).toBe(0);
    };

    it('then analytics-node gets a 400 it does not retry, and the rest of the batch is stored', async () => {
      const run = uniqueName('refused');
      const calls = batchOf('segment', run);
      const wire = new WireLog('segment');
      const failures: string[] = [];
      const segment = segmentClient(api.url, wire, calls.length);
      calls.forEach((c) =>
        dispatch(segment, c, (err) => {
          if (err) failures.push(String(err));
        }),
      );
      await segment.closeAndFlush({ timeout: 30_000 });

      expect(wire.attempts).toHaveLength(1);
      await expectRefusedOnceAndRestStored(wire, calls);
      // analytics-node sees only the status, so it reports every message of that batch as not delivered.
      expect(failures).toEqual(calls.map(() => expect.stringContaining('[400]')));
    });

    it('then rudder-sdk-node gets a 400 it does not retry, and the rest of the batch is stored', async () => {
      const run = uniqueName('refused');
      const calls = batchOf('rudderstack', run);
      const wire = new WireLog('rudderstack');
      const errors: unknown[] = [];
      const rudder = rudderClient(api.url, wire, calls.length, errors);
      // Its first call is sent on its own; after it, calls wait for flushAt.
      dispatch(rudder, { call: 'page', params: { userId: `${run}-user`, name: 'Warm-up' } });
      await rudder.flush();
      calls.forEach((c) => dispatch(rudder, c));
      await rudder.flush();

      expect(wire.attempts.map((a) => a.status)).toEqual([200, 400]);
      await expectRefusedOnceAndRestStored(wire, calls);
      expect(errors.map((err) => (err as { response?: { status?: number } }).response?.status)).toEqual([400]);
    });
  });
});
