/**
 * The honest part of the chaos suite: what was sent, what the platform acknowledged, and what the
 * store holds, compared id by id. Pure, so the arithmetic itself is unit-tested.
 */

/** What a client knows: the ids it sent at least once, and the ids that were acknowledged (202 / broker ack). */
export interface Ledger {
  sent: ReadonlySet<string>;
  accepted: ReadonlySet<string>;
}

export interface Tally {
  sent: number;
  accepted: number;
  /** Distinct eventIds in the store. */
  persisted: number;
  /** Documents beyond the first for the same eventId (the unique index should keep this at 0). */
  duplicates: number;
  /** Accepted, but not in the store. */
  lost: number;
  /** Sent, never acknowledged, stored anyway: fine, a 503'd request may still have reached the broker. */
  landedUnaccepted: number;
  /** In the store although this scenario never sent it as a valid event (e.g. a poison message that slipped through). */
  foreign: number;
  /** A few lost ids, for the log. */
  lostSample: string[];
  foreignSample: string[];
}

const SAMPLE = 5;

/** `storedEventIds` yields one entry per stored document, so repeats are duplicates. */
export function tally(ledger: Ledger, storedEventIds: Iterable<string>): Tally {
  const copies = new Map<string, number>();
  for (const id of storedEventIds) copies.set(id, (copies.get(id) ?? 0) + 1);

  let duplicates = 0;
  let landedUnaccepted = 0;
  const foreign: string[] = [];
  for (const [id, count] of copies) {
    duplicates += count - 1;
    if (!ledger.sent.has(id) && !ledger.accepted.has(id)) foreign.push(id);
    else if (!ledger.accepted.has(id)) landedUnaccepted++;
  }
  const lost: string[] = [];
  for (const id of ledger.accepted) if (!copies.has(id)) lost.push(id);

  return {
    sent: ledger.sent.size,
    accepted: ledger.accepted.size,
    persisted: copies.size,
    duplicates,
    lost: lost.length,
    landedUnaccepted,
    foreign: foreign.length,
    lostSample: lost.slice(0, SAMPLE),
    foreignSample: foreign.slice(0, SAMPLE),
  };
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export function check(name: string, ok: boolean, detail: string): Check {
  return { name, ok, detail };
}

/** The invariants every scenario holds: something was accepted, and every accepted event is stored exactly once. */
export function deliveryChecks(t: Tally, deadLetters: { actual: number; expected: number }): Check[] {
  return [
    check('events accepted', t.accepted > 0, `${t.accepted} accepted`),
    check(
      'nothing lost',
      t.lost === 0,
      t.lost === 0 ? 'every accepted event is stored' : `${t.lost} lost, e.g. ${t.lostSample.join(', ')}`,
    ),
    check('no duplicates', t.duplicates === 0, `${t.duplicates} extra documents`),
    check(
      'nothing foreign stored',
      t.foreign === 0,
      t.foreign === 0
        ? 'only ids this scenario sent'
        : `${t.foreign} unexpected ids, e.g. ${t.foreignSample.join(', ')}`,
    ),
    check(
      'dead letters',
      deadLetters.actual === deadLetters.expected,
      `${deadLetters.actual} in the DLQ, expected ${deadLetters.expected}`,
    ),
  ];
}

export interface ScenarioResult {
  id: number;
  name: string;
  /** Messages sent, poison included; may exceed `tally.sent`, which counts valid eventIds only. */
  sent: number;
  tally: Tally;
  deadLetters: number;
  checks: Check[];
  notes: string[];
  durationMs: number;
}

export function passed(result: Pick<ScenarioResult, 'checks'>): boolean {
  return result.checks.length > 0 && result.checks.every((c) => c.ok);
}

export const EMPTY_TALLY: Tally = tally({ sent: new Set(), accepted: new Set() }, []);
