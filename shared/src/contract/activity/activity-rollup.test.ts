import {
  applyEntries,
  countsOf,
  emptyRollup,
  hourIdOf,
  rebuildRollups,
  removeEntries,
  type RollupDocument,
  type RollupEntry,
} from './activity-rollup';

const HOUR = new Date('2026-03-29T01:00:00.000Z');

function anEntry(overrides: Partial<RollupEntry> = {}): RollupEntry {
  return { partition: 0, offset: 0, occurredAt: new Date('2026-03-29T01:07:30.000Z'), type: 'LOGIN', ...overrides };
}

function minuteCount(doc: RollupDocument, type: string, minute: number): number {
  return countsOf(doc).get(type)?.[minute] ?? 0;
}

describe('rollup arithmetic', () => {
  it('when a chunk is applied, then each entry lands in its UTC minute and type, and applied moves to the chunk end', () => {
    const doc = applyEntries(
      emptyRollup(HOUR),
      0,
      [
        anEntry({ offset: 1 }),
        anEntry({ offset: 2, type: 'SEARCH' }),
        anEntry({ offset: 3, occurredAt: new Date('2026-03-29T01:59:59.999Z') }),
      ],
      5,
    )!;
    expect(doc._id).toBe('2026-03-29T01');
    expect(doc.day).toBe('2026-03-29');
    expect(minuteCount(doc, 'LOGIN', 7)).toBe(1);
    expect(minuteCount(doc, 'SEARCH', 7)).toBe(1);
    expect(minuteCount(doc, 'LOGIN', 59)).toBe(1);
    expect(doc.applied).toEqual({ '0': 5 });
    expect(doc.v).toBe(1);
  });

  it('when the same chunk is applied again, then nothing changes (a redelivery costs no write)', () => {
    const entries = [anEntry({ offset: 10 }), anEntry({ offset: 11 })];
    const once = applyEntries(emptyRollup(HOUR), 0, entries, 11)!;
    expect(applyEntries(once, 0, entries, 11)).toBeUndefined();
    expect(minuteCount(once, 'LOGIN', 7)).toBe(2);
  });

  it('when a redelivered chunk overlaps what was applied, then only the offsets past applied are counted', () => {
    const first = applyEntries(emptyRollup(HOUR), 0, [anEntry({ offset: 10 }), anEntry({ offset: 11 })], 11)!;
    const replay = applyEntries(first, 0, [anEntry({ offset: 11 }), anEntry({ offset: 12 })], 12)!;
    expect(minuteCount(replay, 'LOGIN', 7)).toBe(3);
    expect(replay.applied['0']).toBe(12);
  });

  it('when two partitions write the same hour, then each keeps its own applied offset', () => {
    const a = applyEntries(emptyRollup(HOUR), 0, [anEntry({ offset: 100 })], 100)!;
    const b = applyEntries(a, 1, [anEntry({ partition: 1, offset: 3 })], 3)!;
    expect(b.applied).toEqual({ '0': 100, '1': 3 });
    expect(minuteCount(b, 'LOGIN', 7)).toBe(2);
    expect(applyEntries(b, 1, [anEntry({ partition: 1, offset: 3 })], 3)).toBeUndefined();
  });

  it('when a counted event is erased, then it is decremented once, however often the erasure runs', () => {
    const counted = applyEntries(emptyRollup(HOUR), 0, [anEntry({ offset: 1 }), anEntry({ offset: 2 })], 2)!;
    const erased = removeEntries(counted, [anEntry({ offset: 2 })])!;
    expect(minuteCount(erased, 'LOGIN', 7)).toBe(1);
    expect(removeEntries(erased, [anEntry({ offset: 2 })])).toBeUndefined();
  });

  it('when an event is erased before its chunk is counted, then the chunk skips it', () => {
    const erasedFirst = removeEntries(emptyRollup(HOUR), [anEntry({ offset: 7 })])!;
    expect(minuteCount(erasedFirst, 'LOGIN', 7)).toBe(0);
    const applied = applyEntries(erasedFirst, 0, [anEntry({ offset: 6 }), anEntry({ offset: 7 })], 7)!;
    expect(minuteCount(applied, 'LOGIN', 7)).toBe(1);
  });

  it('when a type registered at runtime is counted, then the readers get its minutes beside the built-ins', () => {
    const doc = applyEntries(
      emptyRollup(HOUR),
      0,
      [anEntry({ offset: 1, type: 'VIDEO_PLAY' }), anEntry({ offset: 2, type: 'VIDEO_PLAY' }), anEntry({ offset: 3 })],
      3,
    )!;
    expect([...countsOf(doc).keys()].sort()).toEqual(['LOGIN', 'VIDEO_PLAY']);
    expect(minuteCount(doc, 'VIDEO_PLAY', 7)).toBe(2);
  });

  it('when a document holds a key that is not a type name, then countsOf leaves it out instead of decoding it', () => {
    const zeros = new Array<number>(60).fill(0).join(',');
    const counts = Object.fromEntries([
      ['VIDEO_PLAY', zeros],
      ['lower-case', 'not counts'],
      ['__proto__', 'not counts'],
    ]) as RollupDocument['counts'];
    expect([...countsOf({ counts }).keys()]).toEqual(['VIDEO_PLAY']);
  });

  it('when the hour id is taken, then it is the UTC hour whatever the local zone (no DST)', () => {
    // 01:30 UTC on the day central Europe moves its clocks forward.
    expect(hourIdOf(new Date('2026-03-29T03:30:00+02:00'))).toBe('2026-03-29T01');
  });
});

describe('rollup rebuild', () => {
  const at = new Date('2026-03-29T01:07:30.000Z');
  it('when the group is stopped at a committed offset, then stored events below it are counted and the rest left to the worker', () => {
    const { rows, applied, counted, left } = rebuildRollups(
      [
        { occurredAt: at, type: 'LOGIN', partition: 0, offset: 4 },
        { occurredAt: at, type: 'LOGIN', partition: 0, offset: 5 },
        { occurredAt: at, type: 'SEARCH', partition: 1, offset: 9 },
        { occurredAt: at, type: 'SEARCH' },
      ],
      new Map([[0, 5]]),
    );
    expect({ counted, left }).toEqual({ counted: 3, left: 1 });
    expect(applied).toEqual(
      new Map([
        [0, 4],
        [1, 9],
      ]),
    );
    expect(rows.map((r) => [r.type, r.minutes[7]])).toEqual([
      ['LOGIN', 1],
      ['SEARCH', 2],
    ]);
  });
});
