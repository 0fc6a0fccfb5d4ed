import { TEST_RECEIPTS } from '../testing/test-app';
import { anActivityInput } from '@uap/shared/testing';
import { DomainError } from '../domain/domain-error';
import { InMemoryActivityPublisher } from '../testing/in-memory-activity.publisher';
import { IngestActivityUseCase } from './ingest-activity.use-case';
import { domainErrorOf } from '../testing/domain-error-of';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const request = (body: unknown) => ({ body, requestId: 'req-1', context: { ip: '10.0.0.1', userAgent: 'ua' } });

function setup(config: Partial<{ maxFutureSkewMs: number; maxBatchEvents: number; receipts: boolean }> = {}) {
  const publisher = new InMemoryActivityPublisher();
  const ingest = new IngestActivityUseCase(
    { maxFutureSkewMs: 300_000, maxBatchEvents: 3, ...config },
    { publisher, receipts: TEST_RECEIPTS, now: () => NOW },
  );
  return { publisher, ingest };
}

describe('IngestActivityUseCase', () => {
  it('when an event is valid, then it is stamped with receive time, context and version before publishing', async () => {
    const { ingest, publisher } = setup();
    const input = anActivityInput({ occurredAt: '2026-03-01T13:00:00+01:00', sessionId: 's-1' });

    const result = await ingest.ingestOne(request(input));

    expect(result).toEqual({ eventId: input.eventId, status: 'accepted', receipt: expect.any(String) });
    expect(TEST_RECEIPTS.decodeReceipt(result.receipt!)).toEqual({
      topic: 'user-activities',
      partition: 0,
      offset: 0,
      eventId: input.eventId,
      acceptedAt: NOW,
    });
    expect(publisher.sends).toEqual([
      {
        meta: { requestId: 'req-1' },
        events: [
          expect.objectContaining({
            schemaVersion: 1,
            occurredAt: '2026-03-01T12:00:00.000Z',
            receivedAt: NOW.toISOString(),
            sessionId: 's-1',
            context: { ip: '10.0.0.1', userAgent: 'ua' },
          }),
        ],
      },
    ]);
  });

  it('when receipts are off, then events are published and accepted without receipts, and a batch keeps its token', async () => {
    const { ingest, publisher } = setup({ receipts: false });

    const one = await ingest.ingestOne(request(anActivityInput()));
    const batch = await ingest.ingestBatch(request({ events: [anActivityInput(), anActivityInput()] }));

    expect(one).toEqual({ eventId: expect.any(String), status: 'accepted' });
    expect(batch).toEqual({
      accepted: 2,
      eventIds: [expect.any(String), expect.any(String)],
      consistencyToken: expect.any(String),
    });
    expect(TEST_RECEIPTS.decodeToken(batch.consistencyToken)?.positions).toEqual(new Map([[0, 2]]));
    expect(publisher.sends.map((s) => s.events.length)).toEqual([1, 2]);
  });

  it('when an event names only an anonymousId, then it is accepted and published with it, without a userId', async () => {
    const { ingest, publisher } = setup();
    const { userId: _none, ...input } = anActivityInput({ type: 'PAGE_VIEW' });

    await ingest.ingestOne(request({ ...input, anonymousId: 'anon-7f3c' }));

    expect(publisher.events[0]).toMatchObject({ anonymousId: 'anon-7f3c', type: 'PAGE_VIEW' });
    expect(publisher.events[0]).not.toHaveProperty('userId');
  });

  it('when an event names neither a userId nor an anonymousId, then 400 names the rule and nothing is published', async () => {
    const { ingest, publisher } = setup();
    const { userId: _none, ...input } = anActivityInput();

    const err = await domainErrorOf(ingest.ingestOne(request(input)));

    expect(err.errors).toEqual([
      { path: 'userId', message: 'either userId or anonymousId is required', rule: 'user-or-anonymous-id' },
    ]);
    expect(publisher.sends).toHaveLength(0);
  });

  it('when the skew limit is 0, then an event one second ahead is rejected and one at now is accepted', async () => {
    const { ingest } = setup({ maxFutureSkewMs: 0 });

    const err = await domainErrorOf(ingest.ingestOne(request(anActivityInput({ occurredAt: '2026-03-01T12:00:01Z' }))));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.errors.map((e) => e.path)).toEqual(['occurredAt']);
    await expect(
      ingest.ingestOne(request(anActivityInput({ occurredAt: '2026-03-01T12:00:00Z' }))),
    ).resolves.toMatchObject({ status: 'accepted' });
  });

  it('when the batch exceeds the configured maximum, then it is rejected and nothing is published', async () => {
    const { ingest, publisher } = setup({ maxBatchEvents: 3 });
    const events = Array.from({ length: 4 }, () => anActivityInput());

    const err = await domainErrorOf(ingest.ingestBatch(request({ events })));

    expect(err.errors).toEqual([{ path: 'events', message: 'must contain at most 3 events' }]);
    expect(publisher.sends).toHaveLength(0);
  });

  it('when publishing fails, then the failure reaches the caller unchanged and nothing is reported accepted', async () => {
    const { ingest, publisher } = setup();
    const failure = new DomainError('SERVICE_UNAVAILABLE', 'down', { retriable: true });
    publisher.failWith = failure;

    await expect(ingest.ingestBatch(request({ events: [anActivityInput()] }))).rejects.toBe(failure);
  });
});
