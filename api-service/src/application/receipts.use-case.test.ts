import { anActivity, aDeadLetterRecord } from '@uap/shared/testing';
import type { ConsumerProgress, ProgressSnapshot } from './ports/consumer-progress.port';
import { ReceiptsUseCase } from './receipts.use-case';
import { InMemoryActivityReader } from '../testing/in-memory-activity.reader';
import { InMemoryDeadLetterStore } from '../testing/in-memory-dead-letters';
import { TEST_RECEIPTS } from '../testing/test-app';

const T0 = new Date('2026-11-28T12:00:00.000Z');
const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

/** Progress the test moves by hand; `next()` resolves on the following `advance`. */
class FakeProgress implements ConsumerProgress {
  private waiters: Array<(s: ProgressSnapshot) => void> = [];
  snapshot: ProgressSnapshot = this.at(0);

  at(committed: number): ProgressSnapshot {
    return {
      at: T0,
      topic: 'user-activities',
      group: 'activity-worker',
      partitions: [{ partition: 0, committed, end: 100, lag: 100 - committed, watermark: null, stalledSince: null }],
      lag: 100 - committed,
      watermark: null,
    };
  }

  advance(committed: number): void {
    this.snapshot = this.at(committed);
    for (const w of this.waiters.splice(0)) w(this.snapshot);
  }

  current = () => this.snapshot;
  next = () => new Promise<ProgressSnapshot>((resolve) => this.waiters.push(resolve));
}

function setUp() {
  const progress = new FakeProgress();
  const event = anActivity();
  const reader = new InMemoryActivityReader([]);
  const letters = new InMemoryDeadLetterStore();
  const receipts = new ReceiptsUseCase({
    codec: TEST_RECEIPTS,
    topic: 'user-activities',
    progress,
    reader,
    deadLetters: letters,
  });
  const receiptAt = (offset: number) =>
    TEST_RECEIPTS.encodeReceipt({
      topic: 'user-activities',
      partition: 0,
      offset,
      eventId: event.eventId,
      acceptedAt: T0,
    });
  return { progress, event, reader, letters, receipts, receiptAt };
}

const stored = (event: ReturnType<typeof anActivity>, partition: number, offset: number) => ({
  ...event,
  occurredAt: new Date(event.occurredAt),
  receivedAt: new Date(event.receivedAt),
  persistedAt: T0,
  storedFrom: { partition, offset },
});

describe('ReceiptsUseCase.status', () => {
  it('when the group has not processed the offset, then it is pending with the exact number of messages ahead', async () => {
    const { receipts, receiptAt, progress } = setUp();
    progress.advance(40);
    expect(await receipts.status(receiptAt(57))).toMatchObject({ status: 'pending', behind: 17 });
  });

  it('when the stored copy is this one, then persisted; when it is another copy, then duplicate naming the stored one', async () => {
    const { receipts, receiptAt, progress, reader, event } = setUp();
    progress.advance(60);
    reader.add(stored(event, 0, 12));

    expect(await receipts.status(receiptAt(12))).toMatchObject({ status: 'persisted', persistedAt: T0 });
    expect(await receipts.status(receiptAt(50))).toMatchObject({
      status: 'duplicate',
      storedFrom: { partition: 0, offset: 12 },
    });
  });

  it('when a stored event is read, then its receipt names its own position and reads back as persisted', async () => {
    const { receipts, progress, reader, event } = setUp();
    progress.advance(60);
    const record = stored(event, 0, 12);
    reader.add(record);

    const receipt = receipts.receiptOf(record)!;
    expect(receipts.decodeReceipt(receipt)).toMatchObject({ partition: 0, offset: 12, eventId: event.eventId });
    expect(await receipts.status(receipt)).toMatchObject({ status: 'persisted', offset: 12 });
    expect(receipts.receiptOf({ ...record, storedFrom: undefined })).toBeUndefined();
  });

  it('when the message was dead-lettered, then dead_lettered with the reason and the letter id', async () => {
    const { receipts, receiptAt, progress, letters } = setUp();
    progress.advance(60);
    letters.add(
      aDeadLetterRecord({
        sourceTopic: 'user-activities',
        sourcePartition: 0,
        sourceOffset: 30,
        reason: 'store-rejected',
      }),
    );

    const status = await receipts.status(receiptAt(30));

    expect(status).toMatchObject({
      status: 'dead_lettered',
      reason: 'store-rejected',
      deadLetterId: letters.letters[0]!.letterId,
    });
  });

  it('when waiting for a final status, then it answers as soon as the group gets past the offset', async () => {
    const { receipts, receiptAt, progress, reader, event } = setUp();
    const started = Date.now();
    const waiting = receipts.status(receiptAt(5), 10_000);
    reader.add(stored(event, 0, 5));
    await tick();
    progress.advance(3);
    await tick();
    progress.advance(6);

    expect(await waiting).toMatchObject({ status: 'persisted' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('when the wait runs out, then the current (pending) status comes back in time', async () => {
    const { receipts, receiptAt } = setUp();
    const started = Date.now();

    expect(await receipts.status(receiptAt(5), 150)).toMatchObject({ status: 'pending', behind: 5 });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it.each([
    ['a forged receipt', 'abc.def'],
    [
      'a receipt of another topic',
      TEST_RECEIPTS.encodeReceipt({
        topic: 'other',
        partition: 0,
        offset: 1,
        eventId: anActivity().eventId,
        acceptedAt: T0,
      }),
    ],
  ])('when %s is shown, then it is a validation error', async (_label, text) => {
    const { receipts } = setUp();
    await expect(receipts.status(text)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describe('ReceiptsUseCase.awaitProcessed', () => {
  it('when the group passes every position of the token, then true; when time runs out first, then false', async () => {
    const { receipts, progress } = setUp();
    const token = TEST_RECEIPTS.decodeToken(
      TEST_RECEIPTS.encodeToken({ topic: 'user-activities', positions: new Map([[0, 9]]) }),
    )!;

    const late = receipts.awaitProcessed(token, 100);
    expect(await late).toBe(false);
    const started = Date.now();
    const caughtUp = receipts.awaitProcessed(token, 5_000);
    await tick();
    progress.advance(10);
    expect(await caughtUp).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
