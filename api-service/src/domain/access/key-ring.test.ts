import { hashApiKey, parseApiKeys } from '../api-key';
import { staticKeyRing } from './key-ring';

describe('staticKeyRing', () => {
  const { entries } = parseApiKeys(`${hashApiKey('k-admin')}:admin,${hashApiKey('k-ingest')}:ingest`);
  const ring = staticKeyRing(entries);

  it('when a configured key is presented, then it authenticates whatever the time', () => {
    expect(ring.authenticate('k-ingest', Number.MAX_SAFE_INTEGER)).toEqual({ ok: true, key: entries[1] });
  });

  it('when an unknown or malformed key is presented, then it is unknown', () => {
    expect(ring.authenticate('nope', 0)).toEqual({ ok: false, reason: 'unknown' });
    expect(ring.authenticate('x'.repeat(1_000), 0)).toEqual({ ok: false, reason: 'unknown' });
  });

  it('when a key is asked for by id, then the entry with that id is found', () => {
    expect(ring.byId(entries[0]!.id, 0)).toBe(entries[0]);
    expect(ring.byId('0123456789ab', 0)).toBeUndefined();
  });
});
