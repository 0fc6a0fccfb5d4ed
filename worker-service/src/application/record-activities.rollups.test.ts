import type { RollupEntry } from '@uap/shared/contract';
import pino from 'pino';
import type { ConsumedEvent } from './record-activities.use-case';
import { aConsumedEvent } from '../testing/consumed.fixtures';
import {
  InMemoryActivityRepository,
  InMemoryActivityRollups,
  InMemoryDeadLetterPublisher,
} from '../testing/in-memory.fakes';
import { RecordActivitiesUseCase } from './record-activities.use-case';
import { isRetriable } from './retriable.errors';

const MINUTE = '2026-01-01T10:00:00.000Z';

function setUp() {
  const repository = new InMemoryActivityRepository();
  const rollups = new InMemoryActivityRollups();
  const useCase = new RecordActivitiesUseCase({
    repository,
    deadLetters: new InMemoryDeadLetterPublisher(),
    logger: pino({ level: 'silent' }),
    rollups,
  });
  return { repository, rollups, useCase };
}

/** The same message delivered again: same event, same topic position. */
function redelivered(consumed: ConsumedEvent): ConsumedEvent {
  return { event: consumed.event, message: { ...consumed.message, source: { ...consumed.message.source } } };
}

describe('RecordActivitiesUseCase with stats rollups', () => {
  it('when a chunk is stored, then every stored event is counted in its minute and type', async () => {
    const { rollups, useCase } = setUp();
    await useCase.execute({
      events: [aConsumedEvent(), aConsumedEvent(), aConsumedEvent({ type: 'SEARCH' })],
      deadLetters: [],
    });
    expect(rollups.countAt(MINUTE, 'LOGIN')).toBe(2);
    expect(rollups.countAt(MINUTE, 'SEARCH')).toBe(1);
  });

  it('when the chunk is redelivered after it was counted, then nothing is counted twice', async () => {
    const { rollups, useCase } = setUp();
    const chunk = [aConsumedEvent(), aConsumedEvent()];
    await useCase.execute({ events: chunk, deadLetters: [] });
    await useCase.execute({ events: chunk.map(redelivered), deadLetters: [] });
    expect(rollups.countAt(MINUTE, 'LOGIN')).toBe(2);
  });

  it('when the rollup write fails after the insert, then the chunk fails retriably and the retry counts each stored copy once', async () => {
    const { repository, rollups, useCase } = setUp();
    const chunk = [aConsumedEvent(), aConsumedEvent({ type: 'CLICK' })];
    rollups.failNextApplies(1);

    const failure = await useCase.execute({ events: chunk, deadLetters: [] }).catch((err: unknown) => err);
    expect(isRetriable(failure)).toBe(true);
    expect(repository.stored.size).toBe(2);

    const retry = await useCase.execute({ events: chunk.map(redelivered), deadLetters: [] });
    expect(retry.duplicates).toBe(2);
    expect(rollups.countAt(MINUTE, 'LOGIN')).toBe(1);
    expect(rollups.countAt(MINUTE, 'CLICK')).toBe(1);
  });

  it('when a client resends an eventId (a new message, another offset), then only the stored copy counts', async () => {
    const { rollups, useCase } = setUp();
    const original = aConsumedEvent();
    await useCase.execute({ events: [original], deadLetters: [] });
    const resend = aConsumedEvent({ ...original.event });
    await useCase.execute({ events: [resend, aConsumedEvent()], deadLetters: [] });
    expect(rollups.countAt(MINUTE, 'LOGIN')).toBe(2);
  });

  it('when an eventId repeats inside one chunk, then it counts once', async () => {
    const { rollups, useCase } = setUp();
    const first = aConsumedEvent();
    await useCase.execute({ events: [first, aConsumedEvent({ ...first.event })], deadLetters: [] });
    expect(rollups.countAt(MINUTE, 'LOGIN')).toBe(1);
  });

  it('when a chunk holds events with and without a userId, then each entry carries its stored copy’s userId, and anonymous ones none', async () => {
    const { rollups, useCase } = setUp();
    const applied: RollupEntry[] = [];
    const apply = rollups.apply.bind(rollups);
    rollups.apply = async (partition, entries, chunkEnd) => {
      applied.push(...entries);
      return apply(partition, entries, chunkEnd);
    };
    const visitor = aConsumedEvent({ anonymousId: 'a-1' });
    const { userId: _none, ...anonymousEvent } = visitor.event;
    const chunk = [aConsumedEvent({ userId: 'u-7' }), { ...visitor, event: anonymousEvent }];
    await useCase.execute({ events: chunk, deadLetters: [] });
    expect(applied.map((e) => e.userId ?? null)).toEqual(['u-7', null]);
  });
});
