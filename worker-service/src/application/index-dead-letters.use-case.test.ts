import { actorErasureHash, erasureHash, HEADERS, type ConsumedLetter } from '@uap/shared/contract';
import { anActivity } from '@uap/shared/testing';
import pino from 'pino';
import { InMemoryDeadLetterIndex } from '../testing/in-memory.fakes';
import { IndexDeadLettersUseCase } from './index-dead-letters.use-case';

const KEY = 'test-erasure-key';
const ERASED_AT = new Date('2026-11-28T11:00:00.000Z');
let nextOffset = 0;

/** A letter whose payload is an event the store refused, received by the api at `receivedAt`. */
function aLetterOf(actor: { userId?: string; anonymousId?: string }, receivedAt: string): ConsumedLetter {
  const event = { ...anActivity({ userId: undefined, ...actor, receivedAt }) };
  return {
    topic: 'user-activities.dlq',
    partition: 0,
    offset: String(nextOffset++),
    timestamp: String(Date.parse('2026-11-28T12:00:00.000Z')),
    key: null,
    value: Buffer.from(JSON.stringify(event)),
    headers: { [HEADERS.dlqReason]: Buffer.from('store-rejected') },
  };
}

describe('IndexDeadLettersUseCase', () => {
  it('when letters of an erased user and of an anonymous id erased with them were received before the erasure, then they are not indexed; the rest are', async () => {
    const erased = new Set([
      actorErasureHash(KEY, { userId: 'alice' }),
      actorErasureHash(KEY, { anonymousId: 'visitor-1' }),
    ]);
    const index = new InMemoryDeadLetterIndex();
    const useCase = new IndexDeadLettersUseCase({
      index,
      logger: pino({ level: 'silent' }),
      maxReplays: 3,
      erasures: {
        hash: (actorKey) => erasureHash(KEY, actorKey),
        lookup: {
          erasedAt: async (hashes) => new Map(hashes.filter((h) => erased.has(h)).map((h) => [h, ERASED_AT])),
        },
      },
    });
    const before = '2026-11-28T10:00:00.000Z';
    const letters = [
      aLetterOf({ userId: 'alice' }, before),
      aLetterOf({ anonymousId: 'visitor-1' }, before),
      aLetterOf({ anonymousId: 'visitor-1' }, '2026-11-28T11:00:00.000Z'),
      aLetterOf({ userId: 'bob', anonymousId: 'visitor-1' }, before),
      aLetterOf({ anonymousId: 'visitor-2' }, before),
    ];

    const { records } = await useCase.execute(letters);

    expect(records.map((r) => `${r.userId ?? '-'} ${r.anonymousId ?? '-'}`)).toEqual([
      '- visitor-1',
      'bob visitor-1',
      '- visitor-2',
    ]);
    expect(records[0]!.dlqOffset).toBe(Number(letters[2]!.offset));
  });
});
