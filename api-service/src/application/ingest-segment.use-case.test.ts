import { ActivityTypeCatalog } from '@uap/shared/activity-types';
import { ActivityEventSchema } from '@uap/shared/contract';
import { DomainError } from '../domain/domain-error';
import { eventIdOfMessageId } from '../domain/segment/segment-event-id';
import { domainErrorOf } from '../testing/domain-error-of';
import { planType } from '../testing/activity-type.fixtures';
import { InMemoryActivityPublisher } from '../testing/in-memory-activity.publisher';
import { IngestSegmentUseCase } from './ingest-segment.use-case';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const request = (body: unknown) => ({ body, requestId: 'req-1', context: { ip: '10.0.0.1', userAgent: 'ua' } });

function setup(types = new ActivityTypeCatalog()) {
  const publisher = new InMemoryActivityPublisher();
  const segment = new IngestSegmentUseCase({ maxFutureSkewMs: 300_000 }, { publisher, types, now: () => NOW });
  return { publisher, segment };
}

let sent = 0;
const track = (overrides: Record<string, unknown> = {}) => ({
  type: 'track',
  userId: 'user_42',
  event: 'Order Completed',
  messageId: `m-${++sent}`,
  ...overrides,
});

describe('IngestSegmentUseCase', () => {
  it('when a call is valid, then its event is stamped like a REST one and published before the answer', async () => {
    const { segment, publisher } = setup();

    const outcome = await segment.ingestCall('track', request(track({ messageId: 'm-1' })));

    expect(outcome).toEqual({ accepted: 1, refusedIndexes: [], errors: [] });
    expect(publisher.sends).toHaveLength(1);
    const [event] = publisher.events;
    expect(event).toMatchObject({
      schemaVersion: 1,
      eventId: eventIdOfMessageId('m-1'),
      type: 'PURCHASE',
      typeVersion: 1,
      receivedAt: NOW.toISOString(),
      occurredAt: NOW.toISOString(),
      context: { ip: '10.0.0.1', userAgent: 'ua' },
    });
    expect(publisher.sends[0]!.meta).toEqual({ requestId: 'req-1' });
    expect(ActivityEventSchema.safeParse(event).success).toBe(true);
  });

  it('when an SDK retries a message, then both sends carry the same eventId, for the worker to deduplicate', async () => {
    const { segment, publisher } = setup();

    await segment.ingestCall('identify', request({ userId: 'u1', messageId: 'retry-me' }));
    await segment.ingestCall('identify', request({ userId: 'u1', messageId: 'retry-me' }));

    expect(new Set(publisher.events.map((e) => e.eventId))).toEqual(new Set([eventIdOfMessageId('retry-me')]));
  });

  it('when a call is refused, then 400 names every rule and nothing is published', async () => {
    const { segment, publisher } = setup();

    const err = await domainErrorOf(segment.ingestCall('track', request({ event: 'Order Completed' })));

    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.errors).toEqual([expect.objectContaining({ path: 'userId', rule: 'user-or-anonymous-id' })]);
    expect(publisher.sends).toHaveLength(0);
  });

  it('when a batch has refused messages, then the others are published in one send and the refused named by index', async () => {
    const { segment, publisher } = setup();
    const batch = [
      track({ messageId: 'ok-0' }),
      track({ event: '99 problems' }),
      { type: 'identify', userId: 'u1', messageId: 'ok-2' },
      { type: 'alias', userId: 'u1' },
      track({ event: 'Teleported' }),
    ];

    const outcome = await segment.ingestBatch(request({ batch }));

    expect(outcome.accepted).toBe(2);
    expect(outcome.refusedIndexes).toEqual([1, 3, 4]);
    expect(outcome.errors).toEqual([
      expect.objectContaining({ path: 'batch.1.event', rule: 'segment-event-name' }),
      expect.objectContaining({ path: 'batch.3.previousId' }),
      expect.objectContaining({ path: 'batch.4.event', rule: 'planned-type' }),
    ]);
    expect(publisher.sends).toHaveLength(1);
    expect(publisher.events.map((e) => e.eventId)).toEqual([eventIdOfMessageId('ok-0'), eventIdOfMessageId('ok-2')]);
  });

  it('when every message of a batch is refused, then nothing is published', async () => {
    const { segment, publisher } = setup();

    const outcome = await segment.ingestBatch(request({ batch: [track({ event: 'Nope' }), 7] }));

    expect(outcome).toMatchObject({ accepted: 0, refusedIndexes: [0, 1] });
    expect(outcome.errors.map((e) => e.path)).toEqual(['batch.0.event', 'batch.1']);
    expect(publisher.sends).toHaveLength(0);
  });

  it.each([
    ['no batch', {}, 'batch'],
    ['an empty batch', { batch: [] }, 'batch'],
    ['a batch context that is no object', { batch: [track()], context: 'x' }, 'context'],
    ['a batch sentAt that is no date', { batch: [track()], sentAt: 'yesterday' }, 'sentAt'],
  ])('when the body has %s, then the batch is refused as a whole', async (_label, body, path) => {
    const { segment, publisher } = setup();

    const err = await domainErrorOf(segment.ingestBatch(request(body)));

    expect([err.code, err.errors.map((e) => e.path)]).toEqual(['VALIDATION_FAILED', [path]]);
    expect(publisher.sends).toHaveLength(0);
  });

  it('when a batch has more than 2,500 messages, then 413 and nothing is published', async () => {
    const { segment, publisher } = setup();
    const batch = Array.from({ length: 2_501 }, () => ({ type: 'identify', userId: 'u' }));

    const err = await domainErrorOf(segment.ingestBatch(request({ batch })));

    expect(err.code).toBe('PAYLOAD_TOO_LARGE');
    expect(publisher.sends).toHaveLength(0);
  });

  it('when one message of a batch is over 32 KB, then 413 names it and nothing is published', async () => {
    const { segment, publisher } = setup();
    const batch = [track(), track({ properties: { blob: 'x'.repeat(33 * 1024) } })];

    const err = await domainErrorOf(segment.ingestBatch(request({ batch })));

    expect(err.code).toBe('PAYLOAD_TOO_LARGE');
    expect(err.errors.map((e) => e.path)).toEqual(['batch.1']);
    expect(publisher.sends).toHaveLength(0);
  });

  it('when a batch context copied into every message would pass the batch limit, then 413', async () => {
    const { segment } = setup();
    const batch = Array.from({ length: 100 }, () => ({ type: 'identify', userId: 'u' }));

    const err = await domainErrorOf(segment.ingestBatch(request({ batch, context: { pad: 'p'.repeat(6_000) } })));

    expect(err.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('when the policy accepts unplanned types, then a new event name is stored unplanned with the REST warning', async () => {
    const types = new ActivityTypeCatalog({ unknownTypes: 'accept', invalidMetadata: 'reject' });
    const { segment, publisher } = setup(types);

    const outcome = await segment.ingestBatch(request({ batch: [track({ event: 'Video Played' })] }));

    expect(outcome.warnings).toEqual([
      { index: 0, type: 'VIDEO_PLAYED', message: 'VIDEO_PLAYED is not planned: stored with planned=false' },
    ]);
    expect(publisher.events[0]).toMatchObject({ type: 'VIDEO_PLAYED', planned: false });
  });

  it('when properties break the mapped type’s schema, then the path is the message’s and the rule is named', async () => {
    const types = new ActivityTypeCatalog();
    planType(types, { eventNames: ['Video Playback Started'] });
    const { segment } = setup(types);

    const err = await domainErrorOf(
      segment.ingestCall('track', request(track({ event: 'Video Playback Started', properties: {} }))),
    );

    expect(err.errors).toEqual([
      {
        path: 'properties.videoId',
        message: 'is required (VIDEO_PLAY v1)',
        rule: 'segment-type-metadata',
      },
    ]);
  });

  it('when the policy flags invalid metadata, then the event is published flagged, with the REST warning', async () => {
    const types = new ActivityTypeCatalog({ unknownTypes: 'reject', invalidMetadata: 'accept-and-flag' });
    const { segment, publisher } = setup(types);

    const outcome = await segment.ingestCall('track', request(track({ event: 'Products Searched' })));

    expect(outcome.warnings).toEqual([expect.objectContaining({ index: 0, type: 'SEARCH' })]);
    expect(publisher.events[0]).toMatchObject({
      type: 'SEARCH',
      typeVersion: 1,
      violations: [{ pointer: '/metadata/query', message: 'is required' }],
    });
  });

  it('when the broker is down, then the failure reaches the caller and nothing is reported accepted', async () => {
    const { segment, publisher } = setup();
    const failure = new DomainError('SERVICE_UNAVAILABLE', 'down', { retriable: true });
    publisher.failWith = failure;

    await expect(segment.ingestBatch(request({ batch: [track()] }))).rejects.toBe(failure);
  });
});
