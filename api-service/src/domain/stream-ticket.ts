import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { TokenSigner } from './token-signer';

const TicketPayload = z.strictObject({
  k: z.literal('t'),
  /** The API key's id (a hash prefix), or null when the API runs without keys. */
  i: z.string().max(64).nullable(),
  x: z.int().min(0),
  n: z.string().length(16),
});

export type TicketRedemption = { ok: true; keyId: string | null } | { ok: false; reason: string };

/**
 * Short-lived, single-purpose, single-use tickets for the live stream: browsers' EventSource cannot
 * send headers, so a ticket travels in the URL instead of the long-lived key. Signed (any replica
 * can check one); single use is remembered per process until the ticket expires, so with several
 * replicas a ticket could be used once on each within its lifetime (60 s by default).
 */
export class StreamTickets {
  private readonly used = new Map<string, number>();
  private readonly now: () => number;

  constructor(
    private readonly signer: TokenSigner,
    private readonly ttlMs: number,
    deps: { now?: () => number } = {},
  ) {
    this.now = deps.now ?? Date.now;
  }

  issue(keyId: string | null): { ticket: string; expiresAt: Date } {
    const expiresAt = this.now() + this.ttlMs;
    const ticket = this.signer.sign({ k: 't', i: keyId, x: expiresAt, n: randomBytes(12).toString('base64url') });
    return { ticket, expiresAt: new Date(expiresAt) };
  }

  redeem(text: string): TicketRedemption {
    const parsed = TicketPayload.safeParse(this.signer.verify(text));
    if (!parsed.success) return { ok: false, reason: 'The stream ticket is not valid' };
    const now = this.now();
    for (const [nonce, expiry] of this.used) if (expiry < now) this.used.delete(nonce);
    const { i, x, n } = parsed.data;
    if (x < now) return { ok: false, reason: 'The stream ticket has expired; ask for a new one' };
    if (this.used.has(n)) return { ok: false, reason: 'The stream ticket has already been used; ask for a new one' };
    this.used.set(n, x);
    return { ok: true, keyId: i };
  }
}
