import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { actorErasureHash } from '@uap/shared/contract';
import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { createApp, type AppDeps, type SecurityConfig } from '../../../app';
import { AuditTrailUseCase } from '../../../application/audit-trail.use-case';
import { DeadLettersUseCase } from '../../../application/dead-letters.use-case';
import { EraseUserUseCase } from '../../../application/erase-user.use-case';
import { IngestActivityUseCase } from '../../../application/ingest-activity.use-case';
import { ManageActivityTypesUseCase } from '../../../application/manage-activity-types.use-case';
import type { AuditEntry } from '../../../application/ports/audit-log.port';
import type { ConsumerProgress } from '../../../application/ports/consumer-progress.port';
import type { ErasureStore } from '../../../application/ports/erasure.ports';
import { ReplayDeadLettersUseCase } from '../../../application/replay-dead-letters.use-case';
import { staticKeyRing } from '../../../domain/access/key-ring';
import { hashApiKey, parseApiKeys } from '../../../domain/api-key';
import { createApiMetrics } from '../../../infrastructure/metrics/api.metrics';
import { InMemoryActivityTypeRegistry } from '../../../testing/in-memory-activity-type.registry';
import { InMemoryAuditLog } from '../../../testing/in-memory-audit.log';
import { InMemoryDeadLetterStore, InMemoryReplayJobStore } from '../../../testing/in-memory-dead-letters';
import { InMemoryIdentityReader } from '../../../testing/in-memory-identity.reader';
import { TEST_APP_CONFIG, TEST_INGEST_CONFIG, TEST_RECEIPTS } from '../../../testing/test-app';
import { methodGuard } from '../method-guard.middleware';
import { auditTarget, auditTrail } from './audit.middleware';

const KEYS = { admin: 'key-admin', read: 'key-read-only' };
const { entries } = parseApiKeys(`${hashApiKey(KEYS.admin)}:ingest+read+admin,${hashApiKey(KEYS.read)}:read`);
const ADMIN = entries[0]!;
const SECURE: SecurityConfig = {
  apiKeys: staticKeyRing(entries),
  publicPaths: ['/healthz'],
  rateLimit: { windowMs: 60_000, max: 0 },
  corsOrigins: [],
};
const ERASURE_KEY = 'test-erasure-key';
const TYPE_SCHEMA = { metadataSchema: { type: 'object' } };
const logger = pino({ level: 'silent' });

/** Lets the records made after each answer land (they follow the answer, off the request path). */
const settled = () => new Promise((resolve) => setImmediate(resolve));

function erasures(): EraseUserUseCase {
  const store: ErasureStore = {
    insert: async () => undefined,
    insertLinked: async () => undefined,
    get: async () => null,
    finish: async () => undefined,
  };
  const snapshot = { at: new Date(), topic: 't', group: 'g', partitions: [], lag: 0, watermark: null };
  return new EraseUserUseCase({
    erasures: store,
    eraser: {
      deleteUser: async () => ({ activities: 0, deadLetters: 0 }),
      deleteAnonymous: async () => ({ activities: 0, deadLetters: 0 }),
    },
    identities: new InMemoryIdentityReader([]),
    progress: { current: () => snapshot, next: async () => snapshot } as unknown as ConsumerProgress,
    awaitProcessed: async () => true,
    hash: (actor) => actorErasureHash(ERASURE_KEY, actor),
    topic: 't',
    logger,
  });
}

function setUp(options: { security?: SecurityConfig; failAppends?: number } = {}) {
  const log = new InMemoryAuditLog();
  log.failNext = options.failAppends ?? 0;
  const metrics = createApiMetrics();
  const registry = new InMemoryActivityTypeRegistry();
  const jobs = new InMemoryReplayJobStore();
  const deps: AppDeps = {
    logger,
    metrics,
    ingest: new IngestActivityUseCase(TEST_INGEST_CONFIG, {
      publisher: { publish: async () => [] },
      receipts: TEST_RECEIPTS,
      types: registry.catalog,
    }),
    activityTypes: new ManageActivityTypesUseCase({ registry }),
    erasures: erasures(),
    deadLetters: {
      deadLetters: new DeadLettersUseCase({ store: new InMemoryDeadLetterStore() }),
      replays: new ReplayDeadLettersUseCase({ jobs, kick: () => undefined }),
    },
    audit: new AuditTrailUseCase({ retentionDays: 400, retryDelaysMs: [0, 0, 0] }, { log, logger }),
    readiness: [],
    config: { ...TEST_APP_CONFIG, ...(options.security ? { security: options.security } : {}) },
  };
  return { app: createApp(deps), log, metrics };
}

describe('audit trail middleware', () => {
  it('when an admin write succeeds, then one record names the key, action, target, request id and status', async () => {
    const { app, log } = setUp({ security: SECURE });
    const res = await request(app)
      .put('/api/v1/activity-types/VIDEO_PLAY')
      .set('X-API-Key', KEYS.admin)
      .send(TYPE_SCHEMA)
      .expect(201);
    await settled();

    expect(log.records).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-z]{9}-[0-9a-f]{12}$/),
        at: expect.any(Date),
        actor: { keyId: ADMIN.id, label: 'API_KEYS #1' },
        action: 'activity-type.put',
        target: { kind: 'activity-type', id: 'VIDEO_PLAY' },
        requestId: res.headers['x-request-id'],
        outcome: 'success',
        status: 201,
        details: { breaking: false, change: 'created', version: 1, typeStatus: 'active' },
      },
    ]);
  });

  it('when each registry write is made, then each records its own action', async () => {
    const { app, log } = setUp();
    await request(app).put('/api/v1/activity-types/VIDEO_PLAY').send(TYPE_SCHEMA).expect(201);
    await request(app).delete('/api/v1/activity-types/VIDEO_PLAY').set('If-Match', '"1"').expect(200);
    await request(app)
      .put('/api/v1/activity-types/policy')
      .send({ unknownTypes: 'reject', invalidMetadata: 'reject' })
      .expect(200);
    await settled();

    expect(log.records.map((r) => [r.action, r.target, r.actor])).toEqual([
      ['activity-type.put', { kind: 'activity-type', id: 'VIDEO_PLAY' }, { keyId: null, label: null }],
      ['activity-type.retire', { kind: 'activity-type', id: 'VIDEO_PLAY' }, { keyId: null, label: null }],
      ['activity-type.policy', { kind: 'policy', id: 'unplanned' }, { keyId: null, label: null }],
    ]);
  });

  it('when a key lacks the admin scope, then the refusal is recorded as denied', async () => {
    const { app, log } = setUp({ security: SECURE });
    await request(app)
      .put('/api/v1/activity-types/VIDEO_PLAY')
      .set('X-API-Key', KEYS.read)
      .send(TYPE_SCHEMA)
      .expect(403);
    await settled();

    expect(log.records).toEqual([
      expect.objectContaining({
        actor: { keyId: entries[1]!.id, label: 'API_KEYS #2' },
        action: 'activity-type.put',
        outcome: 'denied',
        status: 403,
        target: null,
      }),
    ]);
  });

  it('when a request has no key or a wrong one, then nothing is recorded (401)', async () => {
    const { app, log } = setUp({ security: SECURE });
    await request(app).put('/api/v1/activity-types/VIDEO_PLAY').send(TYPE_SCHEMA).expect(401);
    await request(app).put('/api/v1/activity-types/VIDEO_PLAY').set('X-API-Key', 'nope').send(TYPE_SCHEMA).expect(401);
    await settled();

    expect(log.records).toEqual([]);
  });

  it('when a write fails on its input, then it is recorded as a failure with its status', async () => {
    const { app, log } = setUp({ security: SECURE });
    await request(app)
      .put('/api/v1/activity-types/VIDEO_PLAY')
      .set('X-API-Key', KEYS.admin)
      .send({ metadataSchema: 'nope' })
      .expect(400);
    await settled();

    expect(log.records).toEqual([expect.objectContaining({ outcome: 'failure', status: 400 })]);
  });

  it('when a route declares no action for the method, then a read is not recorded', async () => {
    const { app, log } = setUp({ security: SECURE });
    await request(app).get('/api/v1/activity-types/PURCHASE').set('X-API-Key', KEYS.admin).expect(200);
    await request(app).get('/api/v1/activity-types').set('X-API-Key', KEYS.admin).expect(200);
    await settled();

    expect(log.records).toEqual([]);
  });

  it('when a user is erased, then the record names the erasure’s keyed hash and never the user id nor the path', async () => {
    const userId = 'alice@example.com';
    const { app, log } = setUp({ security: SECURE });
    const res = await request(app)
      .delete(`/api/v1/users/${encodeURIComponent(userId)}/activities`)
      .set('X-API-Key', KEYS.admin)
      .expect(202);
    await settled();

    expect(log.records).toEqual([
      expect.objectContaining({
        action: 'user.erase',
        target: { kind: 'user', id: actorErasureHash(ERASURE_KEY, { userId }) },
        details: { erasureId: (res.body as { erasureId: string }).erasureId },
        outcome: 'success',
        status: 202,
      }),
    ]);
    const stored = JSON.stringify(log.records);
    expect(stored).not.toContain('alice');
    expect(stored).not.toContain(encodeURIComponent(userId));
    expect(stored).not.toContain('/api/v1/users');
  });

  it('when a replay starts and is cancelled, then both are recorded against the job, without its filter', async () => {
    const { app, log } = setUp({ security: SECURE });
    const started = await request(app)
      .post('/api/v1/dead-letters/replays')
      .set('X-API-Key', KEYS.admin)
      .send({ filter: { userId: 'bob' } })
      .expect(202);
    const jobId = (started.body as { jobId: string }).jobId;
    await request(app).delete(`/api/v1/dead-letters/replays/${jobId}`).set('X-API-Key', KEYS.admin).expect(200);
    await settled();

    expect(log.records.map((r) => [r.action, r.target, r.details])).toEqual([
      ['dead-letters.replay', { kind: 'replay-job', id: jobId }, { dryRun: false, ratePerSec: 500 }],
      ['dead-letters.replay-cancel', { kind: 'replay-job', id: jobId }, { state: 'cancelled' }],
    ]);
    expect(JSON.stringify(log.records)).not.toContain('bob');
  });

  it('when the store refuses every append, then the answer is unchanged and the loss is counted', async () => {
    const { app, log, metrics } = setUp({ security: SECURE, failAppends: 100 });
    await request(app)
      .put('/api/v1/activity-types/VIDEO_PLAY')
      .set('X-API-Key', KEYS.admin)
      .send(TYPE_SCHEMA)
      .expect(201);
    await new Promise((resolve) => setTimeout(resolve, 20));

    expect(log.appendCalls).toBe(4);
    expect(log.records).toEqual([]);
    expect(await metrics.registry.getSingleMetricAsString('uap_audit_write_failures_total')).toContain(
      'uap_audit_write_failures_total 1',
    );
  });

  it('when the client leaves before the answer, then the change it made is recorded all the same', async () => {
    const entries: AuditEntry[] = [];
    let answered!: () => void;
    const done = new Promise<void>((resolve) => (answered = resolve));
    const routes = [{ path: '/api/v1/keys', methods: ['POST'], audit: { POST: 'key.create' } }];
    const app = express();
    app.use(methodGuard(routes));
    app.use(
      auditTrail({
        routes,
        record: async (entry) => {
          entries.push(entry);
        },
        requireKey: false,
        logger,
      }),
    );
    app.post('/api/v1/keys', (_req, res) => {
      // Answers once the client is gone, like a write that outlived its caller.
      res.on('close', () => {
        auditTarget(res, { kind: 'key', id: 'k1' });
        res.status(201).json({ ok: true });
        answered();
      });
    });
    const server = app.listen(0);
    try {
      const { port } = server.address() as AddressInfo;
      const client = httpRequest({ port, method: 'POST', path: '/api/v1/keys' });
      client.on('error', () => undefined);
      client.end();
      await new Promise((resolve) => setTimeout(resolve, 50));
      client.destroy();
      await done;
      await settled();
    } finally {
      server.close();
    }

    expect(entries).toEqual([
      expect.objectContaining({ action: 'key.create', status: 201, target: { kind: 'key', id: 'k1' } }),
    ]);
  });
});
