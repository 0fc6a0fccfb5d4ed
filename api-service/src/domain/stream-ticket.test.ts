import { StreamTickets } from './stream-ticket';
import { TokenSigner } from './token-signer';

describe('StreamTickets', () => {
  let clock = 1_000_000;
  const tickets = new StreamTickets(new TokenSigner(Buffer.from('ticket-secret')), 60_000, { now: () => clock });

  it('when a fresh ticket is redeemed, then it names its key, and a second use is refused', () => {
    const { ticket } = tickets.issue('abc123');
    expect(tickets.redeem(ticket)).toEqual({ ok: true, keyId: 'abc123' });
    expect(tickets.redeem(ticket)).toMatchObject({ ok: false, reason: expect.stringMatching(/already been used/) });
  });

  it('when a ticket is redeemed after 60 s, then it is refused as expired', () => {
    const { ticket } = tickets.issue('abc123');
    clock += 60_001;
    expect(tickets.redeem(ticket)).toMatchObject({ ok: false, reason: expect.stringMatching(/expired/) });
  });

  it('when a ticket is forged or signed elsewhere, then it is refused', () => {
    const other = new StreamTickets(new TokenSigner(Buffer.from('other')), 60_000, { now: () => clock });
    expect(tickets.redeem(other.issue('abc123').ticket)).toMatchObject({ ok: false });
    expect(tickets.redeem('nope')).toMatchObject({ ok: false });
  });
});
