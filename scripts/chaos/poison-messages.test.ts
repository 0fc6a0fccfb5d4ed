import { ActivityTypeCatalog, checkActivityType } from '@uap/shared/activity-types';
import { decodeActivityMessage } from '@uap/shared/contract';
import { interleave, poisonMessages, validMessage } from './poison-messages';

/** What the worker does with a message: decode it, then check a raw producer's event against the registry. */
function classify(value: string | null): { ok: true } | { ok: false; reason: string; error: string } {
  const decoded = decodeActivityMessage(value);
  if (!decoded.ok) return decoded;
  const checked = checkActivityType(decoded.event, new ActivityTypeCatalog());
  return checked.ok ? { ok: true } : { ok: false, reason: 'schema-violation', error: checked.error };
}

describe('poisonMessages', () => {
  const poison = poisonMessages(100);

  it('when classified as the worker does, then every poison message fails for the reason it was built for', () => {
    for (const p of poison) {
      const decoded = classify(p.message.value);
      expect({ ok: decoded.ok, reason: decoded.ok ? undefined : decoded.reason }).toEqual({
        ok: false,
        reason: p.reason,
      });
    }
  });

  it('when 100 are built, then the three reasons are spread evenly', () => {
    const byReason = new Map<string, number>();
    for (const p of poison) byReason.set(p.reason, (byReason.get(p.reason) ?? 0) + 1);
    expect(Object.fromEntries(byReason)).toEqual({
      'invalid-json': 34,
      'schema-violation': 33,
      'unknown-schema-version': 33,
    });
  });

  it('when a poison message carries an eventId, then it is unique, so a leak into the store is visible', () => {
    const ids = poison.flatMap((p) => (p.eventId ? [p.eventId] : []));
    expect(ids.length).toBe(66);
    expect(new Set(ids).size).toBe(66);
  });

  it('when built, then the schema violations break many different rules', () => {
    const errors = new Set(
      poison
        .filter((p) => p.reason === 'schema-violation')
        .map((p) => {
          const decoded = classify(p.message.value);
          return decoded.ok ? '' : decoded.error.split(':')[0];
        }),
    );
    expect(errors.size).toBeGreaterThanOrEqual(7);
  });
});

describe('validMessage', () => {
  it('when decoded, then it is a valid event with the same eventId', () => {
    const { eventId, message } = validMessage({ userId: 'u-1', type: 'SEARCH', metadata: { query: 'tent' } });
    const decoded = decodeActivityMessage(message.value);
    expect(decoded.ok && decoded.event.eventId).toBe(eventId);
  });
});

describe('interleave', () => {
  it('when shuffling, then it keeps every element exactly once', () => {
    const mixed = interleave([1, 2, 3, 4], [-1, -2]);
    expect([...mixed].sort((a, b) => a - b)).toEqual([-2, -1, 1, 2, 3, 4]);
  });
});
