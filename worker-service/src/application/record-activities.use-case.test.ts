import { actorErasureHash, erasureHash, linkedErasureRecords } from '@uap/shared/contract';
import pino from 'pino';
import { aConsumedEvent } from '../testing/consumed.fixtures';
import { InMemoryActivityRepository, InMemoryDeadLetterPublisher, type RefusalStyle } from '../testing/in-memory.fakes';
import type { DeadLetter } from './ports/dead-letter.publisher.port';
import { RecordActivitiesUseCase } from './record-activities.use-case';
import { isRetriable } from './retriable.errors';

const NOW = new Date('2026-02-01T12:00:00.000Z');

function aDeadLetter(overrides: Partial<DeadLetter> = {}): DeadLetter {
  return {
    reason: 'invalid-json',
    error: 'Unexpected token o',
    key: Buffer.from('user-1'),
    value: Buffer.from('{oops'),
    headers: { 'request-id': 'req-1' },
    source: { topic: 'user-activities', partition: 2, offset: '41' },
    ...overrides,
  };
}

function setUp() {
  const repository = new InMemoryActivityRepository();
  const deadLetters = new InMemoryDeadLetterPublisher();
  const useCase = new RecordActivitiesUseCase({
    repository,
    deadLetters,
    logger: pino({ level: 'silent' }),
    now: () => NOW,
  });
  return { repository, deadLetters, useCase };
}

describe('RecordActivitiesUseCase', () => {
  it('when valid events arrive, then each is stored with persistedAt and counted as inserted', async () => {
    const { repository, useCase } = setUp();
    const events = [aConsumedEvent(), aConsumedEvent({ type: 'LOGOUT', metadata: {} })];

    const result = await useCase.execute({ events, deadLetters: [] });

    expect(result).toEqual({ inserted: 2, duplicates: 0, deadLetters: [], erased: 0 });
    expect([...repository.stored.keys()]).toEqual(events.map((e) => e.event.eventId));
    expect(repository.stored.get(events[0]!.event.eventId)?.persistedAt).toEqual(NOW);
  });

  it('when an eventId is already stored or repeated in the chunk, then it is counted as a duplicate, not stored twice', async () => {
    const { repository, useCase } = setUp();
    const first = aConsumedEvent();
    await useCase.execute({ events: [first], deadLetters: [] });
    const again = aConsumedEvent();

    const result = await useCase.execute({ events: [first, again, again], deadLetters: [] });

    expect(result).toEqual({ inserted: 1, duplicates: 2, deadLetters: [], erased: 0 });
    expect(repository.stored.size).toBe(2);
  });

  it('when dead letters arrive, then they are published with the failure time and the events are still stored', async () => {
    const { repository, deadLetters, useCase } = setUp();
    const letter = aDeadLetter();
    const event = aConsumedEvent();

    const result = await useCase.execute({ events: [event], deadLetters: [letter] });

    expect(result).toEqual({ inserted: 1, duplicates: 0, erased: 0, deadLetters: [letter] });
    expect(deadLetters.sent).toEqual([{ ...letter, failedAt: NOW }]);
    expect(repository.stored.has(event.event.eventId)).toBe(true);
  });

  it('when the store is down, then it rejects with a retriable error and no dead letter is sent yet', async () => {
    const { repository, deadLetters, useCase } = setUp();
    repository.failNextWrites(1);

    const attempt = useCase.execute({ events: [aConsumedEvent()], deadLetters: [aDeadLetter()] });

    await expect(attempt).rejects.toMatchObject({ name: 'StoreUnavailableError', retriable: true });
    expect(deadLetters.sent).toHaveLength(0);
  });

  it('when the dead-letter send fails and the chunk is retried, then events are deduplicated and each letter is sent once', async () => {
    const { repository, deadLetters, useCase } = setUp();
    deadLetters.failNextSends(1);
    const input = { events: [aConsumedEvent()], deadLetters: [aDeadLetter()] };

    const error = await useCase.execute(input).catch((err: unknown) => err);
    const retried = await useCase.execute(input);

    expect(isRetriable(error)).toBe(true);
    expect(retried).toMatchObject({ inserted: 0, duplicates: 1, deadLetters: [expect.anything()] });
    expect(repository.stored.size).toBe(1);
    expect(deadLetters.sent).toHaveLength(1);
  });

  it('when a chunk holds only dead letters, then the store is not written to', async () => {
    const { repository, useCase } = setUp();

    await useCase.execute({ events: [], deadLetters: [aDeadLetter()] });

    expect(repository.writeAttempts).toBe(0);
  });

  describe('when the store refuses a document it cannot hold', () => {
    const isPoison = (event: { metadata: Record<string, unknown> }) => event.metadata['poison'] === true;

    it.each<[RefusalStyle, string]>([
      ['whole-write', 'without naming it (FerretDB on PostgreSQL)'],
      ['per-document', 'with a per-document write error (MongoDB)'],
    ])(
      'when it refuses %s %s, then the rest of the chunk is stored and that one is dead-lettered as store-rejected',
      async (style) => {
        const { repository, deadLetters, useCase } = setUp();
        repository.refuse(isPoison, style);
        const events = Array.from({ length: 40 }, (_, i) => aConsumedEvent({ metadata: { i, poison: i === 17 } }));
        const poison = events[17]!;

        const result = await useCase.execute({ events, deadLetters: [aDeadLetter()] });

        // FerretDB writes the documents before the refused one; they come back as duplicates on the way down.
        expect(result.inserted + result.duplicates).toBe(39);
        expect(repository.stored.has(poison.event.eventId)).toBe(false);
        expect(repository.stored.size).toBe(39);
        expect(deadLetters.sent.map((l) => l.reason)).toEqual(['invalid-json', 'store-rejected']);
        const letter = deadLetters.sent[1]!;
        // Byte for byte the message as consumed, so a replay after a fix carries the same event.
        expect(letter).toMatchObject({ ...poison.message, failedAt: NOW });
        expect(letter.error).toMatch(style === 'whole-write' ? /Unicode escape/ : /Document failed validation/);
      },
    );

    it('when a document is named by the store, then it is dead-lettered without narrowing the write down', async () => {
      const { repository, useCase } = setUp();
      repository.refuse(isPoison, 'per-document');

      await useCase.execute({
        events: [aConsumedEvent(), aConsumedEvent({ metadata: { poison: true } })],
        deadLetters: [],
      });

      expect(repository.writeAttempts).toBe(1);
    });

    it('when several documents of a large chunk are refused, then each is found with a bounded number of writes', async () => {
      const { repository, deadLetters, useCase } = setUp();
      repository.refuse(isPoison, 'whole-write');
      const poisoned = new Set([3, 250, 251, 499]);
      const events = Array.from({ length: 500 }, (_, i) =>
        aConsumedEvent({ metadata: { i, poison: poisoned.has(i) } }),
      );

      const result = await useCase.execute({ events, deadLetters: [] });

      expect(result.inserted + result.duplicates).toBe(496);
      expect(repository.stored.size).toBe(496);
      expect(deadLetters.sent.map((l) => l.source.offset)).toEqual(
        [...poisoned].map((i) => events[i]!.message.source.offset),
      );
      // Halving costs about 2·log2(500) writes per refused document, far from one write per event.
      expect(repository.writeAttempts).toBeLessThan(4 * 2 * Math.ceil(Math.log2(500)) + 10);
    });

    it('when the store also stops answering pings, then it is an outage: a retriable error and no dead letter', async () => {
      const { repository, deadLetters, useCase } = setUp();
      repository.refuse(isPoison, 'whole-write');
      const attempt = useCase.execute({
        events: [aConsumedEvent({ metadata: { poison: true } }), aConsumedEvent()],
        deadLetters: [],
      });
      repository.failNextWrites(5);

      await expect(attempt).rejects.toMatchObject({ name: 'StoreUnavailableError', retriable: true });
      expect(deadLetters.sent).toEqual([]);
    });

    it('when a whole-write failure does not repeat for the same document, then the document is stored, not dead-lettered', async () => {
      const { repository, deadLetters, useCase } = setUp();
      repository.flukeNextWrites(1);
      const event = aConsumedEvent();

      const result = await useCase.execute({ events: [event], deadLetters: [] });

      expect(result).toEqual({ inserted: 1, duplicates: 0, deadLetters: [], erased: 0 });
      expect(deadLetters.sent).toEqual([]);
      expect(repository.pings).toBe(1);
    });
  });

  describe('when users were erased', () => {
    it('when an event of an erased user was received before the erasure, then it is dropped; one received after is stored', async () => {
      const erasedAt = new Date('2026-02-01T11:00:00.000Z');
      const repository = new InMemoryActivityRepository();
      const useCase = new RecordActivitiesUseCase({
        repository,
        deadLetters: new InMemoryDeadLetterPublisher(),
        logger: pino({ level: 'silent' }),
        now: () => NOW,
        erasures: {
          hash: (userId) => `h:${userId}`,
          lookup: {
            erasedAt: async (hashes) => new Map(hashes.filter((h) => h === 'h:gone').map((h) => [h, erasedAt])),
          },
        },
      });
      const before = aConsumedEvent({ userId: 'gone', receivedAt: '2026-02-01T10:59:59.999Z' });
      const after = aConsumedEvent({ userId: 'gone', receivedAt: '2026-02-01T11:00:00.000Z' });
      const other = aConsumedEvent({ userId: 'kept', receivedAt: '2026-02-01T10:00:00.000Z' });

      const result = await useCase.execute({ events: [before, after, other], deadLetters: [] });

      expect(result).toMatchObject({ inserted: 2, erased: 1 });
      expect([...repository.stored.keys()]).toEqual([after.event.eventId, other.event.eventId]);
    });

    it('when an anonymous id was erased with the user who linked it, then its events without a userId accepted before are dropped; one with another user’s id is kept', async () => {
      const key = 'test-erasure-key';
      const erasedAt = new Date('2026-02-01T11:00:00.000Z');
      // As the api files them: the erasure's record and one per linked anonymous id, all under userHash.
      const records = [
        { userHash: actorErasureHash(key, { userId: 'alice' }), erasedAt },
        ...linkedErasureRecords({ erasureId: 'er_000000000000', erasedAt }, [
          actorErasureHash(key, { anonymousId: 'visitor-1' }),
        ]),
      ];
      const lookups: string[][] = [];
      const repository = new InMemoryActivityRepository();
      const useCase = new RecordActivitiesUseCase({
        repository,
        deadLetters: new InMemoryDeadLetterPublisher(),
        logger: pino({ level: 'silent' }),
        now: () => NOW,
        erasures: {
          hash: (actorKey) => erasureHash(key, actorKey),
          lookup: {
            erasedAt: async (hashes) => {
              lookups.push([...hashes]);
              return new Map(records.filter((r) => hashes.includes(r.userHash)).map((r) => [r.userHash, r.erasedAt]));
            },
          },
        },
      });
      const inFlight = aConsumedEvent({
        userId: undefined,
        anonymousId: 'visitor-1',
        receivedAt: '2026-02-01T10:00:00.000Z',
      });
      const afterwards = aConsumedEvent({
        userId: undefined,
        anonymousId: 'visitor-1',
        receivedAt: '2026-02-01T11:00:00.000Z',
      });
      const bobs = aConsumedEvent({ userId: 'bob', anonymousId: 'visitor-1', receivedAt: '2026-02-01T10:00:00.000Z' });
      const alices = aConsumedEvent({
        userId: 'alice',
        anonymousId: 'visitor-2',
        receivedAt: '2026-02-01T10:00:00.000Z',
      });

      const result = await useCase.execute({ events: [inFlight, afterwards, bobs, alices], deadLetters: [] });

      expect(result).toMatchObject({ inserted: 2, erased: 2 });
      expect([...repository.stored.keys()]).toEqual([afterwards.event.eventId, bobs.event.eventId]);
      // One lookup for the chunk, of each actor's hash once.
      expect(lookups).toEqual([
        [
          actorErasureHash(key, { anonymousId: 'visitor-1' }),
          actorErasureHash(key, { userId: 'bob' }),
          actorErasureHash(key, { userId: 'alice' }),
        ],
      ]);
    });
  });
});
