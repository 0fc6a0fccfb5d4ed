import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACTIVITIES_COLLECTION } from '@uap/shared/contract';
import { anActivityInput } from '@uap/shared/testing';
import { MongoClient } from 'mongodb';
import { requiredEnv, storeEnv, testKafka, uniqueName } from './support/integration';
import { ServiceProcess } from './support/service-process';
import { waitUntil } from './support/wait-until';

const ADMIN_KEY = randomBytes(24).toString('hex');
const hashOf = (key: string) => createHash('sha256').update(key).digest('hex');
/** The promise the issue makes: a change made on one replica is in force on every replica within this. */
const PROPAGATION_MS = 2_000;
/** How many create → use elsewhere → revoke → refused elsewhere rounds measure the propagation. */
const ROUNDS = 10;

interface Answer {
  status: number;
  body: Record<string, unknown>;
  text: string;
  headers: Headers;
}

interface KeyView {
  id: string;
  prefix: string;
  label: string;
  status: string;
  endsAt: string | null;
  expiresAt: string | null;
}

interface Created {
  key: KeyView;
  secret: string;
}

/**
 * Keys and sources managed at runtime, across two api processes and a worker on the real broker and store: what one
 * replica changes, the other enforces within 2 s; rotation, expiry, a paused source, the source on every stored event,
 * the audit trail; and afterwards no secret in any log line, error, metric or audit record.
 */
describe('keys and sources at runtime: two apis and a worker', () => {
  const topic = uniqueName('access');
  const registryTopic = `${topic}.types`;
  const accessTopic = `${topic}.access`;
  const dlqTopic = `${topic}.dlq`;
  const dbName = uniqueName('access').replace(/-/g, '_');
  const logDir = mkdtempSync(join(tmpdir(), 'uap-access-'));
  const secrets: string[] = [];
  /** Every answer of 400 or more, and every answer that should not carry a secret, for the grep at the end. */
  const seen: string[] = [];
  /** Admin writes made here: request id → the action the audit trail must list once. */
  const adminActions = new Map<string, string>();
  let apiA: ServiceProcess;
  let apiB: ServiceProcess;
  let worker: ServiceProcess;
  let mongo: MongoClient;

  const call = async (
    api: ServiceProcess,
    method: string,
    path: string,
    options: { body?: unknown; key?: string; headers?: Record<string, string> } = {},
  ): Promise<Answer> => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: {
        ...(options.key === '' ? {} : { 'x-api-key': options.key ?? ADMIN_KEY }),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    const answer = { status: res.status, text, body: parseBody(text), headers: res.headers };
    // Answers that hand out a secret on purpose (201 of create and rotate) are the only ones left out of the grep.
    if (!(res.status === 201 && text.includes('"secret"'))) seen.push(text);
    return answer;
  };
  /** An admin write whose audit record the last test looks for. */
  const admin = async (api: ServiceProcess, action: string, method: string, path: string, body?: unknown) => {
    const answer = await call(api, method, path, body === undefined ? {} : { body });
    const requestId = answer.headers.get('x-request-id');
    if (requestId === null) throw new Error(`no X-Request-Id on ${method} ${path}`);
    adminActions.set(requestId, action);
    return answer;
  };
  const createKey = async (api: ServiceProcess, body: Record<string, unknown>): Promise<Created> => {
    const created = await admin(api, 'key.create', 'POST', '/api/v1/keys', body);
    expect(created.status).toBe(201);
    const result = created.body as unknown as Created;
    secrets.push(result.secret);
    return result;
  };
  const whoami = (api: ServiceProcess, key: string) => call(api, 'GET', '/api/v1/whoami', { key });
  /** Milliseconds until `api` answers `status` to the key, polling every 20 ms; fails past `timeoutMs`. */
  const msUntil = async (api: ServiceProcess, key: string, status: number, from: number, timeoutMs = 5_000) => {
    await waitUntil(
      `${api.name} to answer ${status}`,
      async () => ((await whoami(api, key)).status === status ? true : undefined),
      { timeoutMs, intervalMs: 20 },
    );
    return Date.now() - from;
  };
  const storedEvent = async (eventId: string) =>
    mongo.db(dbName).collection(ACTIVITIES_COLLECTION).findOne({ eventId });

  beforeAll(async () => {
    mongo = await MongoClient.connect(requiredEnv('MONGO_URL'));
    const shared = {
      KAFKA_BROKERS: requiredEnv('KAFKA_BROKERS'),
      ...storeEnv(),
      MONGO_DB: dbName,
      ACTIVITIES_TOPIC: topic,
      ACTIVITIES_TOPIC_PARTITIONS: '2',
      ACTIVITY_TYPES_TOPIC: registryTopic,
      LOG_LEVEL: 'debug',
    };
    const apiEnv = {
      ...shared,
      NODE_ENV: 'production',
      ACCESS_TOPIC: accessTopic,
      API_KEYS: `${hashOf(ADMIN_KEY)}:ingest+read+admin`,
      AUTH_FAILURE_LIMIT: '40',
    };
    apiA = await ServiceProcess.start('api', 'access-a', apiEnv, { logFile: join(logDir, 'api-a.log') });
    await apiA.waitUntilReady(60_000);
    apiB = await ServiceProcess.start('api', 'access-b', apiEnv, { logFile: join(logDir, 'api-b.log') });
    worker = await ServiceProcess.start(
      'worker',
      'access',
      {
        ...shared,
        DLQ_TOPIC: dlqTopic,
        CONSUMER_GROUP: uniqueName('access-group'),
        DEAD_LETTER_INDEXER_GROUP: uniqueName('access-dlq-group'),
      },
      { logFile: join(logDir, 'worker.log') },
    );
    await Promise.all([apiB.waitUntilReady(60_000), worker.waitUntilReady(60_000)]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([apiA?.stop(), apiB?.stop(), worker?.stop()]);
    const kafkaAdmin = testKafka().admin();
    await kafkaAdmin.connect();
    await kafkaAdmin
      .deleteTopics({ topics: [topic, registryTopic, accessTopic, dlqTopic], timeout: 5_000 })
      .catch(() => undefined);
    await kafkaAdmin.disconnect();
    await mongo
      ?.db(dbName)
      .dropDatabase()
      .catch(() => undefined);
    await mongo?.close();
  }, 60_000);

  it(`when a key is created on one api and revoked on the other, then each change holds on the first within ${PROPAGATION_MS} ms`, async () => {
    const usable: number[] = [];
    const refused: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const [writer, other] = round % 2 === 0 ? [apiA, apiB] : [apiB, apiA];
      const created = await createKey(writer, { label: `round ${round}`, scopes: ['read'] });
      const createdAt = Date.now();
      // The writer enforces its own change the moment it answers.
      expect((await whoami(writer, created.secret)).status).toBe(200);
      usable.push(await msUntil(other, created.secret, 200, createdAt));

      const revokeStarted = Date.now();
      const revoked = await admin(other, 'key.revoke', 'DELETE', `/api/v1/keys/${created.key.id}`);
      expect(revoked.status).toBe(200);
      const inForceBy = Date.parse(String(revoked.body['inForceBy']));
      expect(inForceBy - revokeStarted).toBeLessThanOrEqual(PROPAGATION_MS);
      expect((await whoami(other, created.secret)).status).toBe(401);
      const refusedAfter = await msUntil(writer, created.secret, 401, revokeStarted);
      refused.push(refusedAfter);
      // The answer's promise held: refused by the time it named (the poll adds at most one interval).
      expect(revokeStarted + refusedAfter).toBeLessThanOrEqual(inForceBy + 100);
    }
    console.log(
      `propagation over ${ROUNDS} rounds: usable elsewhere after [${usable.join(', ')}] ms, ` +
        `refused elsewhere after [${refused.join(', ')}] ms`,
    );
    expect(Math.max(...usable)).toBeLessThanOrEqual(PROPAGATION_MS);
    expect(Math.max(...refused)).toBeLessThanOrEqual(PROPAGATION_MS);
  }, 120_000);

  it('when a key is rotated with a short grace period, then both keys work, and then only the successor', async () => {
    const old = await createKey(apiA, { label: 'rotating', scopes: ['ingest', 'read'] });
    const rotated = await admin(apiB, 'key.rotate', 'POST', `/api/v1/keys/${old.key.id}/rotate`, { graceSeconds: 2 });
    expect(rotated.status).toBe(201);
    const successor = rotated.body as unknown as Created & { previous: KeyView };
    secrets.push(successor.secret);
    const endsAt = Date.parse(String(successor.previous.endsAt));
    expect(endsAt).toBeGreaterThan(Date.now());
    for (const api of [apiA, apiB]) {
      await msUntil(api, successor.secret, 200, Date.now());
      expect((await whoami(api, old.secret)).status).toBe(200);
    }
    await sleepUntil(endsAt + 50);
    for (const api of [apiA, apiB]) {
      const refused = await whoami(api, old.secret);
      expect([refused.status, refused.body['detail']]).toEqual([401, expect.stringMatching(/rotated/)]);
      expect((await whoami(api, successor.secret)).status).toBe(200);
    }
    const listed = await call(apiA, 'GET', '/api/v1/keys');
    const byId = new Map((listed.body['keys'] as KeyView[]).map((k) => [k.id, k]));
    expect(byId.get(old.key.id)?.status).toBe('expired');
    expect(byId.get(successor.key.id)).toMatchObject({ label: 'rotating', status: 'active' });
  }, 60_000);

  it('when a key has expired, then every api answers 401, whatever it last heard from the key store', async () => {
    const expiring = await createKey(apiB, {
      label: 'short-lived',
      scopes: ['read'],
      expiresAt: new Date(Date.now() + 2_000).toISOString(),
    });
    await msUntil(apiA, expiring.secret, 200, Date.now());
    await sleepUntil(Date.parse(String(expiring.key.expiresAt)) + 20);
    for (const api of [apiA, apiB]) {
      const refused = await whoami(api, expiring.secret);
      expect([refused.status, refused.body['detail']]).toEqual([401, expect.stringMatching(/expired/)]);
    }
  }, 30_000);

  it('when a source is paused, then its key gets 403 and nothing of it is stored; other events carry their source', async () => {
    const web = await admin(apiA, 'source.create', 'POST', '/api/v1/sources', { id: 'web', name: 'Web app' });
    expect(web.status).toBe(201);
    const webKey = await createKey(apiA, { label: 'web writer', scopes: ['ingest'], sourceId: 'web' });
    await msUntil(apiB, webKey.secret, 200, Date.now());

    const native = anActivityInput({ userId: 'sourced-user', type: 'LOGIN', eventId: randomUUID() });
    expect((await call(apiB, 'POST', '/api/v1/activities', { body: native, key: webKey.secret })).status).toBe(202);
    const messageId = randomUUID();
    const segment = await fetch(`${apiA.url}/v1/track`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${webKey.secret}:`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ userId: 'sourced-user', event: 'Signed Up', messageId }),
    });
    expect(segment.status).toBe(200);

    const paused = await admin(apiB, 'source.update', 'PATCH', '/api/v1/sources/web', { status: 'paused' });
    expect(paused.status).toBe(200);
    // The answer names when every replica refuses the source's keys; from then on, no event of it gets in.
    await sleepUntil(Date.parse(String(paused.body['inForceBy'])));
    const refusedEvent = anActivityInput({ userId: 'sourced-user', type: 'LOGOUT', eventId: randomUUID() });
    const refused = await call(apiA, 'POST', '/api/v1/activities', { body: refusedEvent, key: webKey.secret });
    expect([refused.status, refused.body['type']]).toEqual([403, expect.stringMatching(/source-paused/)]);
    const refusedSegment = await call(apiB, 'POST', '/v1/track', {
      key: webKey.secret,
      body: { userId: 'sourced-user', event: 'Refused', messageId: randomUUID() },
    });
    expect(refusedSegment.status).toBe(403);

    // Stored with their source: the native event and the Segment one.
    const stored = await waitUntil(
      'the sourced events to be stored',
      async () => {
        const first = await storedEvent(native.eventId as string);
        const second = await mongo
          .db(dbName)
          .collection(ACTIVITIES_COLLECTION)
          .findOne({ 'segment.messageId': messageId });
        return first && second ? [first, second] : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(stored.map((doc) => doc['sourceId'])).toEqual(['web', 'web']);
    // An event sent after the refused one, through a key without a source, is stored without one: the refused
    // event had its chance to be stored before it.
    const marker = anActivityInput({ userId: 'sourced-user', type: 'LOGIN', eventId: randomUUID() });
    expect((await call(apiA, 'POST', '/api/v1/activities', { body: marker })).status).toBe(202);
    const markerDoc = await waitUntil(
      'the marker to be stored',
      async () => (await storedEvent(marker.eventId as string)) ?? undefined,
      { timeoutMs: 20_000 },
    );
    expect(markerDoc['sourceId']).toBeUndefined();
    expect(await storedEvent(refusedEvent.eventId as string)).toBeNull();

    const listed = await call(apiB, 'GET', '/api/v1/activities?sourceId=web&userId=sourced-user');
    expect(listed.status).toBe(200);
    expect((listed.body['data'] as Array<{ sourceId?: string }>).map((e) => e.sourceId)).toEqual(['web', 'web']);
  }, 60_000);

  it('when the admin actions are done, then the audit trail lists each of them exactly once, with who and outcome', async () => {
    const erased = await admin(apiA, 'user.erase', 'DELETE', '/api/v1/users/sourced-user/activities');
    expect(erased.status).toBeLessThan(300);
    const records: Array<Record<string, unknown>> = [];
    await waitUntil(
      'every admin action in the audit trail',
      async () => {
        records.length = 0;
        let cursor: string | null = null;
        do {
          const page: Answer = await call(
            apiB,
            'GET',
            `/api/v1/audit?limit=200${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
          );
          expect(page.status).toBe(200);
          records.push(...(page.body['records'] as Array<Record<string, unknown>>));
          cursor = page.body['nextCursor'] as string | null;
        } while (cursor !== null);
        const ids = new Set(records.map((r) => r['requestId']));
        return [...adminActions.keys()].every((id) => ids.has(id)) ? true : undefined;
      },
      { timeoutMs: 10_000 },
    );
    for (const [requestId, action] of adminActions) {
      const mine = records.filter((r) => r['requestId'] === requestId);
      expect(mine.map((r) => r['action'])).toEqual([action]);
      expect(mine[0]).toMatchObject({ actor: { label: 'API_KEYS #1' }, outcome: 'success' });
    }
    // Only the actions made here, each once: no record for reads, and none twice.
    expect(records).toHaveLength(adminActions.size);
    const erasure = records.find((r) => r['action'] === 'user.erase');
    expect(JSON.stringify(erasure)).not.toContain('sourced-user');
  }, 30_000);

  it('when a client keeps failing to authenticate, then its address gets 429 with Retry-After, counted in a metric', async () => {
    let locked: Answer | undefined;
    for (let attempt = 0; attempt < 60 && locked === undefined; attempt += 1) {
      const res = await whoami(apiA, `uapk_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`);
      if (res.status === 429) locked = res;
      else expect(res.status).toBe(401);
    }
    expect(locked?.headers.get('retry-after')).toMatch(/^\d+$/);
    const metrics = await (await fetch(`${apiA.url}/metrics`)).text();
    expect(metrics).toMatch(/uap_auth_lockouts_total \d+/);
    expect(metrics).toMatch(/uap_auth_failures_total\{reason="unknown"\} \d+/);
  }, 30_000);

  it('when the run is over, then no secret appears in a log line, an error, a metric or the audit trail', async () => {
    const metrics = await Promise.all([apiA, apiB].map(async (api) => (await fetch(`${api.url}/metrics`)).text()));
    const audit = (await call(apiB, 'GET', '/api/v1/audit?limit=200')).text;
    await Promise.all([apiA.stop(), apiB.stop(), worker.stop()]);
    const logs = ['api-a.log', 'api-b.log', 'worker.log'].map((file) => readFileSync(join(logDir, file), 'utf8'));
    const haystacks = { logs: logs.join('\n'), answers: seen.join('\n'), metrics: metrics.join('\n'), audit };
    expect(logs.every((log) => log.length > 1_000)).toBe(true);
    expect(secrets.length).toBeGreaterThanOrEqual(ROUNDS + 4);
    const found: string[] = [];
    for (const secret of [...secrets, ADMIN_KEY]) {
      // The whole key, and its random part alone (a log could cut the prefix): what follows `uapk_<16 hex>_`, which
      // is 43 base64url characters and may itself hold a `_`.
      const needles = [secret, secret.startsWith('uapk_') ? secret.slice('uapk_'.length + 17) : secret];
      for (const [where, text] of Object.entries(haystacks)) {
        if (needles.some((needle) => text.includes(needle))) found.push(`${secret.slice(0, 21)}… in ${where}`);
      }
    }
    expect(found).toEqual([]);
  }, 60_000);
});

function sleepUntil(at: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
}

function parseBody(text: string): Record<string, unknown> {
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
