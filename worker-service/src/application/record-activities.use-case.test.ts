import { anActivity } from '@uap/shared/testing';
import pino from 'pino';
import { InMemoryActivityRepository, InMemoryDeadLetterPublisher } from '../testing/in-memory.fakes';
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
    const events = [anActivity(), anActivity({ type: 'LOGOUT', metadata: {} })];

    const result = await useCase.execute({ events, deadLetters: [] });

    expect(result).toEqual({ inserted: 2, duplicates: 0, deadLettered: 0 });
    expect([...repository.stored.keys()]).toEqual(events.map((e) => e.eventId));
    expect(repository.stored.get(events[0]!.eventId)?.persistedAt).toEqual(NOW);
  });

  it('when an eventId is already stored or repeated in the chunk, then it is counted as a duplicate, not stored twice', async () => {
    const { repository, useCase } = setUp();
    const first = anActivity();
    await useCase.execute({ events: [first], deadLetters: [] });
    const again = anActivity();

    const result = await useCase.execute({ events: [first, again, again], deadLetters: [] });

    expect(result).toEqual({ inserted: 1, duplicates: 2, deadLettered: 0 });
    expect(repository.stored.size).toBe(2);
  });

  it('when dead letters arrive, then they are published with the failure time and the events are still stored', async () => {
    const { repository, deadLetters, useCase } = setUp();
    const letter = aDeadLetter();
    const event = anActivity();

    const result = await useCase.execute({ events: [event], deadLetters: [letter] });

    expect(result).toEqual({ inserted: 1, duplicates: 0, deadLettered: 1 });
    expect(deadLetters.sent).toEqual([{ ...letter, failedAt: NOW }]);
    expect(repository.stored.has(event.eventId)).toBe(true);
  });

  it('when the store is down, then it rejects with a retriable error and no dead letter is sent yet', async () => {
    const { repository, deadLetters, useCase } = setUp();
    repository.failNextWrites(1);

    const attempt = useCase.execute({ events: [anActivity()], deadLetters: [aDeadLetter()] });

    await expect(attempt).rejects.toMatchObject({ name: 'StoreUnavailableError', retriable: true });
    expect(deadLetters.sent).toHaveLength(0);
  });

  it('when the dead-letter send fails and the chunk is retried, then events are deduplicated and each letter is sent once', async () => {
    const { repository, deadLetters, useCase } = setUp();
    deadLetters.failNextSends(1);
    const input = { events: [anActivity()], deadLetters: [aDeadLetter()] };

    const error = await useCase.execute(input).catch((err: unknown) => err);
    const retried = await useCase.execute(input);

    expect(isRetriable(error)).toBe(true);
    expect(retried).toEqual({ inserted: 0, duplicates: 1, deadLettered: 1 });
    expect(repository.stored.size).toBe(1);
    expect(deadLetters.sent).toHaveLength(1);
  });

  it('when a chunk holds only dead letters, then the store is not written to', async () => {
    const { repository, useCase } = setUp();

    await useCase.execute({ events: [], deadLetters: [aDeadLetter()] });

    expect(repository.writeAttempts).toBe(0);
  });
});
