import { createHash, randomBytes } from 'node:crypto';

/**
 * A runtime key as its holder sees it: `uapk_<keyId>_<secret>`. The keyId (16 lowercase hex, 8 random bytes) is
 * not secret: it names the key in lists, logs and the access log, and lets a replica find the one stored hash to
 * compare with. The secret is 32 random bytes in base64url (43 characters).
 *
 * Stored is only SHA-256(whole key) in hex. Why SHA-256 and not a slow KDF (bcrypt, scrypt, argon2): the secret
 * carries 256 random bits, so guessing it is infeasible whatever the hash; a KDF only slows the guessing of
 * low-entropy passwords, and would cost ~50-100 ms of CPU per request on the hot path. SHA-256 is preimage
 * resistant, so a leaked hash (the access log is readable by whoever reads the topic) gives no key.
 */
export const RUNTIME_KEY_PREFIX = 'uapk_';
export const KEY_ID_PATTERN = /^[0-9a-f]{16}$/;
const RUNTIME_KEY = /^uapk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface GeneratedRuntimeKey {
  keyId: string;
  /** The whole key, `uapk_<keyId>_<secret>`: shown once to its creator, never stored or logged. */
  secret: string;
  /** SHA-256 of the whole key, hex: what the access log keeps. */
  hash: string;
  /** The listed, non-secret part: `uapk_<keyId>`. */
  prefix: string;
}

export function generateRuntimeKey(random: (size: number) => Buffer = randomBytes): GeneratedRuntimeKey {
  const keyId = random(8).toString('hex');
  const secret = `${RUNTIME_KEY_PREFIX}${keyId}_${random(32).toString('base64url')}`;
  return { keyId, secret, hash: hashRuntimeKey(secret), prefix: runtimeKeyPrefix(keyId) };
}

/** The keyId of a presented value in the runtime format; undefined for anything else (a bootstrap key, garbage). */
export function parseRuntimeKey(presented: string): { keyId: string } | undefined {
  const match = RUNTIME_KEY.exec(presented);
  return match === null ? undefined : { keyId: match[1]! };
}

export function hashRuntimeKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function runtimeKeyPrefix(keyId: string): string {
  return `${RUNTIME_KEY_PREFIX}${keyId}`;
}
