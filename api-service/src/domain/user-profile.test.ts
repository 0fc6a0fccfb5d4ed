import { mergeTraits } from './user-profile';

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));
const identify = (minute: number, eventId: string, traits: Record<string, unknown>) => ({
  occurredAt: at(minute),
  eventId,
  traits,
});

describe('mergeTraits', () => {
  it('when identifies set the same key, then the latest by occurredAt wins, whatever order they are given in', () => {
    const events = [
      identify(2, 'e-2', { plan: 'pro', name: 'Ada' }),
      identify(1, 'e-1', { plan: 'free', email: 'ada@example.com' }),
      identify(3, 'e-3', { plan: null }),
    ];
    const expected = { plan: null, name: 'Ada', email: 'ada@example.com' };
    expect(mergeTraits(events)).toEqual(expected);
    expect(mergeTraits([...events].reverse())).toEqual(expected);
  });

  it('when two identifies share an instant, then the larger eventId wins, as the keyset orders them', () => {
    const events = [identify(1, 'e-b', { plan: 'b' }), identify(1, 'e-a', { plan: 'a' })];
    expect(mergeTraits(events)).toEqual({ plan: 'b' });
    expect(mergeTraits([...events].reverse())).toEqual({ plan: 'b' });
  });

  it('when a trait is an object, then it is replaced whole (a shallow merge), and __proto__ is a plain key', () => {
    const traits = JSON.parse('{"__proto__": {"polluted": true}, "address": {"city": "Paris"}}') as Record<
      string,
      unknown
    >;
    const merged = mergeTraits([
      identify(1, 'e-1', { address: { city: 'Lyon', zip: '69001' } }),
      identify(2, 'e-2', traits),
    ]);
    expect(merged['address']).toEqual({ city: 'Paris' });
    expect(Object.keys(merged)).toEqual(['address', '__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
  });

  it('when there is no identify, then there are no traits', () => {
    expect(mergeTraits([])).toEqual({});
  });
});
