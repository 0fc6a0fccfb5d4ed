import { createHmac, timingSafeEqual } from 'node:crypto';

/** Tokens are at most this long; longer ones are refused before any parsing. */
export const MAX_TOKEN_LENGTH = 200_000;

/**
 * Opaque, tamper-evident tokens: base64url(JSON) + "." + base64url(HMAC-SHA256) under a server secret.
 * Anyone can read one (it holds no secret), nobody can forge or alter one, and every API replica
 * sharing the secret accepts the others' tokens.
 */
export class TokenSigner {
  constructor(private readonly secret: Buffer) {}

  sign(payload: object): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.mac(body).toString('base64url')}`;
  }

  /** The payload, or undefined when the token is malformed or was not signed with this secret. */
  verify(text: string): unknown {
    if (text.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/.test(text)) return undefined;
    const [body, mac] = text.split('.') as [string, string];
    const given = Buffer.from(mac, 'base64url');
    const expected = this.mac(body);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  private mac(body: string): Buffer {
    return createHmac('sha256', this.secret).update(body).digest();
  }
}
