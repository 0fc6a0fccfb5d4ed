import { IDENTITY_LINK_FIELD, type ActivityEvent, type SegmentFields } from '@uap/shared/contract';
import { anActivity as anEvent } from '@uap/shared/testing';
import { model, type Model } from 'mongoose';
import { ActivitySchema, type ActivityDocument } from './activity.model';
import { MongoActivityRepository, toActivityDocument } from './mongo-activity.repository';

/** Only insertMany is used; the fake replays what the driver (through Mongoose) reports. */
function repositoryWhoseInsertMany(
  behaviour: (docs: ActivityDocument[]) => Promise<unknown>,
  options: ConstructorParameters<typeof MongoActivityRepository>[1] = {},
) {
  const calls: Array<{ docs: ActivityDocument[]; options: unknown }> = [];
  const model = {
    insertMany: (docs: ActivityDocument[], options: unknown) => {
      calls.push({ docs, options });
      return behaviour(docs);
    },
  } as unknown as Model<ActivityDocument>;
  return { repository: new MongoActivityRepository(model, options), calls };
}

function bulkWriteError(writeErrors: unknown): Error {
  return Object.assign(new Error('E11000 duplicate key error'), { name: 'MongoBulkWriteError', writeErrors });
}

const persistedAt = new Date('2026-03-01T00:00:00.000Z');
let nextOffset = 0;
/** An event as the repository gets it: with the topic position of its copy. */
const anActivity = (overrides: Partial<ActivityEvent> = {}) => ({
  event: anEvent(overrides),
  partition: 1,
  offset: String(nextOffset++),
});

describe('MongoActivityRepository', () => {
  it('when the store is a replica set, then every insert carries w:"majority"; on a standalone, no write concern', async () => {
    const majority = { w: 'majority' as const, wtimeoutMS: 10_000 };
    const replicaSet = repositoryWhoseInsertMany(async (docs) => ({ insertedCount: docs.length }), {
      writeConcern: majority,
    });
    const standalone = repositoryWhoseInsertMany(async (docs) => ({ insertedCount: docs.length }));

    await replicaSet.repository.insertNew([anActivity()], persistedAt);
    await standalone.repository.insertNew([anActivity()], persistedAt);

    expect(replicaSet.calls[0]!.options).toMatchObject({ ordered: false, writeConcern: majority });
    expect(standalone.calls[0]!.options).not.toHaveProperty('writeConcern');
  });

  it('when the majority does not confirm in time, then the insert is an outage (retried, offsets not committed)', async () => {
    const { repository } = repositoryWhoseInsertMany(async () => {
      throw Object.assign(new Error('waiting for replication timed out'), {
        name: 'MongoBulkWriteError',
        writeConcernError: { code: 64, errmsg: 'waiting for replication timed out' },
        writeErrors: [],
      });
    });

    await expect(repository.insertNew([anActivity()], persistedAt)).rejects.toMatchObject({
      name: 'StoreUnavailableError',
    });
  });

  it('when events are written, then one unordered lean insertMany carries them with Dates', async () => {
    const { repository, calls } = repositoryWhoseInsertMany(async (docs) => ({ insertedCount: docs.length }));
    const copy = anActivity({ sessionId: 's-1' });
    const { event } = copy;

    const outcome = await repository.insertNew([copy, anActivity()], persistedAt);

    expect(outcome).toEqual({ inserted: 2, duplicates: 0, rejected: [] });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.options).toMatchObject({ ordered: false, lean: true });
    expect(calls[0]!.docs[0]).toEqual({
      ...event,
      occurredAt: new Date(event.occurredAt),
      receivedAt: new Date(event.receivedAt),
      persistedAt,
      sourcePartition: 1,
      sourceOffset: Number(copy.offset),
    });
  });

  it.each([
    [
      'as Mongoose copies them (code under err)',
      [
        { index: 1, err: { code: 11000 } },
        { index: 2, err: { code: 11000 } },
      ],
    ],
    [
      'as the driver gives them (code on the error)',
      [
        { index: 1, code: 11000 },
        { index: 2, code: 11000 },
      ],
    ],
  ])('when only duplicate-key errors come back %s, then they count as already stored', async (_label, writeErrors) => {
    const { repository } = repositoryWhoseInsertMany(async () => {
      throw bulkWriteError(writeErrors);
    });

    const outcome = await repository.insertNew([anActivity(), anActivity(), anActivity()], persistedAt);

    expect(outcome).toEqual({ inserted: 1, duplicates: 2, rejected: [] });
  });

  it('when a single duplicate comes back as one object, not a list, then it still counts as a duplicate', async () => {
    const { repository } = repositoryWhoseInsertMany(async () => {
      throw bulkWriteError({ index: 0, err: { code: 11000 } });
    });

    expect(await repository.insertNew([anActivity()], persistedAt)).toEqual({
      inserted: 0,
      duplicates: 1,
      rejected: [],
    });
  });

  const serverError = (code: number, extra: object = {}) =>
    Object.assign(new Error(`server error ${code}`), { name: 'MongoServerError', code, ...extra });

  it.each([
    ['a connection error (no server code)', new Error('connection <monitor> to 127.0.0.1:27017 closed')],
    [
      'a transient per-document write error (WriteConflict)',
      bulkWriteError([
        { index: 0, err: { code: 11000 } },
        { index: 1, code: 112, errmsg: 'WriteConflict' },
      ]),
    ],
    [
      'a write concern error',
      Object.assign(bulkWriteError([{ index: 0, code: 11000 }]), { writeConcernError: { code: 64 } }),
    ],
    ['a primary stepping down', serverError(189)],
    ['a retryable-write label', serverError(1, { errorLabels: ['RetryableWriteError'] })],
  ])('when insertMany fails with %s, then a retriable StoreUnavailableError is thrown', async (_label, error) => {
    const { repository } = repositoryWhoseInsertMany(async () => {
      throw error;
    });

    await expect(repository.insertNew([anActivity(), anActivity()], persistedAt)).rejects.toMatchObject({
      name: 'StoreUnavailableError',
      retriable: true,
    });
  });

  it('when the server refuses the whole insert with a code (FerretDB: a NUL character), then a retriable StoreWriteError is thrown', async () => {
    const { repository } = repositoryWhoseInsertMany(async () => {
      throw Object.assign(bulkWriteError([]), {
        code: 1,
        message: 'ERROR: unsupported Unicode escape sequence (SQLSTATE 22P05)',
      });
    });

    await expect(repository.insertNew([anActivity(), anActivity()], persistedAt)).rejects.toMatchObject({
      name: 'StoreWriteError',
      retriable: true,
      message: expect.stringContaining('code 1: ERROR: unsupported Unicode escape sequence'),
    });
  });

  it('when per-document write errors name documents (MongoDB validation), then those are rejected and the rest count', async () => {
    const { repository } = repositoryWhoseInsertMany(async () => {
      throw bulkWriteError([
        { index: 0, err: { code: 11000 } },
        { index: 2, code: 121, errmsg: 'Document failed validation' },
      ]);
    });

    const outcome = await repository.insertNew([anActivity(), anActivity(), anActivity(), anActivity()], persistedAt);

    expect(outcome).toEqual({
      inserted: 2,
      duplicates: 1,
      rejected: [{ index: 2, error: 'code 121: Document failed validation' }],
    });
  });

  it('when an event has no sessionId, then the document has no sessionId field', () => {
    const { sessionId: _omitted, ...event } = anEvent();
    expect(Object.keys(toActivityDocument({ event, partition: 0, offset: '7' }, persistedAt))).not.toContain(
      'sessionId',
    );
  });

  it('when an event carries typeVersion, planned and violations, then the document stores them; without them it has no such fields', () => {
    const violations = [{ pointer: '/metadata/seconds', message: 'must be integer' }];
    const flagged = anEvent({ type: 'VIDEO_PLAY', typeVersion: 2, planned: false, violations });
    expect(toActivityDocument({ event: flagged, partition: 0, offset: '8' }, persistedAt)).toMatchObject({
      type: 'VIDEO_PLAY',
      typeVersion: 2,
      planned: false,
      violations,
    });
    const plain = Object.keys(toActivityDocument({ event: anEvent(), partition: 0, offset: '9' }, persistedAt));
    for (const field of ['typeVersion', 'planned', 'violations', 'flagged']) expect(plain).not.toContain(field);
  });

  it('when an event is unplanned or its metadata flagged, then the document carries the flag the violations indexes select; a planned one none', () => {
    const document = (event: ReturnType<typeof anEvent>) =>
      toActivityDocument({ event, partition: 0, offset: '1' }, persistedAt);
    const violations = [{ pointer: '/metadata/query', message: 'must be string' }];
    expect(document(anEvent({ type: 'VIDEO_PLAY', planned: false })).flagged).toBe('unplanned');
    expect(document(anEvent({ typeVersion: 1, violations })).flagged).toBe('metadata');
    expect(document(anEvent({ typeVersion: 1, violations: [] }))).not.toHaveProperty('flagged');
    expect(document(anEvent({ typeVersion: 1 }))).not.toHaveProperty('flagged');
    // The model takes the flag (strict: 'throw' would refuse an undeclared field).
    const Activity = model('ActivityFlagCheck', ActivitySchema);
    expect(new Activity(document(anEvent({ planned: false }))).validateSync()).toBeUndefined();
    expect(new Activity({ ...document(anEvent()), flagged: 'other' }).validateSync()?.errors['flagged']).toBeDefined();
  });

  it('when an event carries the source of its key, then the document stores it (the model takes it); without one, no field', () => {
    const document = (event: ActivityEvent) => toActivityDocument({ event, partition: 0, offset: '1' }, persistedAt);
    const Activity = model('ActivitySourceCheck', ActivitySchema);

    expect(document(anEvent({ sourceId: 'web' })).sourceId).toBe('web');
    expect(document(anEvent())).not.toHaveProperty('sourceId');
    expect(new Activity(document(anEvent({ sourceId: 'web' }))).validateSync()).toBeUndefined();
    expect(
      new Activity({ ...document(anEvent()), sourceId: 'Not A Source' }).validateSync()?.errors['sourceId'],
    ).toBeDefined();
  });

  describe('identities and the Segment envelope', () => {
    const document = (event: ActivityEvent) => toActivityDocument({ event, partition: 0, offset: '1' }, persistedAt);
    const segment: SegmentFields = {
      call: 'identify',
      messageId: 'm-1',
      timestamp: '2026-02-28T23:59:58.000Z',
      sentAt: '2026-02-28T23:59:59.000Z',
      context: { library: { name: 'analytics-node', version: '2.1.0' }, traits: { plan: 'pro', tags: ['a', 'b'] } },
      integrations: { All: true, Mixpanel: false },
      extras: { _metadata: { nodeVersion: '22.1.0' } },
    };

    it('when an event has an anonymousId, a userId or both, then the document holds exactly the ids it has', () => {
      const anonymous = document(anEvent({ userId: undefined, anonymousId: 'visitor-1' }));
      expect(anonymous).toMatchObject({ anonymousId: 'visitor-1' });
      expect(anonymous).not.toHaveProperty('userId');
      const known = document(anEvent({ userId: 'alice' }));
      expect(known).toMatchObject({ userId: 'alice' });
      expect(known).not.toHaveProperty('anonymousId');
      expect(document(anEvent({ userId: 'alice', anonymousId: 'visitor-1' }))).toMatchObject({
        userId: 'alice',
        anonymousId: 'visitor-1',
      });
    });

    it('when an event came through /v1, then the document holds the whole Segment envelope as sent', () => {
      const stored = document(anEvent({ segment }));
      expect(stored.segment).toEqual(segment);
      expect(JSON.stringify(stored.segment)).toBe(JSON.stringify(segment));
      expect(document(anEvent())).not.toHaveProperty('segment');
    });

    it('when an IDENTIFY or ALIAS carries both ids, then the document holds the link; other events, and links without a userId, none', () => {
      const both = { userId: 'alice', anonymousId: 'visitor-1' };
      expect(document(anEvent({ ...both, type: 'IDENTIFY' }))[IDENTITY_LINK_FIELD]).toBe('visitor-1');
      expect(document(anEvent({ ...both, type: 'ALIAS' }))[IDENTITY_LINK_FIELD]).toBe('visitor-1');
      expect(document(anEvent({ ...both, type: 'PAGE_VIEW' }))).not.toHaveProperty(IDENTITY_LINK_FIELD);
      expect(document(anEvent({ userId: 'alice', type: 'IDENTIFY' }))).not.toHaveProperty(IDENTITY_LINK_FIELD);
      expect(document(anEvent({ userId: undefined, anonymousId: 'visitor-1', type: 'IDENTIFY' }))).not.toHaveProperty(
        IDENTITY_LINK_FIELD,
      );
    });

    it('when such documents are validated by the model, then it takes every new field (strict: throw refuses undeclared ones)', () => {
      const Activity = model('ActivityIdentityCheck', ActivitySchema);
      const link = new Activity(
        document(anEvent({ userId: 'alice', anonymousId: 'visitor-1', type: 'IDENTIFY', segment })),
      );
      expect(link.validateSync()).toBeUndefined();
      expect(link.toObject()).toMatchObject({ anonymousId: 'visitor-1', identityLink: 'visitor-1', segment });
      const anonymous = new Activity(document(anEvent({ userId: undefined, anonymousId: 'visitor-1' })));
      expect(anonymous.validateSync()).toBeUndefined();
    });
  });

  it('when a document of a type registered at runtime is validated by the model, then it passes; a malformed name fails', () => {
    const Activity = model('ActivityModelCheck', ActivitySchema);
    const document = (type: string) =>
      new Activity({
        ...toActivityDocument(
          {
            event: anEvent({ type, planned: false, violations: [{ pointer: '/a', message: 'm' }] }),
            partition: 0,
            offset: '1',
          },
          persistedAt,
        ),
        type,
      });
    const custom = document('VIDEO_PLAY');
    expect(custom.validateSync()).toBeUndefined();
    expect(custom.toObject().violations).toEqual([{ pointer: '/a', message: 'm' }]);
    expect(document('video-play').validateSync()?.errors['type']).toBeDefined();
    expect(new Activity(toActivityDocument(anActivity(), persistedAt)).toObject()).not.toHaveProperty('violations');
  });
});
