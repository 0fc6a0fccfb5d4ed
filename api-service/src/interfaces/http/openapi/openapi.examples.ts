/**
 * One example per operation, for readers of the document, generated clients and the fuzzer's examples
 * phase (which sends the request examples to a live API, so they must be accepted as they stand).
 * openapi.document.test.ts validates every example against the schema it illustrates.
 */

const EVENT_ID = '3f0d2a4e-8c1b-4f5a-9d2e-7b6c5a4f3e21';
const RECEIPT = 'eyJ0IjoidXNlci1hY3Rpdml0aWVzIiwicCI6Miwibyo0MTl9.k3Jx0Qm9Zb2lNXr5nq8Hw1tA6yVv0PpS4cDfE7gLhUo';
const OCCURRED_AT = '2026-11-27T09:14:03.120Z';

// The freshness example's worst partition, stalled: its offset stood still with lag past STALL_AFTER_MS.
const STALLED_PARTITION = {
  partition: 2,
  committed: 480,
  end: 1000,
  lag: 520,
  watermark: '2026-11-27T11:57:30.120Z',
  stalled: true,
  stalledSince: '2026-11-27T11:58:10.250Z',
};

const searchActivity = {
  eventId: EVENT_ID,
  userId: 'user_42',
  type: 'SEARCH',
  occurredAt: OCCURRED_AT,
  sessionId: 'sess_9f1c',
  metadata: { query: 'running shoes', page: 1 },
};

const storedActivity = {
  ...searchActivity,
  receivedAt: '2026-11-27T09:14:03.410Z',
  context: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0' },
  schemaVersion: 1,
  persistedAt: '2026-11-27T09:14:03.502Z',
};

const ANONYMOUS_ID = '6a1f0c2e-4b7d-4e39-9c55-0d8e2f71b3aa';

const anonymousPageView = {
  eventId: '1c4e7a90-2b3d-4f5e-8a6b-7c8d9e0f1a2b',
  anonymousId: ANONYMOUS_ID,
  type: 'PAGE_VIEW',
  occurredAt: '2026-11-27T09:02:41.007Z',
  receivedAt: '2026-11-27T09:02:41.250Z',
  metadata: { path: '/pricing' },
  context: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0' },
  schemaVersion: 1,
  persistedAt: '2026-11-27T09:02:41.330Z',
};

const replayJob = {
  jobId: 'rj_Q2x9aB3cD4eF',
  state: 'running',
  dryRun: true,
  request: { filter: { reason: 'schema-violation' }, dryRun: true, ratePerSec: 500 },
  counts: {
    scanned: 120,
    wouldPass: 118,
    passed: 118,
    published: 0,
    skipped: 0,
    stillFailing: { 'schema-violation': 2 },
  },
  progress: { '0': 117, '1': 2 },
  samples: [],
  createdAt: '2026-11-27T10:00:00.000Z',
  updatedAt: '2026-11-27T10:00:01.500Z',
  finishedAt: null,
  error: null,
};

const videoPlayV1 = {
  name: 'VIDEO_PLAY',
  version: 1,
  description: 'A video started playing',
  status: 'active',
  metadataSchema: {
    type: 'object',
    required: ['videoId'],
    properties: { videoId: { type: 'string', maxLength: 64 }, seconds: { type: 'number', minimum: 0 } },
  },
  eventNames: ['Video Playback Started'],
  rankableFields: ['metadata.videoId'],
  createdAt: '2026-12-05T08:00:00.000Z',
  createdBy: 'key:9f86d081884c',
};
const searchV1 = {
  name: 'SEARCH',
  version: 1,
  description: 'A user searched; `metadata.query` holds what they typed.',
  status: 'active',
  metadataSchema: {
    type: 'object',
    required: ['query'],
    properties: { query: { type: 'string', minLength: 1, maxLength: 512 } },
  },
  eventNames: ['Products Searched'],
  rankableFields: ['metadata.query'],
  createdAt: '2026-12-05T00:00:00.000Z',
  createdBy: 'built-in',
};

// Keys and sources: an admin (a bootstrap key) made the web source and its key, then rotated the key.
const ADMIN_ACTOR = { keyId: '3e8d5c2b1a09', label: 'API_KEYS #1' };
const webKey = {
  id: '9c1f4e2ab7d03e58',
  prefix: 'uapk_9c1f4e2ab7d03e58',
  label: 'web app (production)',
  scopes: ['ingest'],
  origin: 'runtime',
  sourceId: 'web',
  createdAt: '2026-12-05T09:00:00.000Z',
  createdBy: ADMIN_ACTOR,
  lastUsedAt: '2026-12-05T11:58:00.000Z',
  expiresAt: null,
  revokedAt: null,
  endsAt: null,
  rotatedFrom: null,
  successorId: null,
  status: 'active',
};
const webKeySuccessor = {
  ...webKey,
  id: '51d0b7a3e29c4f86',
  prefix: 'uapk_51d0b7a3e29c4f86',
  createdAt: '2026-12-05T12:00:00.000Z',
  lastUsedAt: null,
  rotatedFrom: webKey.id,
};
const bootstrapKey = {
  ...webKey,
  id: ADMIN_ACTOR.keyId,
  prefix: null,
  label: ADMIN_ACTOR.label,
  scopes: ['ingest', 'read', 'admin'],
  origin: 'bootstrap',
  sourceId: null,
  createdAt: null,
  createdBy: null,
};
const SECRET = 'uapk_9c1f4e2ab7d03e58_q3V9xY0tL2mN5pR8sT1uW4zA7cE0gJ3kM6nP9rS2vX5';
const webSource = {
  id: 'web',
  name: 'Web app',
  status: 'active',
  rateLimitPerMinute: 6000,
  allowedTypes: null,
  createdAt: '2026-12-05T08:59:00.000Z',
  updatedAt: '2026-12-05T08:59:00.000Z',
  createdBy: ADMIN_ACTOR,
  updatedBy: ADMIN_ACTOR,
  keys: 1,
  // accepted and refused: this replica's since its start; deadLettered: the dead-letter index's.
  counts: { accepted: 18_342, refused: 27, deadLettered: 3, since: '2026-12-05T06:00:00.000Z' },
};

const SEGMENT_SUCCESS = { status: '200', body: { success: true } };

export interface OperationExample {
  request?: unknown;
  parameters?: Record<string, unknown>;
  /** The success response's body, keyed by status. */
  response?: { status: string; body: unknown };
}

/** Keyed `METHOD /openapi/path`; a test fails when an operation has none. */
export const OPENAPI_EXAMPLES: Record<string, OperationExample> = {
  'post /api/v1/activities': {
    request: { userId: 'user_42', type: 'SEARCH', sessionId: 'sess_9f1c', metadata: { query: 'running shoes' } },
    response: { status: '202', body: { eventId: EVENT_ID, status: 'accepted', receipt: RECEIPT } },
  },
  'post /api/v1/activities/batch': {
    request: {
      events: [
        { userId: 'user_42', type: 'LOGIN', metadata: { method: 'password', success: true } },
        { userId: 'user_42', type: 'PAGE_VIEW', metadata: { path: '/pricing' } },
      ],
    },
    response: {
      status: '202',
      body: {
        accepted: 2,
        eventIds: [EVENT_ID, '9a7b6c5d-4e3f-4a1b-8c2d-1e0f9a8b7c6d'],
        receipts: [RECEIPT, RECEIPT],
        consistencyToken: RECEIPT,
      },
    },
  },
  'get /api/v1/activities': {
    parameters: { type: ['SEARCH'], from: '2026-11-01T00:00:00Z', limit: 20 },
    response: {
      status: '200',
      body: { data: [storedActivity], page: { limit: 20, nextCursor: 'eyJvIjoiMjAyNi0xMS0yNyJ9', hasMore: true } },
    },
  },
  'get /api/v1/activities/{eventId}': {
    parameters: { eventId: EVENT_ID },
    response: { status: '200', body: { ...storedActivity, receipt: RECEIPT } },
  },
  'get /api/v1/activity-types/violations': {
    parameters: { kind: 'flagged', limit: 50 },
    response: {
      status: '200',
      body: {
        data: [
          {
            ...storedActivity,
            metadata: { query: 12 },
            typeVersion: 3,
            violations: [{ pointer: '/metadata/query', message: 'must be string' }],
          },
        ],
        page: { limit: 50, nextCursor: null, hasMore: false },
      },
    },
  },
  'get /api/v1/users/{userId}/activities': {
    parameters: { userId: 'user_42', sort: 'asc', limit: 50 },
    response: {
      status: '200',
      // What the visitor did before logging in comes first: the user linked its anonymous id.
      body: { data: [anonymousPageView, storedActivity], page: { limit: 50, nextCursor: null, hasMore: false } },
    },
  },
  'get /api/v1/users/{userId}': {
    parameters: { userId: 'user_42' },
    response: {
      status: '200',
      body: {
        userId: 'user_42',
        traits: { email: 'ada@example.com', plan: 'pro', name: 'Ada' },
        firstSeen: '2026-11-27T09:02:41.007Z',
        lastSeen: OCCURRED_AT,
        anonymousIds: [ANONYMOUS_ID],
        identifies: 3,
        complete: true,
      },
    },
  },
  'delete /api/v1/users/{userId}/activities': {
    parameters: { userId: 'user_to_forget' },
    response: {
      status: '202',
      body: {
        erasureId: 'er_a1B2c3D4e5F6',
        state: 'running',
        erasedAt: '2026-11-27T11:00:00.000Z',
        deleted: { activities: 0, deadLetters: 0 },
        finishedAt: null,
      },
    },
  },
  'get /api/v1/erasures/{erasureId}': {
    response: {
      status: '200',
      body: {
        erasureId: 'er_a1B2c3D4e5F6',
        state: 'done',
        erasedAt: '2026-11-27T11:00:00.000Z',
        deleted: { activities: 1204, deadLetters: 3 },
        finishedAt: '2026-11-27T11:00:04.210Z',
      },
    },
  },
  'get /api/v1/audit': {
    parameters: { action: 'user.erase', limit: 2 },
    response: {
      status: '200',
      body: {
        records: [
          {
            id: '0mwyvdnp0-5c1e9a04b2d7',
            at: '2026-11-27T11:00:00.180Z',
            actor: { keyId: '9f2c41d07ab35e18', label: 'privacy team' },
            action: 'user.erase',
            // The erasure's keyed hash of the userId, never the id.
            target: { kind: 'user', id: 'pX1lq0w8VvJ3mZr6K2sTbY4nH7cD9eF0aG5hI1jL2kM' },
            requestId: '7d3c0a7e-2f4b-4c1d-9e8a-5b6f7a8c9d0e',
            outcome: 'success',
            status: 202,
            details: { erasureId: 'er_a1B2c3D4e5F6' },
          },
          {
            id: '0mwyuqsaj-0b7f33c9e1a4',
            at: '2026-11-27T10:42:13.051Z',
            actor: { keyId: '3e8d5c2b1a09', label: 'API_KEYS #2' },
            action: 'user.erase',
            target: null,
            requestId: 'c0a8012e-77b1-4d5e-8f90-1a2b3c4d5e6f',
            outcome: 'denied',
            status: 403,
            details: null,
          },
        ],
        nextCursor:
          'eyJ2IjoxLCJ0IjoxNzk1NzcwMTMzMDUxLCJpIjoiMG13eXVxc2FqLTBiN2YzM2M5ZTFhNCIsInMiOiJkZXNjIiwiZiI6IkFBQUFBQUFBQUFBQUFBQUFBQUFBQUEifQ',
      },
    },
  },
  'get /api/v1/activities/export': {
    parameters: { format: 'csv', type: ['PURCHASE'], from: '2026-11-01T00:00:00Z' },
    response: { status: '200', body: `${JSON.stringify(storedActivity)}\n` },
  },
  'get /api/v1/activities/stats': {
    parameters: {
      from: '2026-11-28T10:00:30Z',
      to: '2026-11-28T10:03:00Z',
      bucket: 'minute',
      type: ['LOGIN', 'SEARCH'],
    },
    response: {
      status: '200',
      body: {
        from: '2026-11-28T10:00:30.000Z',
        to: '2026-11-28T10:03:00.000Z',
        bucket: 'minute',
        start: '2026-11-28T10:00:00.000Z',
        bucketCount: 3,
        types: ['LOGIN', 'SEARCH'],
        series: { LOGIN: [3, 0, 7], SEARCH: [1, 0, 1] },
        totals: { LOGIN: 10, SEARCH: 2 },
        total: 12,
        source: 'rollups',
        exact: true,
      },
    },
  },
  'get /api/v1/insights/active-users': {
    parameters: { from: '2026-11-23T00:00:00Z', to: '2026-12-01T00:00:00Z', bucket: 'week' },
    response: {
      status: '200',
      body: {
        from: '2026-11-23T00:00:00.000Z',
        to: '2026-12-01T00:00:00.000Z',
        bucket: 'week',
        buckets: [
          { start: '2026-11-23T00:00:00.000Z', end: '2026-11-30T00:00:00.000Z', users: 1840 },
          { start: '2026-11-30T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z', users: 412 },
        ],
        total: 1911,
        stickiness: 0.2347,
        exact: true,
      },
    },
  },
  'get /api/v1/insights/top': {
    parameters: {
      field: 'metadata.query',
      type: ['SEARCH'],
      from: '2026-11-27T00:00:00Z',
      to: '2026-11-28T00:00:00Z',
      limit: 3,
    },
    response: {
      status: '200',
      body: {
        field: 'metadata.query',
        from: '2026-11-27T00:00:00.000Z',
        to: '2026-11-28T00:00:00.000Z',
        types: ['SEARCH'],
        values: [
          { value: 'running shoes', count: 412, share: 0.0824 },
          { value: 'rain jacket', count: 230, share: 0.046 },
          { value: 'socks', count: 230, share: 0.046 },
        ],
        counted: 5000,
        distinct: 1377,
        exact: true,
      },
    },
  },
  'get /api/v1/insights/funnel': {
    parameters: {
      steps: 'SIGNUP,SEARCH[metadata.query=running shoes],PURCHASE',
      within: 'P1D',
      from: '2026-11-20T00:00:00Z',
      to: '2026-11-27T00:00:00Z',
    },
    response: {
      status: '200',
      body: {
        from: '2026-11-20T00:00:00.000Z',
        to: '2026-11-27T00:00:00.000Z',
        within: 'P1D',
        steps: [
          { index: 1, type: 'SIGNUP', users: 1200, conversionFromPrevious: 1, conversionFromFirst: 1, dropOff: 0 },
          {
            index: 2,
            type: 'SEARCH',
            where: { 'metadata.query': 'running shoes' },
            users: 300,
            conversionFromPrevious: 0.25,
            conversionFromFirst: 0.25,
            dropOff: 900,
            medianMsFromPrevious: 95_000,
            p90MsFromPrevious: 1_860_000,
          },
          {
            index: 3,
            type: 'PURCHASE',
            users: 45,
            conversionFromPrevious: 0.15,
            conversionFromFirst: 0.0375,
            dropOff: 255,
            medianMsFromPrevious: 610_000,
            p90MsFromPrevious: 7_200_000,
          },
        ],
        overallConversion: 0.0375,
        exact: true,
      },
    },
  },
  'get /api/v1/activities/stream': {
    parameters: { type: ['LOGIN', 'LOGOUT'] },
    response: {
      status: '200',
      body: {
        event: 'activity',
        id: 'W1swLDQyXV0',
        data: JSON.stringify({ ...storedActivity, persistedAt: undefined }),
      },
    },
  },
  'post /api/v1/stream-tickets': {
    response: {
      status: '201',
      body: { ticket: 'st_5f0c1d2e3b4a69788796a5b4c3d2e1f0', expiresAt: '2026-11-27T12:01:00.000Z' },
    },
  },
  'get /api/v1/receipts/{receipt}': {
    parameters: { waitFor: 'final', timeoutMs: 2000 },
    response: {
      status: '200',
      body: {
        eventId: EVENT_ID,
        status: 'persisted',
        acceptedAt: '2026-11-27T09:14:03.410Z',
        topic: 'user-activities',
        partition: 2,
        offset: 419,
        persistedAt: '2026-11-27T09:14:03.502Z',
        checkedAt: '2026-11-27T09:14:04.000Z',
      },
    },
  },
  'get /api/v1/freshness': {
    response: {
      status: '200',
      body: {
        at: '2026-11-27T12:00:00.000Z',
        refreshMs: 250,
        topic: 'user-activities',
        group: 'activity-writer',
        lag: 532,
        watermark: '2026-11-27T11:57:30.120Z',
        worst: STALLED_PARTITION,
        stalled: [2],
        partitions: [
          STALLED_PARTITION,
          {
            partition: 3,
            committed: 9120,
            end: 9132,
            lag: 12,
            watermark: '2026-11-27T11:59:59.870Z',
            stalled: false,
            stalledSince: null,
          },
        ],
      },
    },
  },
  'get /api/v1/dead-letters': {
    parameters: { reason: 'schema-violation', status: ['dead'], limit: 20 },
    response: { status: '200', body: { data: [], page: { limit: 20, nextCursor: null, hasMore: false } } },
  },
  'get /api/v1/dead-letters/stats': {
    parameters: { from: '2026-11-26T00:00:00Z' },
    response: {
      status: '200',
      body: {
        from: '2026-11-26T00:00:00.000Z',
        to: null,
        total: 3,
        byReason: { 'schema-violation': 2, 'store-rejected': 1 },
        byStatus: { dead: 3 },
        byReasonAndStatus: [
          { reason: 'schema-violation', status: 'dead', count: 2 },
          { reason: 'store-rejected', status: 'dead', count: 1 },
        ],
      },
    },
  },
  'get /api/v1/dead-letters/{letterId}': { parameters: { letterId: '0-17' } },
  'post /api/v1/dead-letters/replays': {
    request: { filter: { reason: 'schema-violation' }, dryRun: true },
    response: { status: '202', body: replayJob },
  },
  'get /api/v1/dead-letters/replays/{jobId}': { response: { status: '200', body: { ...replayJob, state: 'done' } } },
  'delete /api/v1/dead-letters/replays/{jobId}': {
    response: { status: '200', body: { ...replayJob, state: 'cancelled', dryRun: false } },
  },
  'get /api/v1/activity-types': {
    response: {
      status: '200',
      body: {
        types: [searchV1, videoPlayV1],
        policy: { unknownTypes: 'reject', invalidMetadata: 'reject' },
        registryPosition: 1,
      },
    },
  },
  'get /api/v1/activity-types/{name}': {
    parameters: { name: 'SEARCH' },
    response: { status: '200', body: { ...searchV1, versions: [searchV1], registryPosition: 1 } },
  },
  'put /api/v1/activity-types/{name}': {
    parameters: { name: 'VIDEO_PLAY' },
    request: {
      description: videoPlayV1.description,
      metadataSchema: videoPlayV1.metadataSchema,
      eventNames: videoPlayV1.eventNames,
      rankableFields: videoPlayV1.rankableFields,
    },
    response: { status: '201', body: { ...videoPlayV1, versions: [videoPlayV1], registryPosition: 1 } },
  },
  'delete /api/v1/activity-types/{name}': {
    parameters: { name: 'VIDEO_PLAY' },
    response: {
      status: '200',
      body: {
        ...videoPlayV1,
        version: 2,
        status: 'retired',
        versions: [videoPlayV1, { ...videoPlayV1, version: 2, status: 'retired' }],
        registryPosition: 2,
      },
    },
  },
  'get /api/v1/activity-types/policy': {
    response: { status: '200', body: { unknownTypes: 'reject', invalidMetadata: 'reject', registryPosition: 2 } },
  },
  'put /api/v1/activity-types/policy': {
    request: { unknownTypes: 'reject', invalidMetadata: 'reject' },
    response: { status: '200', body: { unknownTypes: 'reject', invalidMetadata: 'reject', registryPosition: 3 } },
  },
  'get /api/v1/keys': {
    parameters: { status: 'active' },
    response: { status: '200', body: { keys: [bootstrapKey, webKey] } },
  },
  'post /api/v1/keys': {
    request: { label: 'web app (production)', scopes: ['ingest'], sourceId: 'web' },
    response: {
      status: '201',
      body: { key: { ...webKey, lastUsedAt: null }, secret: SECRET, inForceBy: '2026-12-05T09:00:01.650Z' },
    },
  },
  'get /api/v1/keys/{id}': { parameters: { id: webKey.id }, response: { status: '200', body: webKey } },
  'post /api/v1/keys/{id}/rotate': {
    parameters: { id: webKey.id },
    request: { graceSeconds: 86400 },
    response: {
      status: '201',
      body: {
        key: webKeySuccessor,
        secret: 'uapk_51d0b7a3e29c4f86_Zb4Xc7Vd0Nf3Mg6Lh9Kj2Hk5Gl8Fm1Dn4Sp7Aq0Wr3E',
        previous: {
          ...webKey,
          endsAt: '2026-12-06T12:00:00.000Z',
          successorId: webKeySuccessor.id,
          status: 'expiring',
        },
        inForceBy: '2026-12-05T12:00:01.650Z',
      },
    },
  },
  'delete /api/v1/keys/{id}': {
    parameters: { id: webKey.id },
    response: {
      status: '200',
      body: {
        key: { ...webKey, revokedAt: '2026-12-05T12:30:00.000Z', status: 'revoked' },
        revokedAt: '2026-12-05T12:30:00.000Z',
        inForceBy: '2026-12-05T12:30:01.650Z',
      },
    },
  },
  'get /api/v1/sources': { response: { status: '200', body: { sources: [webSource] } } },
  'post /api/v1/sources': {
    request: { id: 'web', name: 'Web app', rateLimitPerMinute: 6000 },
    response: {
      status: '201',
      body: {
        source: { ...webSource, keys: 0, counts: { ...webSource.counts, accepted: 0, refused: 0, deadLettered: 0 } },
        inForceBy: '2026-12-05T08:59:01.650Z',
      },
    },
  },
  'get /api/v1/sources/{id}': { parameters: { id: 'web' }, response: { status: '200', body: webSource } },
  'patch /api/v1/sources/{id}': {
    parameters: { id: 'web' },
    request: { status: 'paused' },
    response: {
      status: '200',
      body: {
        source: { ...webSource, status: 'paused', updatedAt: '2026-12-05T13:00:00.000Z' },
        inForceBy: '2026-12-05T13:00:01.650Z',
      },
    },
  },
  // The Segment surface: what analytics-node and analytics.js send (fewer fields), each accepted as it stands.
  'post /v1/track': {
    request: {
      userId: 'user_42',
      event: 'Order Completed',
      properties: { orderId: 'o_1009', revenue: 42.5, currency: 'EUR' },
      context: { library: { name: 'analytics-node', version: '3.1.0' } },
      messageId: 'node-next-1764840843120-4f0c',
      timestamp: OCCURRED_AT,
    },
    response: SEGMENT_SUCCESS,
  },
  'post /v1/page': {
    request: {
      anonymousId: 'anon_7f3c2a',
      name: 'Pricing',
      properties: { path: '/pricing', url: 'https://example.com/pricing' },
      originalTimestamp: OCCURRED_AT,
      sentAt: '2026-11-27T09:14:03.400Z',
    },
    response: SEGMENT_SUCCESS,
  },
  'post /v1/screen': {
    request: { userId: 'user_42', name: 'Checkout', properties: { step: 2 } },
    response: SEGMENT_SUCCESS,
  },
  'post /v1/identify': {
    request: { userId: 'user_42', anonymousId: 'anon_7f3c2a', traits: { plan: 'pro', email: 'ada@example.com' } },
    response: SEGMENT_SUCCESS,
  },
  'post /v1/group': {
    request: { userId: 'user_42', groupId: 'acme', traits: { name: 'Acme Inc.', employees: 120 } },
    response: SEGMENT_SUCCESS,
  },
  'post /v1/alias': {
    request: { previousId: 'anon_7f3c2a', userId: 'user_42' },
    response: SEGMENT_SUCCESS,
  },
  'post /v1/batch': {
    request: {
      batch: [
        { type: 'page', anonymousId: 'anon_7f3c2a', name: 'Home', messageId: 'ajs-next-5c1d' },
        {
          type: 'track',
          anonymousId: 'anon_7f3c2a',
          event: 'Products Searched',
          properties: { query: 'running shoes' },
          messageId: 'ajs-next-9a4e',
        },
        { type: 'identify', userId: 'user_42', anonymousId: 'anon_7f3c2a', traits: { plan: 'pro' } },
      ],
      context: { library: { name: 'analytics.js', version: '1.78.0' } },
      sentAt: '2026-11-27T09:14:03.400Z',
    },
    response: SEGMENT_SUCCESS,
  },
  'get /healthz': { response: { status: '200', body: { status: 'ok' } } },
  'get /readyz': { response: { status: '200', body: { status: 'ready', checks: { kafka: 'up', mongo: 'up' } } } },
  'get /metrics': {
    response: {
      status: '200',
      body: '# TYPE uap_api_events_accepted_total counter\nuap_api_events_accepted_total 1042\n',
    },
  },
  'get /openapi.json': { response: { status: '200', body: { openapi: '3.1.0' } } },
  'get /docs': { response: { status: '200', body: '<!doctype html>…' } },
  'get /docs/{asset}': { parameters: { asset: 'swagger-ui.css' } },
  'get /api/v1/whoami': {
    response: { status: '200', body: { authentication: 'api-key', keyId: '9f86d081884c', scopes: ['read', 'admin'] } },
  },
  'get /dashboard': { response: { status: '200', body: '<!doctype html>…' } },
  'get /dashboard/{asset}': { parameters: { asset: 'dashboard.js' } },
};
