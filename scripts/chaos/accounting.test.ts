import { deliveryChecks, passed, tally, type Ledger } from './accounting';

const ledger = (sent: string[], accepted: string[]): Ledger => ({ sent: new Set(sent), accepted: new Set(accepted) });

describe('tally', () => {
  it('when every accepted id is stored once, then nothing is lost or duplicated', () => {
    const t = tally(ledger(['a', 'b', 'c'], ['a', 'b', 'c']), ['c', 'a', 'b']);
    expect(t).toMatchObject({
      sent: 3,
      accepted: 3,
      persisted: 3,
      duplicates: 0,
      lost: 0,
      landedUnaccepted: 0,
      foreign: 0,
    });
  });

  it('when an accepted id is missing from the store, then it counts as lost and is sampled', () => {
    const t = tally(ledger(['a', 'b', 'c'], ['a', 'b', 'c']), ['a', 'c']);
    expect(t.lost).toBe(1);
    expect(t.lostSample).toEqual(['b']);
    expect(t.persisted).toBe(2);
  });

  it('when one eventId is stored three times, then it counts two duplicates and one persisted event', () => {
    const t = tally(ledger(['a', 'b'], ['a', 'b']), ['a', 'a', 'a', 'b']);
    expect(t.duplicates).toBe(2);
    expect(t.persisted).toBe(2);
  });

  it('when a sent but unacknowledged id lands, then it is reported apart and is neither lost nor foreign', () => {
    const t = tally(ledger(['a', 'b'], ['a']), ['a', 'b']);
    expect(t).toMatchObject({ accepted: 1, persisted: 2, landedUnaccepted: 1, lost: 0, foreign: 0 });
  });

  it('when a sent but unacknowledged id does not land, then it is not lost', () => {
    expect(tally(ledger(['a', 'b'], ['a']), ['a']).lost).toBe(0);
  });

  it('when the store holds an id that was never sent, then it counts as foreign', () => {
    const t = tally(ledger(['a'], ['a']), ['a', 'zzz']);
    expect(t.foreign).toBe(1);
    expect(t.foreignSample).toEqual(['zzz']);
  });
});

describe('deliveryChecks', () => {
  const clean = tally(ledger(['a'], ['a']), ['a']);

  it('when everything holds, then every check passes', () => {
    const checks = deliveryChecks(clean, { actual: 0, expected: 0 });
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(passed({ checks })).toBe(true);
  });

  it('when one event is lost, then "nothing lost" fails', () => {
    const checks = deliveryChecks(tally(ledger(['a', 'b'], ['a', 'b']), ['a']), { actual: 0, expected: 0 });
    expect(checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['nothing lost']);
  });

  it('when the DLQ holds one letter more than expected, then "dead letters" fails', () => {
    const checks = deliveryChecks(clean, { actual: 101, expected: 100 });
    expect(checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['dead letters']);
  });

  it('when nothing was accepted, then the scenario cannot pass', () => {
    const checks = deliveryChecks(tally(ledger(['a'], []), []), { actual: 0, expected: 0 });
    expect(checks.find((c) => c.name === 'events accepted')?.ok).toBe(false);
  });

  it('when no check ran, then it does not count as passed', () => {
    expect(passed({ checks: [] })).toBe(false);
  });
});
